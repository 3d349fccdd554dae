import { Counter, Histogram, type Registry } from 'prom-client';

export interface OutboundMetrics {
  /**
   * Delivery attempts by outcome: succeeded, retry, failed (refused, not retried), dead (exhausted),
   * paused (claimed while its subscription was disabled automatically: not sent, parked). How many
   * deliveries wait paused right now is the queue's depth gauge, state paused.
   */
  deliveries: Counter<'outcome'>;
  attemptLatency: Histogram<'status_class'>;
  disabled: Counter<'reason'>;
}

/** Registered on the app's registry, beside the core's queue depth per job kind. */
export function createOutboundMetrics(registry: Registry): OutboundMetrics {
  return {
    deliveries: new Counter({
      name: 'iaphook_outbound_deliveries_total',
      help: 'Outbound webhook delivery attempts by outcome (succeeded, retry, failed, dead, paused: not sent, its subscription was disabled automatically).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    attemptLatency: new Histogram({
      name: 'iaphook_outbound_attempt_duration_seconds',
      help: 'Time of one outbound delivery attempt, by status class (2xx…5xx) or error.',
      labelNames: ['status_class'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    disabled: new Counter({
      name: 'iaphook_outbound_webhooks_disabled_total',
      help: 'Subscriptions set INACTIVE automatically, by reason (gone, failing).',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export function statusClass(statusCode: number | null): string {
  return statusCode === null ? 'error' : `${Math.floor(statusCode / 100)}xx`;
}
