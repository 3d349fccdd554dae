import pg from 'pg';
import type { Storage } from '../../src/storage';
import { sql } from '../../src/storage';

// The bench's PostgreSQL side: an admin connection to the server at BENCH_POSTGRES_URL, one
// database of its own (created fresh for each part, dropped at the end), and what the bench reads
// about it that the storage port does not say: its size and the server processes serving it.

export const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_DATABASE = `iaphook_bench_${process.pid}`;
/** The bench's own reader tags its connections, so their CPU is never counted as the server's. */
export const READER_APP = 'iaphook-bench-reader';

/** The URL without its password, for messages. */
export function shownUrl(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

/** The admin URL pointed at another database, keeping its user, host and parameters. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Another connection's URL with an application_name (seen in pg_stat_activity). */
export function tagged(url: string, applicationName: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', applicationName);
  return u.toString();
}

async function admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export interface PostgresServer {
  version: string;
  /** The admin URL, password hidden. */
  url: string;
  /** What a COMMIT waits for there. */
  durability: string;
}

/** The server's version and durability settings, or why it could not be reached (then the PostgreSQL rows are skipped). */
export async function probe(): Promise<PostgresServer | { error: string }> {
  try {
    const [row] = await admin<{ version: string; sync: string; fsync: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync`,
    );
    return { version: row.version, url: shownUrl(ADMIN_URL), durability: `synchronous_commit=${row.sync}, fsync=${row.fsync}` };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { error: e.message || e.code || String(error) };
  }
}

// Creates and drops run one after another, and none is started once the bench is closing: an
// interrupted run (Ctrl-C) goes on for a moment while it cleans up, and must not recreate the
// database after the final drop.
let chain: Promise<unknown> = Promise.resolve();
let closing = false;
const serial = <T>(work: () => Promise<T>): Promise<T> => {
  const next = chain.then(work, work);
  chain = next.catch(() => undefined);
  return next;
};

/** Terminates its sessions, then drops it; again if a pool reconnected in between (works on any version). */
async function drop(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [BENCH_DATABASE]);
    try {
      await admin(`DROP DATABASE IF EXISTS "${BENCH_DATABASE}"`);
      return;
    } catch (error) {
      if (!/being accessed by other users/.test((error as Error).message) || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The final drop: after it, freshBenchDatabase refuses. */
export function dropBenchDatabase(): Promise<void> {
  closing = true;
  return serial(drop);
}

/** An empty bench database (the previous part's dropped): each part starts from no rows. Its URL. */
export function freshBenchDatabase(): Promise<string> {
  return serial(async () => {
    if (closing) throw new Error('the bench is closing');
    await drop();
    await admin(`CREATE DATABASE "${BENCH_DATABASE}"`);
    return databaseUrl(BENCH_DATABASE);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Drops the databases of earlier runs killed before their cleanup (kill -9): their bench process
 * is gone. Only on a server on this machine, where a pid says whether its run is still going.
 */
export async function dropLeftovers(): Promise<void> {
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(ADMIN_URL).hostname)) return;
  const rows = await admin<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ '^iaphook_bench_[0-9]+$'`);
  for (const { datname } of rows) {
    if (alive(Number(datname.slice('iaphook_bench_'.length)))) continue;
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [datname]);
    await admin(`DROP DATABASE IF EXISTS "${datname}"`);
  }
}

/** pg_database_size: tables, indexes and TOAST of this database. The WAL is the server's, shared by all its databases. */
export async function databaseSize(reader: Storage): Promise<number> {
  return (await reader.read.get<{ n: number }>(sql`SELECT pg_database_size(current_database()) AS n`))?.n ?? Number.NaN;
}

/**
 * The pids of the PostgreSQL backends serving the iaphook instances on this database (pool and
 * LISTEN connections; not the bench's reader). Their CPU is the database's share of a request.
 * Optionally only those of one application_name (one instance of a pair).
 */
export function serverBackends(reader: Storage, applicationName?: string): () => Promise<number[]> {
  const which = applicationName === undefined ? sql`coalesce(application_name, '') <> ${READER_APP}` : sql`application_name = ${applicationName}`;
  return async () =>
    (
      await reader.read.all<{ pid: number }>(
        sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND ${which}`,
      )
    ).map((r) => r.pid);
}

/** True when no backend of that application is inside a transaction or a query. */
export async function quiet(reader: Storage, applicationName: string): Promise<boolean> {
  const row = await reader.read.get<{ n: number }>(
    sql`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${applicationName} AND state <> 'idle'`,
  );
  return (row?.n ?? 0) === 0;
}
