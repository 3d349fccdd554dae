import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface QueueSnapshot {
  kind: string;
  state: string;
  count: number;
  oldestAgeMs: number | null;
}

export interface Metrics {
  registry: Registry;
  webhookRequests: Counter<'route' | 'outcome'>;
  webhookDuplicates: Counter<'route'>;
  webhookRejections: Counter<'reason'>;
  webhookUnrecorded: Counter<'reason'>;
  applyLatency: Histogram;
  jobsFinished: Counter<'kind' | 'result'>;
}

/**
 * One registry per app instance (no global default registry), so tests and several apps in one
 * process never share counters. Queue depth and age are read from the database at scrape time.
 */
export function createMetrics(queueSnapshot: () => Promise<QueueSnapshot[]>, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'iaphook_' });
  const metrics: Metrics = {
    registry,
    webhookRequests: new Counter({
      name: 'iaphook_webhook_requests_total',
      help: 'Webhook requests received, by route and outcome (stored, duplicate, conflict, rejected).',
      labelNames: ['route', 'outcome'],
      registers: [registry],
    }),
    webhookDuplicates: new Counter({
      name: 'iaphook_webhook_duplicates_total',
      help: 'Webhook requests that repeated an event already stored.',
      labelNames: ['route'],
      registers: [registry],
    }),
    webhookRejections: new Counter({
      name: 'iaphook_webhook_rejections_total',
      help: 'Webhook requests rejected, by reason (error code).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    webhookUnrecorded: new Counter({
      name: 'iaphook_webhook_unrecorded_total',
      help: 'Rejected webhook requests without a valid key that were answered but not kept: their address used up RAW_UNVERIFIED_PER_ADDRESS.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    applyLatency: new Histogram({
      name: 'iaphook_event_apply_latency_seconds',
      help: 'Time from receiving an event to applying it to the ledger.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    jobsFinished: new Counter({
      name: 'iaphook_jobs_finished_total',
      help: 'Job attempts finished, by kind and result (succeeded, retry, dead, paused).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
  };
  const depth = new Gauge({
    name: 'iaphook_jobs_queue_depth',
    help: 'Jobs by kind and state.',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      const rows = await queueSnapshot();
      this.reset();
      for (const row of rows) this.set({ kind: row.kind, state: row.state }, row.count);
    },
  });
  new Gauge({
    name: 'iaphook_jobs_oldest_age_seconds',
    help: 'Age of the oldest pending or running job, by kind.',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const rows = await queueSnapshot();
      this.reset();
      const oldest = new Map<string, number>();
      for (const row of rows) {
        if ((row.state === 'pending' || row.state === 'running') && row.oldestAgeMs !== null) {
          oldest.set(row.kind, Math.max(oldest.get(row.kind) ?? 0, row.oldestAgeMs));
        }
      }
      for (const [kind, ms] of oldest) this.set({ kind }, ms / 1000);
    },
  });
  void depth;
  return metrics;
}
