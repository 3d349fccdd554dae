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
  webhookAnswerDuration: Histogram<'route'>;
  applyLatency: Histogram;
  jobsFinished: Counter<'kind' | 'result'>;
}

/** The job states that are work still to do; finished, paused and discarded jobs are not depth. */
const QUEUED_STATES = new Set(['pending', 'running']);

/**
 * One registry per app instance (no global default registry), so tests and several apps in one
 * process never share counters. Queue depth and age are read from the database at scrape time.
 * Node's default metrics keep their standard names (process_cpu_seconds_total,
 * nodejs_heap_size_used_bytes), so stock Node.js dashboards work unchanged.
 */
export function createMetrics(readQueue: () => Promise<QueueSnapshot[]>, options: { defaultMetrics?: boolean } = {}): Metrics {
  // The four queue gauges collect at once at each scrape: they share one read of the queue.
  const queueSnapshot = sharedWhileRunning(readQueue);
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
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
    webhookAnswerDuration: new Histogram({
      name: 'iaphook_webhook_answer_duration_seconds',
      help: 'Time from a webhook request reaching the receiver to its answer, by route (purchase, refund, unavailable-users, auto).',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
  new Gauge({
    name: 'iaphook_jobs_queue_depth',
    help: 'Jobs still to do (pending or running), by kind and state.',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      const rows = await queueSnapshot();
      this.reset();
      for (const row of rows) if (QUEUED_STATES.has(row.state)) this.set({ kind: row.kind, state: row.state }, row.count);
    },
  });
  // Jobs that will not run by themselves, apart from the depth: they wait for an admin.
  const stateGauge = (state: string, name: string, help: string) =>
    new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        const rows = await queueSnapshot();
        this.reset();
        for (const row of rows) if (row.state === state) this.set({ kind: row.kind }, row.count);
      },
    });
  stateGauge('paused', 'iaphook_jobs_paused', 'Jobs kept paused while their subscription is disabled automatically, by kind.');
  stateGauge('dead', 'iaphook_jobs_dead', 'Jobs whose retries ran out (dead-lettered; redeliver by hand), by kind.');
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
        if (QUEUED_STATES.has(row.state) && row.oldestAgeMs !== null) {
          oldest.set(row.kind, Math.max(oldest.get(row.kind) ?? 0, row.oldestAgeMs));
        }
      }
      for (const [kind, ms] of oldest) this.set({ kind }, ms / 1000);
    },
  });
  return metrics;
}

/** Calls made while a read is under way get that read's promise; the next call after it settles reads again. */
export function sharedWhileRunning<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () =>
    (running ??= read().finally(() => {
      running = null;
    }));
}
