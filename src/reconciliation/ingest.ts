import { performance } from 'node:perf_hooks';
import { classifyShape } from '../nachocode';
import type { Receive } from '../receiver/routes';
import type { RequestOutcome } from '../receiver/types';

/** A body from an imported list, with where it came from (file:line) for the raw request's headers. */
export interface ImportRow {
  ref: string;
  body: Record<string, unknown>;
}

export interface ImportOutcome {
  ref: string;
  status: number;
  outcome: RequestOutcome;
  eventId: string | null;
  error: string | null;
}

export const IMPORT_USER_AGENT = 'iaphook-reconcile';

/**
 * Feeds imported bodies through the receiver, exactly like webhooks (validation, dedupe, raw
 * request, event and apply job in one commit), marked with source "import". All rows are handed to
 * the receiver at once so the storage can commit them together (SQLite groups them into a few
 * transactions, PostgreSQL runs them side by side), not one after another.
 * Importing the same row again is a duplicate and changes nothing in the ledger.
 */
export function ingestRows(receive: Receive, rows: ImportRow[], remoteAddr: string | null = null): Promise<ImportOutcome[]> {
  return Promise.all(
    rows.map(async (row) => {
      const body = Buffer.from(JSON.stringify(row.body));
      const route = classifyShape(row.body) === 'refund' ? 'refund' : 'purchase';
      const answer = await receive('auto', {
        method: 'POST',
        path: `/webhooks/nachocode/${route}`,
        query: null,
        rawHeaders: ['content-type', 'application/json', 'user-agent', IMPORT_USER_AGENT, 'x-iaphook-import', row.ref.slice(0, 512)],
        body,
        remoteAddr,
        requestId: null,
        source: 'import',
        startedAt: performance.now(),
      });
      const error = (answer.body as { error?: { message?: unknown } } | null)?.error?.message;
      return {
        ref: row.ref,
        status: answer.status,
        outcome: answer.outcome,
        eventId: answer.eventId,
        error: typeof error === 'string' ? error : null,
      };
    }),
  );
}
