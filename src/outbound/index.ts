// Outbound webhooks in the style of ABC User Feedback, delivered by the delivery core.
import type express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHttpSender, type JobHandler, type JobQueue, type Resolver } from '../delivery';
import type { Clock } from '../shared/clock';
import type { Db } from '../storage/sqlite/database';
import type { GroupCommitter } from '../storage/sqlite/group-commit';
import { DeliveryService } from './delivery-service';
import { createEmitter, type Emit } from './emit';
import { createDeliverHandler } from './handler';
import { createOutboundMetrics, type OutboundMetrics } from './metrics';
import { outboundRouter } from './routes';
import type { DeliverJobPayload } from './types';
import { defaultUserAgent } from './version';
import { WebhookService } from './webhook-service';

export { createEmitter, endpointKey, type Emit, type Emitted } from './emit';
export * as abcEvents from './events';
export type { ChannelRef, FeedbackSnapshot, IssueSnapshot, ProjectRef } from './events';
export { parseBody, parseId } from './http-parse';
export { outboundExponentialPolicy, policyFor } from './policies';
export { CHANNEL_EVENT_TYPES, DELIVER_WEBHOOK_JOB, EVENT_TYPES, ISSUE_STATUSES } from './types';
export type { DeliverJobPayload, DeliveryState, EmitInput, Envelope, EventType, IssueStatus, Webhook } from './types';

export interface OutboundConfig {
  allowPrivate: boolean;
  timeoutMs: number;
  disableAfter: number;
}

export interface OutboundOptions {
  committer: GroupCommitter;
  db: Db;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  config: OutboundConfig;
  /** iaphook/<version from package.json> when absent. */
  userAgent?: string;
  /** Wakes the worker that runs deliver-webhook jobs (set once it exists). */
  notify(): void;
  /** DNS for subscriber hosts; tests map names to local addresses. */
  resolve?: Resolver;
}

export interface Outbound {
  emit: Emit;
  handler: JobHandler<DeliverJobPayload>;
  router: express.Router;
  metrics: OutboundMetrics;
  /** Closes the HTTP connection pool; after the worker has stopped. */
  close(): Promise<void>;
}

export function createOutbound(options: OutboundOptions): Outbound {
  const { committer, db, queue, clock, logger } = options;
  const sender = createHttpSender({ timeoutMs: options.config.timeoutMs, allowPrivate: options.config.allowPrivate, resolve: options.resolve });
  const metrics = createOutboundMetrics(options.registry);
  const handler = createDeliverHandler({
    db,
    clock,
    sender,
    userAgent: options.userAgent ?? defaultUserAgent(),
    logger,
    metrics,
    disableAfter: options.config.disableAfter,
  });
  const webhooks = new WebhookService({ committer, db, clock, allowPrivate: options.config.allowPrivate });
  const deliveries = new DeliveryService({ committer, db, clock, queue, notify: options.notify });
  return {
    emit: createEmitter(queue),
    handler,
    router: outboundRouter({ webhooks, deliveries }),
    metrics,
    close: () => sender.close(),
  };
}
