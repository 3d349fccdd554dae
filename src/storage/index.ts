import type { DatabaseConfig } from '../config';
import type { Storage } from './port';

export type { Backend, ClaimSql, Queryable, Row, Signals, Storage, Tx, WriteOptions, WriteWork } from './port';
export { escapeLike, fn, sql, Sql } from './sql';

export interface OpenStorageOptions {
  /** SQLite: how long a write waits for another process's write lock. */
  busyTimeoutMs: number;
  /** SQLite: most closures in one group commit. */
  commitMaxBatch: number;
  /** Connection trouble worth a log line (PostgreSQL's listener reconnecting). */
  onError?(error: Error, context: string): void;
}

/** Longest a SQLite commit blocks the event loop on another process's write lock before retrying later. */
const SQLITE_LOCK_POLL_MS = 10;

/**
 * The one place that chooses a backend. Each is loaded only when chosen, so a PostgreSQL
 * deployment never loads better-sqlite3 (nor creates a SQLite file), and the reverse.
 */
export async function openStorage(database: DatabaseConfig, options: OpenStorageOptions): Promise<Storage> {
  if (database.backend === 'postgres') {
    const { PostgresStorage } = await import('./postgres/storage');
    return PostgresStorage.open({ url: database.url, poolSize: database.poolSize, onError: options.onError });
  }
  const { openSqliteStorage } = await import('./sqlite/storage');
  return openSqliteStorage({
    file: database.path,
    busyTimeoutMs: options.busyTimeoutMs,
    commitMaxBatch: options.commitMaxBatch,
    // Lock waits happen between event-loop turns (the committer retries BEGIN), not asleep inside
    // SQLite: requests keep being read and answer budgets keep running while another process writes.
    lockPollMs: SQLITE_LOCK_POLL_MS,
  });
}
