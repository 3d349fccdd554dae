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
    options.log(`  run ${run + 1}: ${result.ok} more events at ${Math.round(result.rps)}/s, RSS ${mb(memory?.rss)} MB`);
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
  };
}

export const mb = (bytes: number | undefined) => (bytes === undefined ? Number.NaN : Math.round(bytes / 2 ** 20));
