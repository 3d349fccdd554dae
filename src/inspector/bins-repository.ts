import type { Queryable, Tx } from '../storage/port';
import { fn, sql } from '../storage/sql';
import type { RawRequestRow } from './repository';

/** A capture bin: a URL that records anything sent to it and answers as configured. */
export interface BinRow {
  id: string;
  name: string | null;
  /** The status code the bin answers with. */
  status: number;
  body: string | null;
  contentType: string | null;
  delayMs: number;
  /** false: captures keep signatures and tokens as sent (cookies are still masked). */
  maskSecrets: boolean;
  createdAt: number;
  lastRequestAt: number | null;
}

/** A bin as inserted: the columns with defaults may be left out. */
export type NewBin = Pick<BinRow, 'id' | 'createdAt'> & Partial<Omit<BinRow, 'id' | 'createdAt'>>;

/** A captured request as inserted (source and the nullable columns may be left out). */
export type CapturedRequest = Pick<RawRequestRow, 'id' | 'receivedAt' | 'method' | 'path' | 'headers' | 'bodySize' | 'status' | 'outcome'> &
  Partial<Omit<RawRequestRow, 'id' | 'receivedAt' | 'method' | 'path' | 'headers' | 'bodySize' | 'status' | 'outcome'>>;

/** Every column of a bins row, named as BinRow names them. */
const BIN_COLUMNS = sql.raw(`id, name, status, body, content_type AS "contentType", delay_ms AS "delayMs", mask_secrets AS "maskSecrets",
  created_at AS "createdAt", last_request_at AS "lastRequestAt"`);

/** SQLite gives booleans back as 0/1. */
const withBoolean = <T extends BinRow>(row: T): T => ({ ...row, maskSecrets: Boolean(row.maskSecrets) });

/** When a bin was last useful: its last request, or its creation if it never got one. */
const lastActivity = sql.raw('coalesce(last_request_at, created_at)');

/**
 * Lock keys. Whoever takes both takes BINS_LOCK first. BINS_LOCK: creating, evicting and pruning
 * bins (a read of the bins decides which go). binLock(id): one bin's requests (a capture counting
 * and trimming them, a deletion of the bin).
 */
export const BINS_LOCK = 'inspector:bins';
export const binLock = (binId: string): string => `inspector:bin:${binId}`;

/** Lists of ids are bound as one parameter each; this many per statement. */
const CHUNK = 500;

export async function insertBin(tx: Tx, bin: NewBin): Promise<void> {
  await tx.run(sql`INSERT INTO bins (id, name, status, body, content_type, delay_ms, mask_secrets, created_at, last_request_at)
    VALUES (${bin.id}, ${bin.name ?? null}, ${bin.status ?? 200}, ${bin.body ?? null}, ${bin.contentType ?? null}, ${bin.delayMs ?? 0},
      ${bin.maskSecrets ?? true}, ${bin.createdAt}, ${bin.lastRequestAt ?? null})`);
}

/** The settings a bin can change after it was created, by column. */
const SETTABLE = { name: 'name', status: 'status', body: 'body', contentType: 'content_type', delayMs: 'delay_ms', maskSecrets: 'mask_secrets' } as const;
export type BinSettings = Partial<{ [K in keyof typeof SETTABLE]: BinRow[K] }>;

/** Sets the given settings of one bin; returns how many bins changed (0: no such bin). */
export async function updateBin(tx: Tx, id: string, settings: BinSettings): Promise<number> {
  const sets = (Object.keys(SETTABLE) as Array<keyof typeof SETTABLE>)
    .filter((key) => settings[key] !== undefined)
    .map((key) => sql`${sql.raw(SETTABLE[key])} = ${settings[key]}`);
  if (sets.length === 0) return (await getBin(tx, id)) === undefined ? 0 : 1;
  return tx.run(sql`UPDATE bins SET ${sql.join(sets, sql`, `)} WHERE id = ${id}`);
}

export async function getBin(db: Queryable, id: string): Promise<BinRow | undefined> {
  const row = await db.get<BinRow>(sql`SELECT ${BIN_COLUMNS} FROM bins WHERE id = ${id}`);
  return row === undefined ? undefined : withBoolean(row);
}

export async function listBins(db: Queryable): Promise<Array<BinRow & { requestCount: number }>> {
  const rows = await db.all<BinRow & { requestCount: number }>(sql`SELECT ${BIN_COLUMNS},
      (SELECT count(*) FROM raw_requests WHERE raw_requests.bin_id = bins.id) AS "requestCount"
    FROM bins ORDER BY created_at DESC, id DESC`);
  return rows.map(withBoolean);
}

export async function countBinRequests(db: Queryable, id: string): Promise<number> {
  return (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM raw_requests WHERE bin_id = ${id}`))?.n ?? 0;
}

/**
 * Deletes bins and everything they captured; returns how many rows went (bins and requests).
 * Takes each bin's lock first (in id order, so two deletions never wait on each other in a
 * circle): a capture to one of them on another instance either commits before, and its request is
 * deleted too, or waits and then finds its bin gone, so no request outlives its bin.
 */
export async function deleteBins(tx: Tx, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  for (const id of [...ids].sort()) await tx.lock(binLock(id));
  let removed = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    removed += await tx.run(sql`DELETE FROM raw_requests WHERE ${fn.inList(sql`bin_id`, chunk)}`);
    removed += await tx.run(sql`DELETE FROM bins WHERE ${fn.inList(sql`id`, chunk)}`);
  }
  return removed;
}

/** The least recently active bins beyond `keep`: the ones to evict before a new bin is added. */
export async function binsBeyond(db: Queryable, keep: number): Promise<string[]> {
  const rows = await db.all<{ id: string }>(sql`SELECT id FROM bins ORDER BY ${lastActivity} DESC, id DESC ${fn.offsetOnly(keep)}`);
  return rows.map((b) => b.id);
}

export async function binsIdleSince(db: Queryable, cutoff: number): Promise<string[]> {
  const rows = await db.all<{ id: string }>(sql`SELECT id FROM bins WHERE ${lastActivity} < ${cutoff} ORDER BY id ASC`);
  return rows.map((b) => b.id);
}

/** Stores one captured request and notes the bin's activity. */
export async function insertCapture(tx: Tx, request: CapturedRequest & { binId: string }): Promise<void> {
  await tx.run(sql`INSERT INTO raw_requests
      (id, received_at, method, path, query, headers, body, body_size, content_type, remote_addr, request_id, key_fingerprint,
       status, outcome, reason, response, duration_ms, event_id, source, bin_id)
    VALUES (${request.id}, ${request.receivedAt}, ${request.method}, ${request.path}, ${request.query ?? null}, ${request.headers},
      ${request.body ?? null}, ${request.bodySize}, ${request.contentType ?? null}, ${request.remoteAddr ?? null}, ${request.requestId ?? null},
      ${request.keyFingerprint ?? null}, ${request.status}, ${request.outcome}, ${request.reason ?? null}, ${request.response ?? null},
      ${request.durationMs ?? null}, ${request.eventId ?? null}, ${request.source ?? 'webhook'}, ${request.binId})`);
  await tx.run(sql`UPDATE bins SET last_request_at = ${request.receivedAt} WHERE id = ${request.binId}`);
}

/**
 * Keeps a bin's newest `max` requests (served by the bin_id, received_at index). Two captures to
 * one bin on two instances must not both count before either deletes: the caller holds the bin's lock.
 */
export function trimBin(tx: Tx, binId: string, max: number): Promise<number> {
  return tx.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM raw_requests WHERE bin_id = ${binId} ORDER BY received_at DESC, id DESC ${fn.offsetOnly(max)}
    )`);
}
