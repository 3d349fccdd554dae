import type { Sql } from './sql';

// The storage port: what the domain holds instead of a database. Two backends implement it,
// SQLite (storage/sqlite/, the embedded default) and PostgreSQL (storage/postgres/). Domain code
// writes portable SQL (storage/sql.ts) against these few methods and never learns which one runs.

export type Row = Record<string, unknown>;

/** Runs queries: inside a transaction (Tx) or, for reads, outside one (Storage.read). */
export interface Queryable {
  all<T = Row>(query: Sql): Promise<T[]>;
  /** The first row, or undefined. */
  get<T = Row>(query: Sql): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(query: Sql): Promise<number>;
}

/**
 * A transaction handle. A write closure must await only this handle's methods: on SQLite many
 * closures share one transaction back to back (group commit), so awaiting anything else (a timer,
 * an HTTP call) would hold every other writer up; the SQLite backend refuses such a closure.
 */
export interface Tx extends Queryable {
  /**
   * Serialises this transaction with every other one that locks the same key, until it ends.
   * SQLite runs one write transaction at a time, so there it costs nothing; PostgreSQL takes a
   * transaction-level advisory lock. Used where a read decides a write (a balance check, a
   * refund held for its purchase) and two instances could otherwise both decide at once.
   */
  lock(key: string): Promise<void>;
}

export type WriteWork<T> = (tx: Tx) => Promise<T>;

export interface WriteOptions {
  /** Aborted before its turn, the closure never runs and write() rejects with the abort reason. */
  signal?: AbortSignal;
  /**
   * Epoch milliseconds (Date.now()): a closure whose turn comes later never runs, and write()
   * rejects. For a caller that stops waiting at a known time (the receiver's answer budget): it is
   * read when the turn comes, so it holds where an abort could arrive too late (a thread blocked
   * on another process's lock reads its messages only after the lock is gone, when its writes
   * would already be running).
   */
  deadline?: number;
}

const PAST_DEADLINE = 'PAST_DEADLINE';

/** Why a write with a deadline did not run. Its code survives the database thread's replies, which carry only message and code. */
export class PastDeadline extends Error {
  readonly code = PAST_DEADLINE;
  constructor(deadline: number) {
    super(`the write's turn came ${Date.now() - deadline} ms after its deadline; it did not run`);
    this.name = 'PastDeadline';
  }
}

/** A PastDeadline, or its copy from the database thread. */
export const isPastDeadline = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === PAST_DEADLINE;

/** Throws the abort reason, or PastDeadline, when a write may no longer start. */
export function throwIfMayNotStart(options: WriteOptions): void {
  options.signal?.throwIfAborted();
  if (options.deadline !== undefined && Date.now() > options.deadline) throw new PastDeadline(options.deadline);
}

/** The dialect-specific SQL of the delivery core's claim (the queue owns the tables, the backend the locking). */
export interface ClaimSql {
  claim(options: ClaimQuery): Sql;
  /** The claim with a cap per concurrency key; run after lockCappedClaim() in the same transaction. */
  cappedClaim(options: ClaimQuery & { perKeyLimit: number; window: number }): Sql;
  /** Serialises capped claims across instances, so the per-key cap holds for the cluster. */
  lockCappedClaim(tx: Tx): Promise<void>;
}

export interface ClaimQuery {
  workerId: string;
  now: number;
  leaseMs: number;
  limit: number;
  kinds: readonly string[] | null;
}

/**
 * Messages between the instances sharing one database (PostgreSQL LISTEN/NOTIFY). With SQLite
 * there is one instance, so nothing is sent and nothing arrives. An instance never receives its
 * own messages: it already acted on them.
 */
export interface Signals {
  publish(channel: SignalChannel, payload: string): void;
  subscribe(channel: SignalChannel, listener: (payload: string) => void): () => void;
}

/** jobs: new work of a kind was committed; requests: a raw request was recorded (its id); subscriptions: an outbound subscription was saved or deleted. */
export type SignalChannel = 'jobs' | 'requests' | 'subscriptions';

export type Backend = 'sqlite' | 'postgres';

export interface Storage {
  readonly backend: Backend;
  /**
   * True when write transactions run side by side, each on a connection of its own (PostgreSQL's
   * pool); false when they take turns on one connection (SQLite's single writer).
   */
  readonly writesInParallel: boolean;
  /** Reads outside a transaction: they see committed data only. */
  readonly read: Queryable;
  /** Runs the closure in a transaction; resolves once it has committed (durably). */
  write<T>(work: WriteWork<T>, options?: WriteOptions): Promise<T>;
  /**
   * One statement as a write of its own, atomic as any statement is; resolves to its rows (those
   * of its RETURNING, if any) once it has committed (durably). PostgreSQL runs it without BEGIN and COMMIT: one round trip and one
   * statement where a transaction around it costs three. SQLite runs it in its group commit.
   */
  writeStatement<T = Row>(query: Sql, options?: WriteOptions): Promise<T[]>;
  /**
   * True when a statement's WITH clauses may insert, update or delete (PostgreSQL): writes that
   * depend only on each other's RETURNING then make one statement. SQLite's WITH only reads.
   */
  readonly writesInWith: boolean;
  readonly claims: ClaimSql;
  readonly signals: Signals;
  /** True when a thrown error is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /** Finishes queued writes, then closes every connection. */
  close(): Promise<void>;
}
