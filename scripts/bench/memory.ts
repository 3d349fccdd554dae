import { sql, type Storage } from '../../src/storage';
import { E2E_WEBHOOK_KEY } from '../../test/support/server';
import { CONNECTIONS, PURCHASE_ROUTE } from './ingest';
import { waitForDrain } from './lag';
import { runLoad } from './load';
import { memoryOf } from './system';

export interface MemoryResult {
  events: number;
  /** Highest resident memory of the server process over its whole life (VmHWM). */
  peakRssBytes: number;
  /** Resident memory after each of the three top-up runs, once its backlog had drained. */
  rssAfterRuns: number[];
  /** SQLite: the file plus its WAL. PostgreSQL: pg_database_size (tables, indexes, TOAST). */
  databaseBytes: number;
  /** SQLite's WAL; null on PostgreSQL, whose WAL is the server's, shared by all its databases. */
  walBytes: number | null;
  databaseBytesPerEvent: number;
  /**
   * The main thread's V8 heap at its largest while the runs went on (read from /metrics every
   * second), and after each run once drained; null where /metrics did not answer.
   */
  peakHeap: HeapSample | null;
  heapAfterRuns: Array<HeapSample | null>;
}

/** The main thread's V8 heap as Node's default metrics report it: committed bytes, in all and by space. */
export interface HeapSample {
  totalBytes: number;
  usedBytes: number;
  newSpaceBytes: number;
  oldSpaceBytes: number;
}

/** Reads a HeapSample from a Prometheus text exposition; null when any of its metrics is missing. */
export function heapOf(metrics: string): HeapSample | null {
  const value = (name: string) => {
    const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
  };
  const sample = {
    totalBytes: value('nodejs_heap_size_total_bytes'),
    usedBytes: value('nodejs_heap_size_used_bytes'),
    newSpaceBytes: value('nodejs_heap_space_size_total_bytes{space="new"}'),
    oldSpaceBytes: value('nodejs_heap_space_size_total_bytes{space="old"}'),
  };
  return Object.values(sample).every(Number.isFinite) ? sample : null;
}

async function sampleHeap(serverUrl: string): Promise<HeapSample | null> {
  try {
    const res = await fetch(`${serverUrl}/metrics`);
    return res.ok ? heapOf(await res.text()) : null;
  } catch {
    return null;
  }
}

export interface MemoryOptions {
  serverUrl: string;
  pid: number;
  reader: Storage;
  /** What the database takes on disk right now (backend-specific: see MemoryResult). */
  sizes(): Promise<{ databaseBytes: number; walBytes: number | null }>;
  targetEvents: number;
  log(line: string): void;
}

const countEvents = async (reader: Storage) => (await reader.read.get<{ n: number }>(sql`SELECT count(*) AS n FROM events`))?.n ?? 0;

/**
 * Tops the database up to targetEvents in three equal runs, reading the server's resident memory
 * after each (growth from run to run would be a leak), then the peak and the bytes per event.
 */
export async function memoryRuns(options: MemoryOptions): Promise<MemoryResult> {
  const rssAfterRuns: number[] = [];
  const heapAfterRuns: Array<HeapSample | null> = [];
  let peakHeap: HeapSample | null = null;
  const watchHeap = setInterval(() => {
    void sampleHeap(options.serverUrl).then((sample) => {
      if (sample !== null && sample.totalBytes > (peakHeap?.totalBytes ?? 0)) peakHeap = sample;
    });
  }, 1000);
  try {
    return await topUp(options, rssAfterRuns, heapAfterRuns, () => peakHeap);
  } finally {
    clearInterval(watchHeap);
  }
}

async function topUp(
  options: MemoryOptions,
  rssAfterRuns: number[],
  heapAfterRuns: Array<HeapSample | null>,
  peakHeap: () => HeapSample | null,
): Promise<MemoryResult> {
  for (let run = 0; run < 3; run++) {
    const missing = options.targetEvents - (await countEvents(options.reader));
    const amount = Math.max(CONNECTIONS, Math.ceil(missing / (3 - run)));
    const result = await runLoad({
      url: options.serverUrl,
      path: PURCHASE_ROUTE,
      headers: { authorization: `Bearer ${E2E_WEBHOOK_KEY}` },
      connections: CONNECTIONS,
      // Bounded in time too, so a slow machine still finishes the bench; the report says how many events it reached.
      durationSec: 40,
      maxRequests: amount,
    });
    await waitForDrain(options.reader, Date.now(), 120_000);
    const memory = memoryOf(options.pid);
    rssAfterRuns.push(memory?.rss ?? Number.NaN);
    const heap = await sampleHeap(options.serverUrl);
    heapAfterRuns.push(heap);
    options.log(
      `  run ${run + 1}: ${result.ok} more events at ${Math.round(result.rps)}/s, RSS ${mb(memory?.rss)} MB, main heap ${mb(heap?.totalBytes)} MB (${mb(heap?.usedBytes)} used)`,
    );
  }
  const events = await countEvents(options.reader);
  const { databaseBytes, walBytes } = await options.sizes();
  return {
    events,
    peakRssBytes: memoryOf(options.pid)?.peak ?? Number.NaN,
    rssAfterRuns,
    databaseBytes,
    walBytes,
    databaseBytesPerEvent: databaseBytes / Math.max(1, events),
    peakHeap: peakHeap(),
    heapAfterRuns,
  };
}

export const mb = (bytes: number | undefined) => (bytes === undefined ? Number.NaN : Math.round(bytes / 2 ** 20));
