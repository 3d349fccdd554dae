import { throwIfMayNotStart, type WriteOptions, type WriteWork } from '../port';
import { sqliteTx, type SqliteConnection } from './connection';

interface Pending {
  work: WriteWork<unknown>;
  options: WriteOptions;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommitterOptions {
  /** Most closures in one transaction; keeps one commit from holding the event loop too long. */
  maxBatch?: number;
  /**
   * How long a batch keeps trying when another connection holds the write lock (SQLITE_BUSY at
   * BEGIN). 0 (default) fails at once, after the connection's own busy_timeout. With a short
   * busy_timeout and this set, the wait happens between event-loop turns instead of blocking the
   * thread inside SQLite, so requests keep being read and answer budgets keep running meanwhile.
   */
  busyRetryMs?: number;
}

const isBusy = (error: unknown) => /^SQLITE_BUSY/.test(String((error as { code?: unknown } | null)?.code ?? ''));

/** Resolved by the macrotask after the current one: a closure still pending then awaited something else. */
const OUTSIDE = Symbol('a write closure awaited something other than the database');
function nextMacrotask(): { promise: Promise<typeof OUTSIDE>; cancel(): void } {
  let handle: NodeJS.Immediate | undefined;
  const promise = new Promise<typeof OUTSIDE>((resolve) => {
    handle = setImmediate(() => resolve(OUTSIDE));
  });
  return { promise, cancel: () => clearImmediate(handle) };
}

export class ClosureAwaitedOutsideError extends Error {
  constructor() {
    super('a write closure awaited something other than its transaction handle (a timer, I/O, another promise); it was rolled back');
    this.name = 'ClosureAwaitedOutsideError';
  }
}

/**
 * Group commit: every write of the process goes through run(). Closures queued while the previous
 * commit was syncing run together in one IMMEDIATE transaction, each inside its own savepoint so one
 * failing closure does not undo the others, and every promise settles only after the commit has
 * reached the disk. One fsync then acknowledges many requests, equally durable as a commit each.
 *
 * Closures are async but await only their transaction handle, whose queries run synchronously: the
 * whole batch runs within one turn of the event loop, so nothing else interleaves with it. A
 * closure still pending at the next turn awaited something else; it is rolled back and rejected
 * (loudly) rather than left holding the write lock for every other writer.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly maxBatch: number;
  private readonly busyRetryMs: number;
  private batches = 0;
  private items = 0;
  /** When the current run of SQLITE_BUSY at BEGIN started; null while commits succeed. */
  private busySince: number | null = null;
  private busyDelayMs = 0;
  private batchWaiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly connection: SqliteConnection,
    options: GroupCommitterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    this.busyRetryMs = options.busyRetryMs ?? 0;
  }

  run<T>(work: WriteWork<T>, options: WriteOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as WriteWork<unknown>, options, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** True while a batch's transaction is open: reads on the same connection would see it uncommitted. */
  get inBatch(): boolean {
    return this.flushing !== null;
  }

  /** Resolves once no batch is open. */
  afterBatch(): Promise<void> {
    if (this.flushing === null) return Promise.resolve();
    return new Promise((resolve) => this.batchWaiters.push(resolve));
  }

  /** Commits everything queued, then refuses new work. */
  async close(): Promise<void> {
    if (this.queue.length > 0 || this.flushing !== null) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve);
        this.schedule();
      });
    }
    this.closed = true;
  }

  stats(): { batches: number; items: number; queued: number } {
    return { batches: this.batches, items: this.items, queued: this.queue.length };
  }

  private schedule(): void {
    if (this.scheduled || this.flushing !== null) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase, so requests that arrived during the last commit's
    // fsync are all parsed and queued before the next commit starts.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().then((result) => {
        this.flushing = null;
        for (const resolve of this.batchWaiters.splice(0)) resolve();
        if (result === 'busy') this.retryLater();
        else if (this.queue.length > 0) this.schedule();
        else for (const resolve of this.drainWaiters.splice(0)) resolve();
      });
    });
  }

  /**
   * Another connection holds the write lock: try again shortly. The cap is low because the other
   * writer is usually this process's apply thread, whose transactions last a few milliseconds.
   */
  private retryLater(): void {
    this.scheduled = true;
    this.busyDelayMs = Math.min(4, Math.max(1, this.busyDelayMs * 2));
    setTimeout(() => {
      this.scheduled = false;
      this.schedule();
    }, this.busyDelayMs);
  }

  private async flush(): Promise<'done' | 'busy'> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return 'done';
    const sql = (text: string) => this.connection.statement(text).run();
    try {
      sql('BEGIN IMMEDIATE');
    } catch (error) {
      // BEGIN failed on the lock: no closure ran, so the batch can simply wait for its next turn.
      if (isBusy(error) && !this.closed) {
        const now = Date.now();
        this.busySince ??= now;
        if (now - this.busySince < this.busyRetryMs) {
          this.queue.unshift(...batch);
          return 'busy';
        }
      }
      this.busySince = null;
      for (const item of batch) item.reject(error);
      return 'done';
    }
    this.busySince = null;
    this.busyDelayMs = 0;
    let outcomes: Outcome[];
    try {
      outcomes = await this.runAll(batch);
      sql('COMMIT');
    } catch (error) {
      try {
        if (this.connection.sqlite.inTransaction) sql('ROLLBACK');
      } catch {
        // the connection failed as a whole: there is nothing left to undo on it
      }
      for (const item of batch) item.reject(error);
      return 'done';
    }
    this.batches += 1;
    this.items += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    return 'done';
  }

  private async runAll(batch: Pending[]): Promise<Outcome[]> {
    const sql = (text: string) => this.connection.statement(text).run();
    let turn = nextMacrotask();
    const outcomes: Outcome[] = [];
    for (const item of batch) {
      try {
        // After BEGIN: a BEGIN that waited out another connection's lock may have outlasted it.
        throwIfMayNotStart(item.options);
      } catch (error) {
        outcomes.push({ ok: false, error });
        continue;
      }
      sql('SAVEPOINT item');
      const tx = sqliteTx(this.connection);
      try {
        const running = (async () => item.work(tx))();
        const value = await Promise.race([running, turn.promise]);
        if (value === OUTSIDE) {
          running.catch(() => undefined); // its later queries fail on the revoked handle
          throw new ClosureAwaitedOutsideError();
        }
        sql('RELEASE item');
        outcomes.push({ ok: true, value });
      } catch (error) {
        // Throws when SQLite already rolled the whole transaction back (a full disk, say): the
        // batch then fails as a whole, in flush.
        sql('ROLLBACK TO item');
        sql('RELEASE item');
        outcomes.push({ ok: false, error });
        if (error instanceof ClosureAwaitedOutsideError) turn = nextMacrotask();
      } finally {
        tx.revoke();
      }
    }
    turn.cancel();
    return outcomes;
  }
}
