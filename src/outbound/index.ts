// Outbound webhooks in the style of ABC User Feedback, delivered by the delivery core.
import type express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHttpSender, type JobHandler, type JobQueue, type Resolver } from '../delivery';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { DeliveryService } from './delivery-service';
import { createEmitter, type Emit } from './emit';
import { createDeliverHandler } from './handler';
import { createOutboundMetrics, type OutboundMetrics } from './metrics';
import { outboundRouter } from './routes';
import type { DeliverJobPayload } from './types';
import { defaultUserAgent } from './version';
import { WebhookService } from './webhook-service';

export { createEmitter, type Emit, type Emitted } from './emit';
export { endpointKey } from './types';
export { deliveryAttemptsForMessage, type DeliveryAttemptRow } from './message-attempts';
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
  disableAfterMs: number;
}

export interface OutboundOptions {
  /** Reads outside transactions and the writes of the admin API; the deliveries' outcomes commit through the worker. */
  storage: Pick<Storage, 'read' | 'write'>;
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
  const { storage, queue, clock, logger } = options;
  const sender = createHttpSender({ timeoutMs: options.config.timeoutMs, allowPrivate: options.config.allowPrivate, resolve: options.resolve });
  const metrics = createOutboundMetrics(options.registry);
  const handler = createDeliverHandler({
    storage,
    clock,
    sender,
    userAgent: options.userAgent ?? defaultUserAgent(),
    logger,
    metrics,
    queue,
    policy: { disableAfter: options.config.disableAfter, disableAfterMs: options.config.disableAfterMs },
  });
  const webhooks = new WebhookService({ storage, clock, queue, allowPrivate: options.config.allowPrivate, notify: options.notify });
  const deliveries = new DeliveryService({ storage, clock, queue, notify: options.notify });
  return {
    emit: createEmitter(queue),
    handler,
    router: outboundRouter({ webhooks, deliveries }),
    metrics,
    close: () => sender.close(),
  };
}
