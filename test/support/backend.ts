import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Storage } from '../../src/storage/port';
import { openStorage } from '../../src/storage';

// The backend a test run uses: one suite, chosen by IAPHOOK_TEST_BACKEND (sqlite by default).
// Every test file gets its own database (a SQLite file in a temp folder, or a PostgreSQL database
// copied from a migrated template) and drops it afterwards.

export type TestBackend = 'sqlite' | 'postgres';
export const TEST_BACKEND: TestBackend = process.env.IAPHOOK_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** A superuser connection to the server the PostgreSQL suite runs against (trust auth on CI). */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Databases this run creates are named iaphook_t_<pid of the jest parent>_…, so a later run can tell leftovers of dead runs. */
export const DB_PREFIX = 'iaphook_t_';
export const TEMPLATE_ENV = 'IAPHOOK_TEST_TEMPLATE_DB';
/** The jest parent's pid, set by the global setup (workers and in-band runs alike see it). */
export const RUN_PID_ENV = 'IAPHOOK_TEST_RUN_PID';

export function tempDir(prefix = 'iaphook-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface TestDatabase {
  backend: TestBackend;
  /** A fresh folder for what lives beside the database: the SQLite file, secrets, the spool. */
  dir: string;
  /** The configuration that points at it: DATABASE_PATH, and DATABASE_URL on PostgreSQL. */
  env: Record<string, string>;
  /** The PostgreSQL database's URL; null on SQLite. */
  url: string | null;
  /** Deletes the database and the folder. */
  drop(): Promise<void>;
}

/** A new, migrated, empty database on the backend under test. */
export async function createTestDatabase(backend: TestBackend = TEST_BACKEND): Promise<TestDatabase> {
  const dir = tempDir();
  const sqliteEnv = { DATABASE_PATH: path.join(dir, 'iaphook.db') };
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  if (backend === 'sqlite') return { backend, dir, env: sqliteEnv, url: null, drop: async () => removeDir() };
  const template = process.env[TEMPLATE_ENV];
  if (template === undefined) throw new Error(`${TEMPLATE_ENV} is not set: the PostgreSQL suite runs through jest's global setup`);
  const name = `${DB_PREFIX}${process.env[RUN_PID_ENV] ?? process.pid}_${randomBytes(6).toString('hex')}`;
  await createFromTemplate(name, template);
  const url = databaseUrl(name);
  return {
    backend,
    dir,
    env: { ...sqliteEnv, DATABASE_URL: url },
    url,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
      removeDir();
    },
  };
}

/** Copying a template is fast (no migrations per file); a concurrent copy of the same one may have to wait its turn. */
async function createFromTemplate(name: string, template: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await adminQuery(`CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)}`);
      return;
    } catch (error) {
      if (!/being accessed by other users/.test((error as Error).message) || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface TestStorage {
  storage: Storage;
  database: TestDatabase;
  /** Closes the storage and drops the database. */
  remove(): Promise<void>;
}

/**
 * Another storage on the same database: a second instance of a cluster (PostgreSQL), or a second
 * process's connection to the same file (SQLite). The caller closes it.
 */
export function openStorageOn(database: TestDatabase, poolSize = 4): Promise<Storage> {
  return openStorage(database.url === null ? { backend: 'sqlite', path: database.env.DATABASE_PATH } : { backend: 'postgres', url: database.url, poolSize }, {
    busyTimeoutMs: 5000,
    commitMaxBatch: 512,
  });
}

/** The storage port on a fresh database, for tests below the runtime (queue, ledger, repositories). */
export async function freshStorage(): Promise<TestStorage> {
  const database = await createTestDatabase();
  const storage = await openStorageOn(database);
  return {
    storage,
    database,
    remove: async () => {
      await storage.close();
      await database.drop();
    },
  };
}
