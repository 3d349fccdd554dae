import { AppError } from '../shared/errors';
import type { Spool } from './spool';
import type { SpoolEntry } from './format';

export interface SpoolFallback {
  spool: Pick<Spool, 'append'>;
  /** How long a write may take before the request goes to the spool instead. */
  budgetMs: number;
  /** After an entry is safely spooled (wake the drainer, count it). Must return at once. */
  onSpooled?(entry: SpoolEntry): void;
}

export type Stored<T> = { kind: 'written'; value: T } | { kind: 'spooled'; reason: string };

/**
 * Runs a database write under the answer budget. When the write fails (locked by another process
 * past its busy timeout, disk full, I/O error) or has not committed when the budget runs out, the
 * request is appended to the spool and synced instead, and the caller answers as if stored: the
 * spool is ingested through the normal dedupe once the database is back. A write overtaken by the
 * budget is aborted if it has not started; if it lands anyway, its raw request id makes the
 * spooled copy a no-op. Only when the spool fails too does this throw: a 503 the sender can see.
 * Without a fallback the write runs as it always did.
 */
export function writeOrSpool<T>(
  fallback: SpoolFallback | undefined,
  write: (signal?: AbortSignal) => Promise<T>,
  entry: (reason: string) => SpoolEntry,
): Promise<Stored<T>> {
  if (fallback === undefined) return write().then((value) => ({ kind: 'written', value }));
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    let settled = false;
    const spool = (reason: string, cause: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const spooled = entry(reason);
      try {
        fallback.spool.append(spooled);
      } catch (spoolError) {
        const message = 'the request could not be stored (database and spool both failed); retry later';
        reject(new AppError('service_unavailable', message, undefined, { cause: new AggregateError([cause, spoolError], reason) }));
        return;
      }
      controller.abort(new Error('the request went to the spool'));
      fallback.onSpooled?.(spooled);
      resolve({ kind: 'spooled', reason });
    };
    const timer = setTimeout(() => spool(`not committed within the ${fallback.budgetMs} ms answer budget`, new Error('answer budget')), fallback.budgetMs);
    write(controller.signal).then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ kind: 'written', value });
      },
      (error: unknown) => spool(`the database write failed: ${(error as Error)?.message ?? String(error)}`, error),
    );
  });
}

/**
 * The answer to a spooled request. Whether it repeats an earlier event, and its event id, are
 * decided when the spool is ingested, so both are null rather than guessed.
 */
export function spooledBody() {
  return { received: true, duplicate: null, eventId: null, spooled: true };
}
