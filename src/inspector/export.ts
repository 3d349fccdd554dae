import type { Writable } from 'node:stream';
import type { Queryable } from '../storage/port';
import { CSV_COLUMNS, csvLine, csvRecord } from './csv';
import type { RequestFilter } from './filters';
import { exportPage, type RawRequestRow } from './repository';
import { bodyView, headersOf, parseStored, summaryView } from './views';

export type ExportFormat = 'csv' | 'json';

/** Rows read per query: big enough to be quick, small enough that one page never holds much memory or stalls the event loop. */
const BATCH = 500;

/** One request in a JSON export: the list fields plus headers (masked), the exact body and our answer. */
export function exportItem(row: RawRequestRow) {
  return {
    ...summaryView(row),
    remoteAddr: row.remoteAddr,
    requestId: row.requestId,
    keyFingerprint: row.keyFingerprint,
    headers: headersOf(row),
    body: bodyView(row.body),
    response: parseStored(row.response),
  };
}

export function exportFilename(format: ExportFormat, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `iaphook-requests-${stamp}.${format}`;
}

/**
 * Streams every matching request, newest first, page by page: no cap unless the caller sets
 * one (a developer exporting a day of traffic wants all of it). Waits for the socket to drain
 * between pages so a slow download does not pile the whole table up in memory.
 */
export async function writeExport(out: Writable, db: Queryable, filter: RequestFilter, format: ExportFormat, limit = Infinity): Promise<number> {
  let written = 0;
  let cursor: string | undefined;
  out.write(format === 'csv' ? csvLine([...CSV_COLUMNS]) : '[');
  while (written < limit) {
    const page = await exportPage(db, filter, cursor, Math.min(BATCH, limit - written));
    // The client hung up while the page was read: nothing more to send (and no 'close' left to wait for).
    if (out.destroyed) return written;
    const chunk = page.rows.map((row, i) => (format === 'csv' ? csvRecord(row) : `${written + i === 0 ? '\n' : ',\n'}${JSON.stringify(exportItem(row))}`));
    written += page.rows.length;
    if (chunk.length > 0 && !out.write(chunk.join(''))) {
      await drained(out);
      if (out.destroyed) return written;
    }
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  out.end(format === 'csv' ? '' : written === 0 ? ']\n' : '\n]\n');
  return written;
}

/** Resolves when the stream can take more, or is gone (the client hung up); never leaves a listener behind. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
