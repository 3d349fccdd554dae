import type BetterSqlite3 from 'better-sqlite3';
import type { Queryable, Row, Signals, Storage, WriteOptions, WriteWork } from '../port';
import type { Sql } from '../sql';
import { queryable, SqliteConnection } from './connection';
import { openSqlite } from './database';
import { sqliteClaims } from './dialect';
import { GroupCommitter } from './group-commit';

export interface SqliteStorageOptions {
  file: string;
  /** How long a write waits for a lock held by another process. */
  busyTimeoutMs: number;
  commitMaxBatch?: number;
  /**
   * Longest a commit blocks the event loop waiting for another connection's write lock before it
   * retries later (between event-loop turns), up to busyTimeoutMs in all. Unset: wait inside SQLite.
   */
  lockPollMs?: number;
  migrationsFolder?: string;
}

/** One process, one database file: there is nobody to signal. */
const noSignals: Signals = { publish: () => undefined, subscribe: () => () => undefined };

const UNIQUE = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

/** The embedded backend: one SQLite file, every write through the group committer. */
export class SqliteStorage implements Storage {
  readonly backend = 'sqlite' as const;
  readonly writesInParallel = false;
  readonly writesInWith = false;
  readonly claims = sqliteClaims;
  readonly signals = noSignals;
  readonly read: Queryable;
  readonly connection: SqliteConnection;
  readonly committer: GroupCommitter;

  constructor(
    readonly sqlite: BetterSqlite3.Database,
    readonly file: string,
    options: { commitMaxBatch?: number; busyRetryMs?: number } = {},
  ) {
    this.connection = new SqliteConnection(sqlite);
    this.committer = new GroupCommitter(this.connection, { maxBatch: options.commitMaxBatch, busyRetryMs: options.busyRetryMs });
    this.read = this.readsAfterBatches(queryable(this.connection));
  }

  write<T>(work: WriteWork<T>, options?: WriteOptions): Promise<T> {
    return this.committer.run(work, options);
  }

  writeStatement<T = Row>(query: Sql, options?: WriteOptions): Promise<T[]> {
    // Inside the batch's savepoint, like any closure's statements.
    return this.committer.run(async () => this.connection.writeSync<T>(query), options);
  }

  isUniqueViolation(error: unknown): boolean {
    return UNIQUE.has(String((error as { code?: unknown } | null)?.code));
  }

  async close(): Promise<void> {
    await this.committer.close();
    if (this.sqlite.open) this.sqlite.close();
  }

  /**
   * Reads share the connection with the group committer: one arriving while a batch's transaction
   * is open (between two of its closures' awaits) waits for the commit, so it never sees, or
   * reports, writes that may still roll back.
   */
  private readsAfterBatches(q: Queryable): Queryable {
    const { committer } = this;
    return {
      all: <T = Row>(query: Sql) => (committer.inBatch ? committer.afterBatch().then(() => q.all<T>(query)) : q.all<T>(query)),
      get: <T = Row>(query: Sql) => (committer.inBatch ? committer.afterBatch().then(() => q.get<T>(query)) : q.get<T>(query)),
      run: (query: Sql) => (committer.inBatch ? committer.afterBatch().then(() => q.run(query)) : q.run(query)),
    };
  }
}

export function openSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const sqlite = openSqlite(options.file, { busyTimeoutMs: options.busyTimeoutMs, migrationsFolder: options.migrationsFolder });
  if (options.lockPollMs !== undefined) sqlite.pragma(`busy_timeout = ${Math.min(options.busyTimeoutMs, options.lockPollMs)}`);
  const busyRetryMs = options.lockPollMs === undefined ? 0 : options.busyTimeoutMs;
  return new SqliteStorage(sqlite, options.file, { commitMaxBatch: options.commitMaxBatch, busyRetryMs });
}
