import type { AttemptRecord, JobQueue, JobStatus } from '../delivery';
import { networkMs } from '../shared/durations';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Queryable, Storage, Tx } from '../storage/port';
import { endedSince, findDelivery, listDeliveries, setDeliveryState, type DeliveryRow, type ListedDelivery } from './delivery-repository';
import { emitTest } from './emit';
import { EXAMPLE_EVENTS } from './examples';
import { discardQueued, isPaused, lockPause } from './pause';
import { EVENT_TYPES, type DeliveryState, type EventType } from './types';
import { findWebhook, projectExists, stopPausing, webhookById } from './webhook-repository';

const iso = (ms: number) => new Date(ms).toISOString();

// Bulk redelivery works in bounded steps; a second call picks up where the first stopped.
const BULK_LIMIT = 1000;

function attemptView(row: AttemptRecord) {
  return {
    attempt: row.attempt,
    at: iso(row.startedAt),
    statusCode: row.statusCode,
    latencyMs: networkMs(row.latencyMs),
    errorClass: row.errorClass,
    error: row.outcome === 'failed' ? row.errorMessage : null,
    responseSnippet: row.responseSnippet,
  };
}

function deliveryView(listed: ListedDelivery, job: JobStatus | undefined, attempts: AttemptRecord[]) {
  const { delivery } = listed;
  const waiting = delivery.state === 'pending' && job?.state === 'pending';
  return {
    id: delivery.id,
    event: listed.type,
    eventId: delivery.eventId,
    test: listed.test,
    webhookId: delivery.webhookId,
    state: delivery.state as DeliveryState,
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt),
    nextAttemptAt: waiting ? iso(job.runAt) : null,
    attempts: attempts.map(attemptView),
  };
}

export interface DeliveryServiceDeps {
  storage: Pick<Storage, 'read' | 'write' | 'writesInWith'>;
  clock: Clock;
  queue: JobQueue;
  /** New work was committed: wake the outbound worker. */
  notify(): void;
}

/** The attempt log and redelivery by hand. */
export class DeliveryService {
  constructor(private readonly deps: DeliveryServiceDeps) {}

  /** A page of deliveries with their job's state and attempt log, both read from the queue. */
  async list(projectId: number, webhookId: number, query: { limit: number; cursor?: string; state?: DeliveryState }) {
    const db = this.deps.storage.read;
    await this.requireWebhook(db, projectId, webhookId);
    const rows = await listDeliveries(db, webhookId, query);
    const jobIds = rows.map((r) => r.delivery.jobId);
    const jobs = jobIds.length === 0 ? new Map<number, JobStatus>() : await this.deps.queue.statusOf(db, jobIds);
    const attempts = jobIds.length === 0 ? new Map<number, AttemptRecord[]>() : await this.deps.queue.attemptsOf(db, jobIds);
    const views = rows.map((row) => deliveryView(row, jobs.get(row.delivery.jobId), attempts.get(row.delivery.jobId) ?? []));
    const nextCursor = rows.length === query.limit ? rows[rows.length - 1].delivery.id : null;
    return { deliveries: views, nextCursor };
  }

  /**
   * Sends the subscription a test event: the example of the type asked for, or of the first type
   * it subscribes to (ACTIVE first), through the queue like any delivery, so the attempt log shows it.
   */
  async sendTest(projectId: number, webhookId: number, type: EventType | undefined) {
    const result = await this.deps.storage.write(async (tx) => {
      await this.requireWebhook(tx, projectId, webhookId);
      const webhook = (await webhookById(tx, webhookId))!;
      if (webhook.status !== 'ACTIVE') {
        const why = isPaused(webhook) ? 'was disabled automatically' : 'is INACTIVE';
        throw new AppError('conflict', `webhook ${webhookId} ${why}; set it ACTIVE (PUT with status ACTIVE) before sending a test event`);
      }
      const subscribed = [...webhook.events].sort((a, b) => Number(b.status === 'ACTIVE') - Number(a.status === 'ACTIVE'));
      const event = type ?? subscribed[0]?.type ?? EVENT_TYPES[0];
      const emitted = await emitTest(tx, this.deps.queue, webhook, EXAMPLE_EVENTS[event], this.deps.clock.now(), {
        writesInWith: this.deps.storage.writesInWith,
      });
      return { eventId: emitted.eventId, deliveryId: emitted.deliveryIds[0], projectId, webhookId, event, test: true };
    });
    this.deps.notify();
    return result;
  }

  /** Sends a finished delivery again: same webhook-id, a fresh round of the retry policy. */
  async redeliver(deliveryId: string): Promise<{ id: string; state: DeliveryState }> {
    const result = await this.deps.storage.write(async (tx) => {
      const delivery = await findDelivery(tx, deliveryId);
      if (!delivery) throw new AppError('not_found', `no delivery ${deliveryId}`);
      if (delivery.state === 'pending') throw new AppError('conflict', `delivery ${deliveryId} is still pending; it will be attempted again by itself`);
      if (delivery.state === 'paused') {
        throw new AppError('conflict', `delivery ${deliveryId} is paused; it is sent when its subscription is set ACTIVE (PUT with status ACTIVE)`);
      }
      await this.requireActive(tx, delivery.webhookId);
      await this.requeue(tx, delivery);
      return { id: delivery.id, state: 'pending' as const };
    });
    this.deps.notify();
    return result;
  }

  /** Redelivers the deliveries of a subscription that ended failed or dead since a time. */
  async redeliverSince(projectId: number, webhookId: number, since: number, states: DeliveryState[]) {
    const result = await this.deps.storage.write(async (tx) => {
      await this.requireWebhook(tx, projectId, webhookId);
      await this.requireActive(tx, webhookId);
      const rows = await endedSince(tx, webhookId, since, states, BULK_LIMIT);
      for (const row of rows) await this.requeue(tx, row);
      return { redelivered: rows.length, deliveryIds: rows.map((r) => r.id), more: rows.length === BULK_LIMIT };
    });
    if (result.redelivered > 0) this.deps.notify();
    return result;
  }

  /**
   * Drops the deliveries kept for a subscription disabled automatically (they stay listed, state
   * discarded, and can still be redelivered one by one). With stopPausing the subscription also
   * becomes one set INACTIVE by hand: later events are no longer kept for it.
   */
  async discardPaused(projectId: number, webhookId: number, options: { stopPausing: boolean }) {
    return this.deps.storage.write(async (tx) => {
      await this.requireWebhook(tx, projectId, webhookId);
      const now = this.deps.clock.now();
      // The row is written first, then the pause lock, in the order every transaction takes both.
      if (options.stopPausing) await stopPausing(tx, webhookId, now);
      await lockPause(tx, webhookId);
      const discarded = await discardQueued(tx, this.deps.queue, webhookId, now);
      const webhook = await webhookById(tx, webhookId);
      return { discarded, status: webhook?.status ?? 'INACTIVE', paused: webhook !== null && isPaused(webhook) };
    });
  }

  private async requireWebhook(db: Queryable, projectId: number, webhookId: number): Promise<void> {
    if (!(await projectExists(db, projectId)) || !(await findWebhook(db, projectId, webhookId))) {
      throw new AppError('not_found', `no webhook ${webhookId} in project ${projectId}`);
    }
  }

  private async requireActive(db: Queryable, webhookId: number): Promise<void> {
    const webhook = await webhookById(db, webhookId);
    if (webhook?.status !== 'ACTIVE') {
      throw new AppError('conflict', `webhook ${webhookId} is INACTIVE; re-enable it with PUT (status ACTIVE) first`);
    }
  }

  private async requeue(tx: Tx, delivery: DeliveryRow): Promise<void> {
    const now = this.deps.clock.now();
    if (!(await this.deps.queue.requeue(tx, delivery.jobId, now))) {
      throw new AppError('conflict', `delivery ${delivery.id} is being attempted right now`);
    }
    await setDeliveryState(tx, delivery.id, 'pending', now);
  }
}
