import { z } from 'zod';
import { VALUE_FIELDS, type ValueField } from '../nachocode';
import type { Answer, IngestResult, PreparedEvent, RawRequestRecord, SentAnswer } from '../receiver/types';

// The spool's on-disk format: one JSON object per line (NDJSON), the body in base64 so the exact
// bytes come back. Pure functions, so the format is tested without touching a disk.

export type SpoolEntry =
  | { kind: 'event'; spooledAt: number; reason: string; durationMs: number; raw: RawRequestRecord; event: PreparedEvent; answer: SentAnswer }
  | {
      kind: 'rejected';
      spooledAt: number;
      reason: string;
      durationMs: number;
      raw: RawRequestRecord;
      answer: Pick<Answer, 'status' | 'body' | 'outcome' | 'reason' | 'eventId'>;
    };

export type RestoreResult = IngestResult | { kind: 'recorded' };

export const SPOOL_FORMAT_VERSION = 1;

const nullableString = z.string().nullable();
const rawSchema = z.looseObject({
  id: z.string().min(1),
  receivedAt: z.number(),
  method: z.string(),
  path: z.string(),
  query: nullableString,
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  body: z.base64().nullable(),
  bodySize: z.number(),
  // Absent in lines written before it existed.
  bodySha256: nullableString.default(null),
  contentType: nullableString,
  remoteAddr: nullableString,
  requestId: nullableString,
  keyFingerprint: nullableString,
  source: z.enum(['webhook', 'replay', 'import']),
  // A rejected request's identity; absent in lines written before it existed.
  dedupeKey: nullableString.optional(),
  rejectionGroup: nullableString.optional(),
});
const eventSchema = z.object({
  type: z.enum(['purchase', 'refund', 'unavailable_users']),
  environment: nullableString,
  dedupeKey: z.string().min(1),
  contentHash: z.string().min(1),
  payload: z.string(),
  userId: nullableString,
  productId: nullableString,
  iapLogId: z.number().nullable(),
  // Absent in lines written before it existed, and for events whose values are all known.
  unknownValues: z.array(z.object({ field: z.enum(VALUE_FIELDS as [ValueField, ...ValueField[]]), value: z.string() })).optional(),
});
const common = { v: z.literal(SPOOL_FORMAT_VERSION), spooledAt: z.number(), reason: z.string(), durationMs: z.number(), raw: rawSchema };
const lineSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('event'), event: eventSchema, answer: z.object({ status: z.number(), body: z.unknown() }) }),
  z.object({
    ...common,
    kind: z.literal('rejected'),
    answer: z.object({
      status: z.number(),
      body: z.unknown(),
      outcome: z.enum(['stored', 'duplicate', 'conflict', 'rejected']),
      reason: nullableString,
      eventId: nullableString,
    }),
  }),
]);

/** One line, newline included. */
export function encodeEntry(entry: SpoolEntry): string {
  const body = entry.raw.body === null ? null : entry.raw.body.toString('base64');
  return `${JSON.stringify({ v: SPOOL_FORMAT_VERSION, ...entry, raw: { ...entry.raw, body } })}\n`;
}

/** null for a line that is not a complete entry (a write torn by a crash or a full disk). */
export function decodeLine(line: string): SpoolEntry | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  const result = lineSchema.safeParse(parsed);
  if (!result.success) return null;
  const { v: _version, ...entry } = result.data;
  const raw = { ...entry.raw, body: entry.raw.body === null ? null : Buffer.from(entry.raw.body, 'base64') } as RawRequestRecord;
  return { ...entry, raw } as SpoolEntry;
}

/** Every entry of a segment's text, and how many non-empty lines were not entries. */
export function decodeSegment(text: string): { entries: SpoolEntry[]; bad: number } {
  const entries: SpoolEntry[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = decodeLine(line);
    if (entry === null) bad += 1;
    else entries.push(entry);
  }
  return { entries, bad };
}
