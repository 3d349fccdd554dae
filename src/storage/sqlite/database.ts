import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { projectRoot } from '../../shared/project-root';

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

export interface OpenOptions {
  busyTimeoutMs?: number;
  migrationsFolder?: string;
  readonly?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const SQLITE_MIGRATIONS = path.join(projectRoot(), 'db', 'migrations', 'sqlite');

/**
 * Opens (creating folders and schema as needed) the SQLite database.
 * WAL lets readers run beside the single writer; synchronous=FULL makes every commit reach the
 * disk before it returns, which is what lets us answer 2xx only for events that survive a crash.
 */
export function openSqlite(file: string, options: OpenOptions = {}): BetterSqlite3.Database {
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
  // The stored body as text, or NULL when it is not valid UTF-8 (as PostgreSQL's twin of it does):
  // a search must not match the replacement characters of bytes that are not text at all.
  sqlite.function('iaphook_try_text', { deterministic: true }, (body: unknown) => {
    if (body === null || body === undefined) return null;
    if (typeof body === 'string') return body;
    try {
      return utf8.decode(body as Uint8Array);
    } catch {
      return null;
    }
  });
  if (!options.readonly) migrate(drizzle(sqlite), { migrationsFolder: options.migrationsFolder ?? SQLITE_MIGRATIONS });
  return sqlite;
}
