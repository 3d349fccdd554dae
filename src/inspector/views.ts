import { WEBHOOK_ROUTES } from '../receiver';
import { answerMs } from '../shared/durations';
import type { RawRequestRow, SummaryRow } from './repository';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface RequestSummary {
  id: string;
  receivedAt: string;
  method: string;
  path: string;
  query: string | null;
  status: number;
  outcome: string;
  reason: string | null;
  size: number;
  durationMs: number | null;
  eventId: string | null;
  source: string;
  binId: string | null;
  contentType: string | null;
}

/** A list row as the API and the live stream send it. */
export function summaryView(row: SummaryRow): RequestSummary {
  return {
    id: row.id,
    receivedAt: new Date(row.receivedAt).toISOString(),
    method: row.method,
    path: row.path,
    query: row.query,
    status: row.status,
    outcome: row.outcome,
    reason: row.reason,
    size: row.bodySize,
    durationMs: answerMs(row.durationMs),
    eventId: row.eventId,
    source: row.source,
    binId: row.binId,
    contentType: row.contentType,
  };
}

/** A list row with what it is about: the list's Type, User and Product columns. */
export interface RequestListItem extends RequestSummary {
  /** The event's type; else the nachocode route's; else the body's own `type` (a Standard Webhooks delivery to a bin). */
  type: string | null;
  userId: string | null;
  productId: string | null;
}

const ROUTE_TYPES = new Map(WEBHOOK_ROUTES.filter(([, route]) => route !== 'auto').map(([path, route]) => [path, route.replace(/-/g, '_')]));
/** A short scalar from the body (a string or a number), as text; anything else is not shown. */
const scalar = (value: unknown): string | null =>
  typeof value === 'string' ? value.slice(0, 256) : typeof value === 'number' && Number.isFinite(value) ? String(value) : null;

export function listItemView(row: SummaryRow): RequestListItem {
  return {
    ...summaryView(row),
    type: row.eventType ?? ROUTE_TYPES.get(row.path) ?? scalar(row.bodyType),
    userId: scalar(row.bodyUserId),
    productId: scalar(row.bodyProductId),
  };
}

export interface BodyView {
  /** The exact bytes as UTF-8 text, or null when they are not valid UTF-8. */
  text: string | null;
  /** The exact bytes, always: what a replay sends and what a download returns. */
  base64: string;
  /** The bytes kept. */
  size: number;
  /** Whether `text` parses as JSON (the page then offers a pretty view). */
  json: boolean;
  /** Only the first `size` bytes were kept (the request failed the key check): its whole size and SHA-256. */
  truncated: { receivedSize: number; sha256: string } | null;
}

export function bodyView(body: Buffer | null, whole: { bodySize: number; bodySha256: string | null } | null = null): BodyView | null {
  if (body === null) return null;
  const truncated = whole?.bodySha256 ? { receivedSize: whole.bodySize, sha256: whole.bodySha256 } : null;
  // A cut can fall inside a character: drop its first bytes rather than show no text at all.
  let text = decodeUtf8(body);
  for (let drop = 1; text === null && truncated !== null && drop <= 3 && drop < body.length; drop += 1) text = decodeUtf8(body.subarray(0, body.length - drop));
  return { text, base64: body.toString('base64'), size: body.length, json: text !== null && isJson(text), truncated };
}

export function decodeUtf8(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Stored JSON that is ours (headers, answers): parsed, or the text itself if it ever is not JSON. */
export function parseStored(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function headersOf(row: RawRequestRow): Record<string, string | string[]> {
  const parsed = parseStored(row.headers);
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string | string[]>) : {};
}

/** The first value of a stored header (names are stored lower-case). */
export function storedHeader(headers: Record<string, string | string[]>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
