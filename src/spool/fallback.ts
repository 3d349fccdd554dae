import type { ValueRef } from '../nachocode';
import { AppError } from '../shared/errors';
import { isPastDeadline, type WriteOptions } from '../storage/port';
import type { Spool } from './spool';
import type { SpoolEntry } from './format';

export interface SpoolFallback {
  spool: Pick<Spool, 'append'>;
  /** How long a write may take before the request goes to the spool instead. */
  budgetMs: number;
  /**
   * The same for the record of a rejected request: its answer does not wait on the database, so
   * a busy one (or a flood of bad requests while it is busy) cannot slow 4xx answers down.
   */
  rejectedBudgetMs?: number;
  /** After an entry is safely spooled (wake the drainer, count it). Must return at once. */
  onSpooled?(entry: SpoolEntry): void;
}

export type Stored<T> =
  | { kind: 'written'; value: T }
  /** With keepWriting and a write overtaken by the budget: `writing` is that write, still under way. */
  | { kind: 'spooled'; reason: string; writing?: Promise<T> };

export interface WriteOrSpoolOptions {
  /** Replaces the fallback's budget. */
  budgetMs?: number;
  /**
   * Let a write overtaken by the budget go on instead of aborting it. Right for a write whose
   * late landing records the same thing as its spooled copy (a rejection: the same answer either
   * way); the copy is then skipped when the spool is ingested.
   */
  keepWriting?: boolean;
  /**
   * false: the spooled line is written before the answer but synced later (see Spool.append), so
   * the answer never waits on the disk. It still survives the process being killed right after.
   */
  sync?: boolean;
}

/**
 * Runs a database write under the answer budget. When the write fails (locked by another process
 * past its busy timeout, disk full, I/O error) or has not committed when the budget runs out, the
 * request is appended to the spool and synced instead, and the caller answers as if stored: the
 * spool is ingested through the normal dedupe once the database is back. A write overtaken by the
 * budget is aborted if it has not started (unless keepWriting); if it lands anyway, its raw
 * request id makes the spooled copy a no-op. Only when the spool fails too does this throw: a 503
 * the sender can see. Without a fallback the write runs as it always did.
 */
export function writeOrSpool<T>(
  fallback: SpoolFallback | undefined,
  write: (guard: WriteOptions) => Promise<T>,
  entry: (reason: string) => SpoolEntry,
  options: WriteOrSpoolOptions = {},
): Promise<Stored<T>> {
  if (fallback === undefined) return write({}).then((value) => ({ kind: 'written', value }));
  const budgetMs = options.budgetMs ?? fallback.budgetMs;
  // A write that may not outlast the budget is told when it ends, not only sent an abort then: a
  // database thread blocked on a lock would read the abort after running the write.
  const deadline = options.keepWriting ? undefined : Date.now() + budgetMs;
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    let settled = false;
    let writing: Promise<T> | undefined;
    const spool = (reason: string, cause: unknown, overtaken: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const spooled = entry(reason);
      try {
        fallback.spool.append(spooled, { sync: options.sync ?? true });
      } catch (spoolError) {
        const message = 'the request could not be stored (database and spool both failed); retry later';
        reject(new AppError('service_unavailable', message, undefined, { cause: new AggregateError([cause, spoolError], reason) }));
        return;
      }
      fallback.onSpooled?.(spooled);
      if (overtaken && options.keepWriting) {
        resolve({ kind: 'spooled', reason, writing });
        return;
      }
      controller.abort(new Error('the request went to the spool'));
      resolve({ kind: 'spooled', reason });
    };
    const overBudget = `not committed within the ${budgetMs} ms answer budget`;
    const timer = setTimeout(() => spool(overBudget, new Error('answer budget'), true), budgetMs);
    writing = write({ signal: controller.signal, deadline });
    writing.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ kind: 'written', value });
      },
      (error: unknown) =>
        // Refused at its turn for the deadline: the budget ran out, whichever timer noticed first.
        isPastDeadline(error)
          ? spool(overBudget, error, false)
          : spool(`the database write failed: ${(error as Error)?.message ?? String(error)}`, error, false),
    );
  });
}

/**
 * The answer to a spooled request. Whether it repeats an earlier event, and its event id, are
 * decided when the spool is ingested, so both are null rather than guessed.
 */
export function spooledBody(unknownValues: ValueRef[] = []) {
  const body = { received: true, duplicate: null, eventId: null, spooled: true };
  return unknownValues.length === 0 ? body : { ...body, unknownValues };
}
