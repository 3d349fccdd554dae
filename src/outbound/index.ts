// Outbound webhooks in the style of ABC User Feedback, delivered by the delivery core.
import type express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHttpSender, type JobHandler, type JobQueue, type Resolver } from '../delivery';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { DeliveryService } from './delivery-service';
import { createEmitter, type Emit } from './emit';
import { EntitlementAudience } from './entitlements';
import { createDeliverHandler } from './handler';
import { createOutboundMetrics, type OutboundMetrics } from './metrics';
import { outboundRouter } from './routes';
import type { DeliverJobPayload } from './types';
import { defaultUserAgent } from './version';
import { WebhookService } from './webhook-service';

export { createEmitter, type Emit, type Emitted } from './emit';
export { emitEntitlementUpdates, EntitlementAudience, entitlementUpdated } from './entitlements';
export { endpointKey } from './types';
export { deliveryAttemptsForMessage, type DeliveryAttemptRow } from './message-attempts';
export * as abcEvents from './events';
export type { ChannelRef, FeedbackSnapshot, IssueSnapshot, ProjectRef } from './events';
export { outboundExponentialPolicy, policyFor } from './policies';
export { ABC_EVENT_TYPES, CHANNEL_EVENT_TYPES, DELIVER_WEBHOOK_JOB, ENTITLEMENT_UPDATED, EVENT_TYPES, ISSUE_STATUSES } from './types';
export type { DeliverJobPayload, DeliveryState, EmitInput, Envelope, EventType, IssueStatus, Webhook } from './types';

export interface OutboundConfig {
  allowPrivate: boolean;
  timeoutMs: number;
  disableAfter: number;
  disableAfterMs: number;
}

export interface OutboundOptions {
  /** Reads outside transactions and the writes of the admin API; the deliveries' outcomes commit through the worker. */
  storage: Pick<Storage, 'read' | 'write' | 'writesInWith'>;
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
  /** How long the answer to "does anyone want entitlement.updated?" is trusted (1 s when absent). */
  audienceTtlMs?: number;
  /** After a subscription was saved or deleted here: tell the other appliers (threads, instances). */
  onSubscriptionsChanged?(): void;
}

export interface Outbound {
  emit: Emit;
  handler: JobHandler<DeliverJobPayload>;
  router: express.Router;
  metrics: OutboundMetrics;
  /** Whether any subscription wants entitlement.updated; changed() when another instance saved one. */
  audience: EntitlementAudience;
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
  const audience = new EntitlementAudience(options.audienceTtlMs ?? 1000);
  const onChanged = () => {
    audience.changed();
    options.onSubscriptionsChanged?.();
  };
  const webhooks = new WebhookService({ storage, clock, queue, allowPrivate: options.config.allowPrivate, notify: options.notify, onChanged });
  const deliveries = new DeliveryService({ storage, clock, queue, notify: options.notify });
  return {
    emit: createEmitter(queue, { writesInWith: storage.writesInWith }),
    handler,
    router: outboundRouter({ webhooks, deliveries }),
    metrics,
    audience,
    close: () => sender.close(),
  };
}
