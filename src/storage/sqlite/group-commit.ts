import type { Database, Db } from './database';

export type Work<T> = (db: Db) => T;

interface Pending {
  work: Work<unknown>;
  signal?: AbortSignal;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface RunOptions {
  /** Aborted before its turn, the closure never runs and run() rejects with the abort reason. */
  signal?: AbortSignal;
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

/**
 * Group commit: every write of the process goes through run(). Closures queued while the previous
 * commit was syncing run together in one IMMEDIATE transaction, each inside its own savepoint so one
 * failing closure does not undo the others, and every promise settles only after the commit has
 * reached the disk. One fsync then acknowledges many requests, equally durable as a commit each.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private readonly maxBatch: number;
  private batches = 0;
  private items = 0;
  private readonly commitBatch: (batch: Pending[]) => Outcome[];
  private readonly busyRetryMs: number;
  /** When the current run of SQLITE_BUSY at BEGIN started; null while commits succeed. */
  private busySince: number | null = null;
  private busyDelayMs = 0;
  private began = false;

  constructor(database: Database, options: GroupCommitterOptions = {}) {
    this.maxBatch = options.maxBatch ?? 512;
    this.busyRetryMs = options.busyRetryMs ?? 0;
    const { sqlite, db } = database;
    // A transaction function called inside another runs as a savepoint (better-sqlite3).
    const inSavepoint = sqlite.transaction((work: Work<unknown>) => work(db));
    const all = sqlite.transaction((batch: Pending[]) => {
      this.began = true;
      return batch.map((item): Outcome => {
        if (item.signal?.aborted) return { ok: false, error: item.signal.reason };
        try {
          return { ok: true, value: inSavepoint(item.work) };
        } catch (error) {
          return { ok: false, error };
        }
      });
    });
    this.commitBatch = (batch) => all.immediate(batch);
  }

  run<T>(work: Work<T>, options: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, signal: options.signal, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commits everything queued now, synchronously. Used at shutdown. */
  drain(): void {
    while (this.queue.length > 0) this.flush(false);
  }

  close(): void {
    this.drain();
    this.closed = true;
  }

  stats(): { batches: number; items: number; queued: number } {
    return { batches: this.batches, items: this.items, queued: this.queue.length };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase, so requests that arrived during the last commit's
    // fsync are all parsed and queued before the next commit starts.
    setImmediate(() => {
      this.scheduled = false;
      if (this.flush(true) === 'busy') return this.retryLater();
      if (this.queue.length > 0) this.schedule();
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

  private flush(mayRetry: boolean): 'done' | 'busy' {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return 'done';
    let outcomes: Outcome[];
    this.began = false;
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      // BEGIN failed on the lock: no closure ran, so the batch can simply wait for its next turn.
      if (mayRetry && !this.began && isBusy(error)) {
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
    this.batches += 1;
    this.items += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    return 'done';
  }
}
