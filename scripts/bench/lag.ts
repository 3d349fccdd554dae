import { loadConfig } from '../../src/config';
import { fn, openStorage, sql, type Storage } from '../../src/storage';
import { READER_APP, tagged } from './postgres';
import { quantile, sleep } from './stats';

export interface LagResult {
  /** Events acknowledged in the run and found applied. */
  applied: number;
  p50: number;
  p99: number;
  max: number;
  /** From the end of the load until no event waits for the ledger. */
  drainMs: number;
  /** Still waiting when the drain timed out (0 when drained). */
  pending: number;
  /** Every acknowledged event's lag (ms), for pooled percentiles. */
  samples: number[];
}

/**
 * The storage port on the server's database, configured as the server reads its environment
 * (DATABASE_URL, else SQLite at DATABASE_PATH), so the same queries measure either backend. On
 * SQLite it is a second connection beside the server's writer (WAL); the migrations it applies on
 * open are a no-op on the server's file. On PostgreSQL a small pool, tagged so its backends'
 * CPU is never counted as the server's.
 */
export async function openReader(env: Record<string, string>): Promise<Storage> {
  const url = env.DATABASE_URL === undefined ? undefined : tagged(env.DATABASE_URL, READER_APP);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_PATH: env.DATABASE_PATH, DATABASE_URL: url, DATABASE_POOL_SIZE: '2' });
  return openStorage(config.database, { busyTimeoutMs: 5000, commitMaxBatch: 1 });
}

const waiting = sql`SELECT count(*) AS n FROM events WHERE status IN ('received', 'failed')`;

/** Waits until no event is left in `received` (or the deadline passes); returns how long it took. */
export async function waitForDrain(reader: Storage, loadEndedAt: number, timeoutMs: number): Promise<{ drainMs: number; pending: number }> {
  const count = async () => (await reader.read.get<{ n: number }>(waiting))?.n ?? 0;
  const deadline = Date.now() + timeoutMs;
  let pending = await count();
  while (pending > 0 && Date.now() < deadline) {
    await sleep(20);
    pending = await count();
  }
  return { drainMs: Math.max(0, Date.now() - loadEndedAt), pending };
}

/** Ids per query: one bound list parameter each, so a round's thousands of events take a few queries. */
const CHUNK = 2000;

/**
 * Processing lag per acknowledged event: applied_at (server clock) minus the moment its 200
 * reached the load generator (same machine, same clock). A 200 sent a moment before applying can
 * show a negative lag of a millisecond; it is clamped to 0.
 */
export async function processingLag(reader: Storage, acks: Map<string, number>): Promise<Pick<LagResult, 'applied' | 'p50' | 'p99' | 'max' | 'samples'>> {
  const lags: number[] = [];
  const ids = [...acks.keys()];
  for (let start = 0; start < ids.length; start += CHUNK) {
    const rows = await reader.read.all<{ id: string; appliedAt: number | null }>(
      sql`SELECT id, applied_at AS "appliedAt" FROM events WHERE ${fn.inList(sql`id`, ids.slice(start, start + CHUNK))}`,
    );
    for (const row of rows) if (row.appliedAt != null) lags.push(Math.max(0, row.appliedAt - acks.get(row.id)!));
  }
  return { applied: lags.length, p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: quantile(lags, 1), samples: lags };
}
