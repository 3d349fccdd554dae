import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { SqlJobQueue, Worker, type JobQueue } from '../../src/delivery';
import { createKeyChecker, createReceiver, StorageIngestStore, type IngestStore, type PreparedEvent, type RawRequestRecord } from '../../src/receiver';
import { accepted } from '../../src/receiver/ingest-repository';
import { storedApplyJob } from '../../src/runtime/apply-worker';
import { systemClock } from '../../src/shared/clock';
import { openStorage, sql, type Backend, type Storage } from '../../src/storage';
import purchaseFixture from '../../test/fixtures/nachocode/purchase.ios.json';
import { E2E_WEBHOOK_KEY } from '../../test/support/server';
import { PURCHASE_ROUTE } from './ingest';
import { purchaseBody } from './payloads';
import { freshBenchDatabase } from './postgres';
import { LABEL } from './report';
import { median } from './stats';
import { applyShape, deliveryShape, seedBacklog, seedHead, seedTemplate, seedWebhooks, SEED_ENDPOINTS, SENTINELS, settle, type SeedClock } from './scale-seed';

// How cost grows with the work: the same claims, completions and ingest writes as the service
// makes, timed with 1k, 100k and 1M due jobs already queued and as many stored webhooks, on the
// real storage (migrations, indexes, the runtime's settings) of either backend. The database
// grows by topping up, so each size adds to the one before.

export const SCALE_SIZES = [1_000, 100_000, 1_000_000];

/**
 * Jobs and webhooks timed per size, in `rounds` rounds of each measurement in turn (the figure is
 * the median of the rounds: a few seconds of other load on the machine do not make a size look
 * slower). The first tenth of each worker run warms it up, untimed.
 */
export const SCALE_WORK = { apply: 3000, delivery: 2000, ingest: 900, ingestConcurrent: 3000, inFlight: 50, rounds: 3 };

export interface ScaleStep {
  /** Due jobs queued behind the timed ones. */
  backlog: number;
  /** raw_requests rows when the size's rounds began (each round's ingest adds its webhooks). */
  rawRequests: number;
  /** µs per job: the apply worker's uncapped claims and completions. */
  applyUs: number;
  /** µs per job: the outbound worker's claims capped per endpoint, and completions. */
  deliveryUs: number;
  /** µs per webhook, one at a time. */
  ingestUs: number;
  /** µs per webhook (wall time / count), SCALE_WORK.inFlight at once. */
  ingestConcurrentUs: number;
  /** Seconds spent seeding this size (top-up and settling). */
  seedSeconds: number;
}

export interface ScaleResult {
  steps: ScaleStep[];
  /** What the database had done to it after seeding, as a production one would have (see settle). */
  settled: string;
  work: typeof SCALE_WORK;
  endpoints: number;
  /** The runtime's settings the workers ran with. */
  workers: { applyConcurrency: number; deliveryConcurrency: number; perEndpoint: number };
}

/** A backend's scale part, or why it was not measured. */
export type ScaleOutcome = ScaleResult | { skipped: string };

export interface ScaleOptions {
  backend: Backend;
  /** SQLite: the folder for its file. */
  dataDir: string;
  /** PostgreSQL: a fresh database. */
  databaseUrl?: string;
  sizes: number[];
  log(line: string): void;
}

const logger = pino({ level: 'silent' });

/** The sizes up to BENCH_SCALE_MAX (which becomes the largest, when it is not one of them). */
export function scaleSizes(max: number): number[] {
  if (!(max >= 1)) throw new Error(`BENCH_SCALE_MAX must be a positive number of jobs, got ${max}`);
  const largest = SCALE_SIZES[SCALE_SIZES.length - 1];
  return max >= largest ? SCALE_SIZES : [...SCALE_SIZES.filter((s) => s < max), Math.floor(max)];
}

/** The scale part on one backend (PostgreSQL: on a fresh bench database); a failure is reported, not thrown. */
export async function scalePart(backend: Backend, options: Omit<ScaleOptions, 'backend' | 'databaseUrl'>): Promise<ScaleOutcome> {
  const sizes = options.sizes.map((n) => n.toLocaleString('en')).join(' → ');
  options.log(`${LABEL[backend]} how cost grows: ${sizes} due jobs and stored webhooks`);
  try {
    return await scaleRuns({ ...options, backend, databaseUrl: backend === 'postgres' ? await freshBenchDatabase() : undefined });
  } catch (error) {
    options.log(`  scale benchmark failed: ${(error as Error).message}`);
    return { skipped: `the run failed (${(error as Error).message})` };
  }
}

async function scaleRuns(options: ScaleOptions): Promise<ScaleResult> {
  const config = loadConfig({
    NODE_ENV: 'development',
    DATABASE_PATH: path.join(options.dataDir, 'scale.db'),
    DATABASE_URL: options.databaseUrl,
  });
  const storage = await openStorage(config.database, { busyTimeoutMs: config.busyTimeoutMs, commitMaxBatch: config.commitMaxBatch });
  try {
    return await measureSizes(storage, config, options);
  } finally {
    await storage.close();
    // Gigabytes at the largest size: not kept until the bench's folder goes.
    if (config.database.backend === 'sqlite') for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${config.database.path}${suffix}`, { force: true });
  }
}

type Figures = Pick<ScaleStep, 'applyUs' | 'deliveryUs' | 'ingestUs' | 'ingestConcurrentUs'>;

/** What one size is measured with: the runtime's wiring, its settings, and where the next timed jobs start. */
interface Bench {
  storage: Storage;
  config: Config;
  queue: JobQueue;
  store: IngestStore;
  clock: SeedClock;
  heads: number;
}

async function measureSizes(storage: Storage, config: Config, options: ScaleOptions): Promise<ScaleResult> {
  // The runtime's wiring: one queue over the backend's claim SQL; the receiver's store enqueues
  // each new event's apply job in its transaction.
  const queue = new SqlJobQueue(storage.claims);
  const store = new StorageIngestStore({ storage, clock: systemClock, storedJob: storedApplyJob(queue) });
  const bench: Bench = { storage, config, queue, store, clock: { base: Date.now() - 3_600_000 }, heads: 0 };
  const template = await templateWebhook();
  const steps: ScaleStep[] = [];
  let seeded = 0;
  let settled = '';
  for (const size of options.sizes) {
    const started = performance.now();
    await seedWebhooks(storage, template, seeded, size, bench.clock);
    await seedBacklog(storage, seeded, size, bench.clock);
    settled = await settle(storage);
    seeded = size;
    const seedSeconds = (performance.now() - started) / 1000;
    options.log(`  ${size.toLocaleString('en')} due jobs and stored webhooks: seeded in ${seedSeconds.toFixed(1)} s`);
    const rawRequests = (await storage.read.get<{ n: number }>(sql`SELECT count(*) AS n FROM raw_requests`))?.n ?? Number.NaN;
    // A round before the first size's, not counted: compiled code and prepared statements are then
    // as warm at the smallest size as at the others.
    if (steps.length === 0) await measureRound(bench);
    const rounds: Figures[] = [];
    for (let round = 0; round < SCALE_WORK.rounds; round++) rounds.push(await measureRound(bench));
    const mid = (pick: (r: Figures) => number) => median(rounds.map(pick));
    const step: ScaleStep = {
      backlog: size,
      rawRequests,
      applyUs: mid((r) => r.applyUs),
      deliveryUs: mid((r) => r.deliveryUs),
      ingestUs: mid((r) => r.ingestUs),
      ingestConcurrentUs: mid((r) => r.ingestConcurrentUs),
      seedSeconds,
    };
    steps.push(step);
    options.log(
      `    claim+complete ${Math.round(step.applyUs)} µs/job (apply), ${Math.round(step.deliveryUs)} µs/job (capped delivery); ingest ` +
        `${Math.round(step.ingestUs)} µs/webhook, ${Math.round(step.ingestConcurrentUs)} with ${SCALE_WORK.inFlight} in flight (${step.rawRequests.toLocaleString('en')} raw requests)`,
    );
  }
  return {
    steps,
    settled,
    work: SCALE_WORK,
    endpoints: SEED_ENDPOINTS,
    workers: {
      applyConcurrency: config.worker.concurrency,
      deliveryConcurrency: config.outbound.concurrency,
      perEndpoint: config.outbound.endpointConcurrency,
    },
  };
}

/** One round of each measurement, a share of SCALE_WORK each: the two workers, then the ingest. */
async function measureRound(bench: Bench): Promise<Figures> {
  const { storage, config, queue, clock } = bench;
  const share = (n: number) => Math.ceil(n / SCALE_WORK.rounds);
  await seedHead(storage, 'apply', bench.heads, share(SCALE_WORK.apply), clock);
  await seedHead(storage, 'delivery', bench.heads, share(SCALE_WORK.delivery), clock);
  bench.heads += Math.max(share(SCALE_WORK.apply), share(SCALE_WORK.delivery));
  const applyUs = await workThrough(storage, queue, share(SCALE_WORK.apply), {
    kind: applyShape.kind,
    concurrency: config.worker.concurrency,
    leaseMs: config.worker.leaseMs,
    idlePollMs: config.worker.idlePollMs,
  });
  const deliveryUs = await workThrough(storage, queue, share(SCALE_WORK.delivery), {
    kind: deliveryShape.kind,
    concurrency: config.outbound.concurrency,
    perKeyConcurrency: config.outbound.endpointConcurrency,
    // As the runtime's outbound worker: longer than an attempt can take.
    leaseMs: Math.max(config.worker.leaseMs, config.outbound.timeoutMs * 3),
    idlePollMs: config.worker.idlePollMs,
  });
  const ingestUs = await ingestThrough(bench.store, await preparedWebhooks(share(SCALE_WORK.ingest)), 1);
  const ingestConcurrentUs = await ingestThrough(bench.store, await preparedWebhooks(share(SCALE_WORK.ingestConcurrent)), SCALE_WORK.inFlight);
  return { applyUs, deliveryUs, ingestUs, ingestConcurrentUs };
}

interface WorkerRun {
  kind: string;
  concurrency: number;
  perKeyConcurrency?: number;
  leaseMs: number;
  idlePollMs: number;
}

/** Longest a timed run may take before the bench gives up on it. */
const RUN_DEADLINE_MS = 120_000;

/**
 * The worker as the runtime builds it (its batch size, per-endpoint cap, lease), with a handler
 * that does nothing: what is timed is claiming each job and recording its completion (the
 * attempt log included). µs per job, from the end of the first tenth to the count-th success.
 */
async function workThrough(storage: Storage, queue: JobQueue, count: number, run: WorkerRun): Promise<number> {
  const warmup = Math.ceil(count / 10);
  let succeeded = 0;
  let failed = 0;
  let from = 0;
  let to = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker({
    storage,
    queue,
    clock: systemClock,
    logger,
    concurrency: run.concurrency,
    perKeyConcurrency: run.perKeyConcurrency,
    leaseMs: run.leaseMs,
    idlePollMs: run.idlePollMs,
    kinds: 'handled',
    handlers: [{ kind: run.kind, handle: async () => undefined }],
    observer: {
      jobSucceeded: () => {
        succeeded += 1;
        if (succeeded === warmup) from = performance.now();
        if (succeeded === count) {
          to = performance.now();
          finish();
        }
      },
      jobFailed: () => {
        failed += 1;
      },
    },
  });
  worker.start();
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), RUN_DEADLINE_MS)));
    if ((await Promise.race([finished, deadline])) === 'late') {
      throw new Error(`${run.kind}: ${succeeded} of ${count} jobs done after ${RUN_DEADLINE_MS / 1000} s`);
    }
  } finally {
    clearTimeout(timer);
    await worker.stop({ deadlineMs: 10_000 });
  }
  if (failed > 0) throw new Error(`${run.kind}: ${failed} jobs failed`);
  return ((to - from) * 1000) / (count - warmup);
}

/** µs per webhook: wall time over the count, `inFlight` ingest writes at a time. */
async function ingestThrough(store: IngestStore, webhooks: Prepared[], inFlight: number): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < webhooks.length) {
      const { raw, event } = webhooks[next++];
      const result = await store.ingest(raw, event, () => 1);
      if (result.kind !== 'stored') throw new Error(`a distinct purchase was not stored: ${result.kind}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return ((performance.now() - started) * 1000) / webhooks.length;
}

interface Prepared {
  raw: RawRequestRecord;
  event: PreparedEvent;
}

/** Distinct purchases as the receiver prepares them for its store: checked, parsed, validated. */
async function preparedWebhooks(count: number, body: () => string = purchaseBody): Promise<Prepared[]> {
  const out: Prepared[] = [];
  const capture: IngestStore = {
    ingest: (raw, event) => {
      out.push({ raw, event });
      return Promise.resolve({ kind: 'stored', eventId: 'evt_prepared' });
    },
    recordRejected: (_raw, answer) => Promise.reject(new Error(`the bench's purchase was rejected: ${JSON.stringify(answer.body)}`)),
  };
  const receive = createReceiver({ store: capture, checkKey: createKeyChecker([E2E_WEBHOOK_KEY]), clock: systemClock });
  for (let n = 0; n < count; n++) {
    const payload = Buffer.from(body());
    await receive('purchase', {
      method: 'POST',
      path: PURCHASE_ROUTE,
      query: null,
      rawHeaders: requestHeaders(payload.length),
      body: payload,
      remoteAddr: '203.0.113.7',
      requestId: null,
      source: 'webhook',
      startedAt: performance.now(),
    });
  }
  return out;
}

/** What a webhook from nachocode through a proxy carries. */
function requestHeaders(length: number): string[] {
  return [
    'Host',
    'iaphook.example.com',
    'User-Agent',
    'nachocode-webhook/1.0',
    'Content-Type',
    'application/json',
    'Content-Length',
    String(length),
    'Accept',
    '*/*',
    'Authorization',
    `Bearer ${E2E_WEBHOOK_KEY}`,
    'X-Forwarded-For',
    '203.0.113.7',
    'X-Forwarded-Proto',
    'https',
    'X-Request-Id',
    '5b7e0c9e-2f4a-4d4b-9a57-3f1c2b8d6e01',
  ];
}

/** One webhook the receiver prepared, as the template of every seeded one. */
async function templateWebhook() {
  const body = () =>
    JSON.stringify({
      ...purchaseFixture,
      iapLogId: SENTINELS.iapLogId,
      userId: SENTINELS.userId,
      data: { originalTransactionId: SENTINELS.transactionId, transactionId: SENTINELS.transactionId },
    });
  const [{ raw, event }] = await preparedWebhooks(1, body);
  return seedTemplate(raw, event, (eventId) => accepted(eventId, false));
}
