import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './backend';

/** A lock another connection holds on the database, keeping the receiver's writes from committing. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Holds what a busy database would: on SQLite the file's write lock (BEGIN IMMEDIATE on a second
 * connection, as another process would), on PostgreSQL a SHARE lock on raw_requests, which lets
 * readers through but makes every insert wait.
 */
export async function holdWriteLock(database: TestDatabase): Promise<HeldLock> {
  if (database.url === null) {
    const db = new BetterSqlite3(database.env.DATABASE_PATH);
    db.exec('BEGIN IMMEDIATE');
    return {
      release: async () => {
        db.exec('COMMIT');
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE raw_requests IN SHARE MODE');
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}
