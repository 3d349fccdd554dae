import type { Database, Db } from './database';

export type Work<T> = (db: Db) => T;

interface Pending {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommitterOptions {
  /** Most closures in one transaction; keeps one commit from holding the event loop too long. */
  maxBatch?: number;
}

/**
 * Group commit: every write of the process goes through run(). Closures queued while the previous
 * commit was syncing run together in one IMMEDIATE transaction, each inside its own savepoint so one
 * failing closure does not undo the others, and every promise settles only after the commit has
 * reached the disk. One fsync then acknowledges many requests: with synchronous=FULL a commit per
 * request reaches about 0.44 of a bare Express endpoint, a commit per batch about 0.8, equally durable.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private readonly maxBatch: number;
  private batches = 0;
  private items = 0;
  private readonly commitBatch: (batch: Pending[]) => Outcome[];

  constructor(database: Database, options: GroupCommitterOptions = {}) {
    this.maxBatch = options.maxBatch ?? 512;
    const { sqlite, db } = database;
    // A transaction function called inside another runs as a savepoint (better-sqlite3).
    const inSavepoint = sqlite.transaction((work: Work<unknown>) => work(db));
    const all = sqlite.transaction((batch: Pending[]) =>
      batch.map((item): Outcome => {
        try {
          return { ok: true, value: inSavepoint(item.work) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    this.commitBatch = (batch) => all.immediate(batch);
  }

  run<T>(work: Work<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commits everything queued now, synchronously. Used at shutdown. */
  drain(): void {
    while (this.queue.length > 0) this.flush();
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
      this.flush();
      if (this.queue.length > 0) this.schedule();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.batches += 1;
    this.items += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
