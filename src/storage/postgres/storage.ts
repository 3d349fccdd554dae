import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { throwIfMayNotStart, type Queryable, type Row, type Storage, type Tx, type WriteOptions, type WriteWork } from '../port';
import { compile, sql, type Sql } from '../sql';
import { pgClaims, pgRenderer } from './dialect';
import { migratePostgres } from './migrate';
import { PgSignals } from './signals';

export interface PostgresStorageOptions {
  url: string;
  /** Connections in the pool; every in-flight write holds one for its transaction. */
  poolSize: number;
  /** Logs connection trouble (the listener reconnecting); never queries or values. */
  onError?(error: Error, context: string): void;
  migrationsFolder?: string;
}

// bigint (int8) and numeric come back as strings by default, for precision beyond 2^53. Our
// bigints are epoch milliseconds, ids and counts, all far below that: numbers, as on SQLite.
const types = {
  getTypeParser: (oid: number, format?: string) => {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    if (oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Serialisation failures and deadlocks: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_TRIES = 4;

/**
 * A prepared statement whose table gained or lost a column since it was prepared (another
 * instance migrated during a rolling upgrade) fails once on each connection with this error, then
 * runs re-planned. Nothing ran, so the statement (or the transaction) simply runs again.
 */
const isStalePlan = (error: unknown) => codeOf(error) === '0A000' && /cached plan must not change result type/.test(String((error as Error).message));
const mayRetry = (error: unknown) => RETRYABLE.has(codeOf(error)) || isStalePlan(error);

/**
 * Statements run as named prepared statements, parsed and planned once per connection instead of
 * at every call: most of ours are a handful of hot texts run thousands of times. Texts are few
 * (the portable SQL renders lists as one array parameter), but in case some vary without bound,
 * only the first MAX_NAMED get a name; the rest run unnamed as before.
 */
const MAX_NAMED = 500;
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `iaphook_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Holds the connection's writes until the current turn of the event loop has issued all it will:
 * statements sent without waiting for each other then leave in one system call (and wake the
 * server's backend once) instead of one each. pg corks each statement's own messages the same way.
 */
function corkTurn(client: pg.PoolClient, state: { corked: boolean }): void {
  if (state.corked) return;
  const { stream } = (client as unknown as pg.Client).connection;
  state.corked = true;
  stream.cork();
  process.nextTick(() => {
    state.corked = false;
    stream.uncork();
  });
}

type Send = (config: pg.QueryConfig) => Promise<pg.QueryResult>;

/** Portable queries over `send`, which runs one statement (on a transaction's client, or a read on the pool). */
function queryableOn(send: Send): Queryable {
  const query = <T>(query: Sql) => {
    const { text, params } = compile(query, pgRenderer);
    // A statement without parameters (BEGIN, a constant read) gains little from a name.
    const name = params.length > 0 ? nameOf(text) : undefined;
    return send({ name, text, values: params }) as Promise<pg.QueryResult<T & pg.QueryResultRow>>;
  };
  return {
    all: async <T = Row>(q: Sql) => (await query<T>(q)).rows as T[],
    get: async <T = Row>(q: Sql) => (await query<T>(q)).rows[0] as T | undefined,
    run: async (q: Sql) => (await query(q)).rowCount ?? 0,
  };
}

/**
 * A statement outside a transaction (a read, or a write of one statement): after a stale plan it
 * runs again on a fresh connection (the old one is closed, and its prepared statements with it).
 */
function poolStatement(pool: pg.Pool, options: WriteOptions = {}): Send {
  return async (config) => {
    for (let attempt = 1; ; attempt += 1) {
      const connection = await pool.connect();
      try {
        // A write aborted (or past its deadline) while it waited for a connection never runs.
        throwIfMayNotStart(options);
        const result = await connection.query(config);
        connection.release();
        return result;
      } catch (error) {
        const stale = isStalePlan(error);
        connection.release(stale);
        if (!(stale && attempt < MAX_TRIES)) throw error;
      }
    }
  };
}

/**
 * The PostgreSQL backend: a pg pool shared by every instance's reads and writes. Each write is its
 * own transaction (PostgreSQL groups concurrent commits' WAL flushes by itself), committed before
 * write() resolves, so an acknowledged webhook is as durable as on SQLite.
 *
 * Connections run in pipeline mode: queries issued without waiting for each other's answers (a
 * closure's Promise.all over statements that do not depend on one another, and BEGIN with the
 * first statement) travel in one round trip instead of one each. On two shared cores a round trip
 * costs more in system calls and wake-ups, on both sides, than the statements themselves.
 */
export class PostgresStorage implements Storage {
  readonly backend = 'postgres' as const;
  readonly writesInParallel = true;
  readonly writesInWith = true;
  readonly claims = pgClaims;
  readonly read: Queryable;
  readonly signals: PgSignals;

  /** Tells this instance's messages apart from the others'. */
  readonly instanceId = randomUUID();

  private constructor(
    readonly pool: pg.Pool,
    private readonly options: PostgresStorageOptions,
  ) {
    this.read = queryableOn(poolStatement(pool));
    this.signals = new PgSignals({ pool, url: options.url, instanceId: this.instanceId, onError: options.onError });
  }

  /** Connects, applies the migrations (one instance at a time) and starts listening for signals. */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, types, pipeline: true });
    // An idle client losing its connection (a server restart) must not crash the process.
    pool.on('error', (error) => options.onError?.(error, 'idle pool connection'));
    try {
      await migratePostgres(options.url, options.migrationsFolder);
      const storage = new PostgresStorage(pool, options);
      await storage.signals.start();
      return storage;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async write<T>(work: WriteWork<T>, options: WriteOptions = {}): Promise<T> {
    throwIfMayNotStart(options);
    let client = await this.pool.connect();
    let released = false;
    try {
      // The abort (or the deadline) may have come while waiting for a connection: the closure still has not run.
      throwIfMayNotStart(options);
      for (let attempt = 1; ; attempt += 1) {
        // Not awaited: BEGIN goes out with the closure's first statement. If it fails, so does that
        // statement (the connection is gone), and the closure rejects.
        const cork = { corked: false };
        corkTurn(client, cork);
        const begun = client.query('BEGIN');
        begun.catch(() => undefined);
        try {
          const tx = pgTx(client, cork);
          const value = await work(tx);
          await Promise.all([begun, tx.settle()]);
          await client.query('COMMIT');
          return value;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (!(mayRetry(error) && attempt < MAX_TRIES)) throw error;
          if (isStalePlan(error)) {
            // Re-planning it inside the transaction was rolled back with it: a fresh connection
            // prepares the statement anew (the old one is closed, and its statements with it).
            client.release(true);
            released = true;
            client = await this.pool.connect();
            released = false;
          }
        }
      }
    } finally {
      if (!released) client.release();
    }
  }

  async writeStatement<T = Row>(query: Sql, options: WriteOptions = {}): Promise<T[]> {
    // Outside a transaction the statement commits on its own, as a read runs.
    const statement = queryableOn(poolStatement(this.pool, options));
    for (let attempt = 1; ; attempt += 1) {
      throwIfMayNotStart(options);
      try {
        return await statement.all<T>(query);
      } catch (error) {
        // A failed statement changed nothing: a deadlock's or serialisation failure's may run again.
        if (!(RETRYABLE.has(codeOf(error)) && attempt < MAX_TRIES)) throw error;
      }
    }
  }

  isUniqueViolation(error: unknown): boolean {
    return codeOf(error) === '23505';
  }

  async close(): Promise<void> {
    await this.signals.stop();
    await this.pool.end();
  }
}

/**
 * A transaction on one pooled client; locks are transaction-level advisory locks. lock() resolves
 * at once and its statement rides along with the next one: PostgreSQL runs a connection's
 * statements in order, so the lock is held before anything sent after it runs. The lock's answer
 * is awaited with that next statement (or before COMMIT, see settle), so a deadlock or a lost
 * connection still rejects there, with the lock's own error.
 */
function pgTx(client: pg.PoolClient, cork: { corked: boolean }): Tx & { settle(): Promise<void> } {
  const q = queryableOn((config) => {
    corkTurn(client, cork);
    return client.query(config);
  });
  // Keys locked since the last statement: taken by one statement sent just before the next one
  // (in the order they were asked for, as a SELECT evaluates its list), whose answer waits for it.
  let keys: string[] = [];
  let locks: Array<Promise<unknown>> = [];
  const sendLocks = () => {
    if (keys.length === 0) return;
    const each = keys.map((key) => sql`pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
    keys = [];
    const taken = q.run(sql`SELECT ${sql.join(each)}`);
    // Awaited later; until then a rejection must not count as unhandled.
    taken.catch(() => undefined);
    locks.push(taken);
  };
  const afterLocks = <T>(next: () => Promise<T>): Promise<T> => {
    sendLocks();
    if (locks.length === 0) return next();
    const sent = locks;
    locks = [];
    return Promise.all([...sent, next()]).then((results) => results[results.length - 1] as T);
  };
  return {
    all: <T = Row>(query: Sql) => afterLocks(() => q.all<T>(query)),
    get: <T = Row>(query: Sql) => afterLocks(() => q.get<T>(query)),
    run: (query: Sql) => afterLocks(() => q.run(query)),
    lock: (key) => {
      keys.push(key);
      return Promise.resolve();
    },
    settle: () => afterLocks(() => Promise.resolve()).then(() => undefined),
  };
}

function codeOf(error: unknown): string {
  return String((error as { code?: unknown } | null)?.code ?? '');
}
