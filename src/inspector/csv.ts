import type { RawRequestRow } from './repository';
import { decodeUtf8 } from './views';

// A formula character (= + - @, or their full-width forms) after any leading whitespace or line
// breaks, which spreadsheets skip before they decide a cell is a formula; or a tab or CR first.
const FORMULA = /^(?:[\s\u00a0\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r])/;

/**
 * One CSV cell (RFC 4180). Text that a spreadsheet would run as a formula gets a leading
 * apostrophe: an exported webhook body is untrusted input, and opening the export must not
 * execute it. Numbers are ours and pass unchanged.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const guarded = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function csvLine(cells: Array<string | number | null | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const CSV_COLUMNS = [
  'id',
  'received_at',
  'method',
  'path',
  'query',
  'status',
  'outcome',
  'reason',
  'size',
  'duration_ms',
  'event_id',
  'source',
  'bin_id',
  'content_type',
  'remote_addr',
  'key_fingerprint',
  'headers',
  'body_encoding',
  'body',
] as const;

/**
 * A stored request as a CSV line. Headers are the stored (masked) ones as JSON. The body is the
 * exact bytes: as text when they are UTF-8, otherwise base64 (body_encoding says which).
 */
export function csvRecord(row: RawRequestRow): string {
  const text = row.body === null ? null : decodeUtf8(row.body);
  const [encoding, body] = row.body === null ? ['', ''] : text === null ? ['base64', row.body.toString('base64')] : ['utf8', text];
  return csvLine([
    row.id,
    new Date(row.receivedAt).toISOString(),
    row.method,
    row.path,
    row.query,
    row.status,
    row.outcome,
    row.reason,
    row.bodySize,
    row.durationMs === null ? null : Math.round(row.durationMs * 100) / 100,
    row.eventId,
    row.source,
    row.binId,
    row.contentType,
    row.remoteAddr,
    row.keyFingerprint,
    row.headers,
    encoding,
    body,
  ]);
}
