import type { JobQueue } from '../delivery';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Db } from '../storage/sqlite/database';
import type { GroupCommitter } from '../storage/sqlite/group-commit';
import {
  attemptsByJob,
  endedSince,
  findDelivery,
  listDeliveries,
  setDeliveryState,
  type AttemptRow,
  type DeliveryRow,
  type ListedDelivery,
} from './delivery-repository';
import type { DeliveryState } from './types';
import { findWebhook, projectExists, webhookById } from './webhook-repository';

const iso = (ms: number) => new Date(ms).toISOString();

// Bulk redelivery works in bounded steps; a second call picks up where the first stopped.
const BULK_LIMIT = 1000;

function attemptView(row: AttemptRow) {
  return {
    attempt: row.attempt,
    at: iso(row.startedAt),
    statusCode: row.statusCode,
    latencyMs: row.latencyMs === null ? null : Math.round(row.latencyMs),
    errorClass: row.errorClass,
    error: row.outcome === 'failed' ? row.errorMessage : null,
    responseSnippet: row.responseSnippet,
  };
}

function deliveryView(listed: ListedDelivery, attempts: AttemptRow[]) {
  const { delivery } = listed;
  const waiting = delivery.state === 'pending' && listed.jobState === 'pending' && listed.runAt !== null;
  return {
    id: delivery.id,
    event: listed.type,
    eventId: delivery.eventId,
    webhookId: delivery.webhookId,
    state: delivery.state as DeliveryState,
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt),
    nextAttemptAt: waiting ? iso(listed.runAt as number) : null,
    attempts: attempts.map(attemptView),
  };
}

export interface DeliveryServiceDeps {
  committer: GroupCommitter;
  db: Db;
  clock: Clock;
  queue: JobQueue;
  /** New work was committed: wake the outbound worker. */
  notify(): void;
}

/** The attempt log and redelivery by hand. */
export class DeliveryService {
  constructor(private readonly deps: DeliveryServiceDeps) {}

  list(projectId: number, webhookId: number, query: { limit: number; cursor?: string; state?: DeliveryState }) {
    const { db } = this.deps;
    if (!projectExists(db, projectId) || !findWebhook(db, projectId, webhookId)) {
      throw new AppError('not_found', `no webhook ${webhookId} in project ${projectId}`);
    }
    const rows = listDeliveries(db, webhookId, query);
    const attempts = attemptsByJob(db, rows.map((r) => r.delivery.jobId));
    const views = rows.map((row) => deliveryView(row, attempts.get(row.delivery.jobId) ?? []));
    const nextCursor = rows.length === query.limit ? rows[rows.length - 1].delivery.id : null;
    return { deliveries: views, nextCursor };
  }

  /** Sends a finished delivery again: same webhook-id, a fresh round of the retry policy. */
  async redeliver(deliveryId: string): Promise<{ id: string; state: DeliveryState }> {
    const result = await this.deps.committer.run((db) => {
      const delivery = findDelivery(db, deliveryId);
      if (!delivery) throw new AppError('not_found', `no delivery ${deliveryId}`);
      if (delivery.state === 'pending') throw new AppError('conflict', `delivery ${deliveryId} is still pending; it will be attempted again by itself`);
      this.requireActive(db, delivery.webhookId);
      this.requeue(db, delivery);
      return { id: delivery.id, state: 'pending' as const };
    });
    this.deps.notify();
    return result;
  }

  /** Redelivers the deliveries of a subscription that ended failed or dead since a time. */
  async redeliverSince(projectId: number, webhookId: number, since: number, states: DeliveryState[]) {
    const result = await this.deps.committer.run((db) => {
      if (!projectExists(db, projectId) || !findWebhook(db, projectId, webhookId)) {
        throw new AppError('not_found', `no webhook ${webhookId} in project ${projectId}`);
      }
      this.requireActive(db, webhookId);
      const rows = endedSince(db, webhookId, since, states, BULK_LIMIT);
      for (const row of rows) this.requeue(db, row);
      return { redelivered: rows.length, deliveryIds: rows.map((r) => r.id), more: rows.length === BULK_LIMIT };
    });
    if (result.redelivered > 0) this.deps.notify();
    return result;
  }

  private requireActive(db: Db, webhookId: number): void {
    const webhook = webhookById(db, webhookId);
    if (webhook?.status !== 'ACTIVE') {
      throw new AppError('conflict', `webhook ${webhookId} is INACTIVE; re-enable it with PUT (status ACTIVE) first`);
    }
  }

  private requeue(db: Db, delivery: DeliveryRow): void {
    const now = this.deps.clock.now();
    if (!this.deps.queue.requeue(db, delivery.jobId, now)) {
      throw new AppError('conflict', `delivery ${delivery.id} is being attempted right now`);
    }
    setDeliveryState(db, delivery.id, 'pending', now);
  }
}
