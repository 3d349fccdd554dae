import BetterSqlite3 from 'better-sqlite3';
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

/** A read-only look at the server's database (WAL lets it read beside the writer). */
export function openReader(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Waits until no event is left in `received` (or the deadline passes); returns how long it took. */
export async function waitForDrain(db: BetterSqlite3.Database, loadEndedAt: number, timeoutMs: number): Promise<{ drainMs: number; pending: number }> {
  const count = db.prepare(`SELECT count(*) AS n FROM events WHERE status IN ('received', 'failed')`);
  const deadline = Date.now() + timeoutMs;
  let pending = (count.get() as { n: number }).n;
  while (pending > 0 && Date.now() < deadline) {
    await sleep(20);
    pending = (count.get() as { n: number }).n;
  }
  return { drainMs: Math.max(0, Date.now() - loadEndedAt), pending };
}

/**
 * Processing lag per acknowledged event: applied_at (server clock) minus the moment its 200
 * reached the load generator (same machine, same clock). A 200 sent a moment before applying can
 * show a negative lag of a millisecond; it is clamped to 0.
 */
export function processingLag(db: BetterSqlite3.Database, acks: Map<string, number>): Pick<LagResult, 'applied' | 'p50' | 'p99' | 'max' | 'samples'> {
  const lags: number[] = [];
  const select = db.prepare(`SELECT applied_at AS appliedAt FROM events WHERE id = ?`);
  for (const [eventId, ackedAt] of acks) {
    const row = select.get(eventId) as { appliedAt: number | null } | undefined;
    if (row?.appliedAt != null) lags.push(Math.max(0, row.appliedAt - ackedAt));
  }
  return { applied: lags.length, p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: quantile(lags, 1), samples: lags };
}
