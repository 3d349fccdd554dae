import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from '../../db/schema';
import { projectRoot } from '../shared/project-root';
import { cacheStatements } from './statement-cache';

export type Db = BetterSQLite3Database<typeof schema>;

/**
 * The database holds signing secrets and subscription tokens: it is created 0600 (its folder 0700
 * when we create it), and an existing file is narrowed to 0600. SQLite gives the -wal and -shm
 * files the database file's mode, so they follow; existing ones are narrowed too.
 */
function ownerOnly(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(f, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

export interface Database {
  /** The raw connection: transactions and pragmas. */
  readonly sqlite: BetterSqlite3.Database;
  /** The drizzle handle repositories use. Inside a committer closure it runs in that transaction. */
  readonly db: Db;
  readonly file: string;
  close(): void;
}

export interface OpenOptions {
  busyTimeoutMs?: number;
  migrationsFolder?: string;
  readonly?: boolean;
}

/**
 * Opens (creating folders and schema as needed) the SQLite database.
 * WAL lets readers run beside the single writer; synchronous=FULL makes every commit reach the
 * disk before it returns, which is what lets us answer 2xx only for events that survive a crash.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:' && !options.readonly) ownerOnly(file);
  const sqlite = new BetterSqlite3(file, { readonly: options.readonly ?? false });
  sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (!options.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  // Every group-commit item runs in a savepoint, and a savepoint journals the pages it changes: in a
  // temp file (a write() per page, about 80 KB per webhook) unless temp storage is memory.
  sqlite.pragma('temp_store = MEMORY');
  cacheStatements(sqlite);
  const db = drizzle(sqlite, { schema });
  if (!options.readonly) {
    migrate(db, { migrationsFolder: options.migrationsFolder ?? path.join(projectRoot(), 'db', 'migrations') });
  }
  return {
    sqlite,
    db,
    file,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
