import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { ValueRef } from '../nachocode';
import type { Storage, Tx } from '../storage/port';
import { sql, type Sql } from '../storage/sql';
import type { Answer, IngestResult, IngestStore, PreparedEvent, RawRequestRecord, SentAnswer, StoreOptions } from './types';

type RecordedAnswer = Pick<Answer, 'status' | 'outcome' | 'reason' | 'eventId' | 'body'>;

export interface StorageIngestStoreOptions {
  storage: Pick<Storage, 'write'>;
  clock: Clock;
  /**
   * Enqueues a new event's processing job, inside the ingest transaction. It is issued together
   * with the event's insert, before that insert has answered: its writes must take effect only
   * where `stored` (a portable SQL condition: the event was inserted) holds.
   */
  onStored(tx: Tx, eventId: string, now: number, stored: Sql): Promise<void>;
}

/** The receiver's storage: everything for one request commits together in one transaction. */
export class StorageIngestStore implements IngestStore {
  constructor(private readonly options: StorageIngestStoreOptions) {}

  ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options: StoreOptions = {}): Promise<IngestResult> {
    return this.options.storage.write(async (tx) => {
      if (options.once && (await rawExists(tx, raw.id))) return { kind: 'already' };
      return this.ingestIn(tx, raw, event, elapsed, options.sent);
    }, options);
  }

  recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number, options: StoreOptions = {}): Promise<'recorded' | 'already'> {
    return this.options.storage.write(async (tx) => {
      if (options.once && (await rawExists(tx, raw.id))) return 'already';
      await insertRaw(tx, raw, elapsed(), options.sent === undefined ? answer : { ...answer, ...options.sent });
      return 'recorded';
    }, options);
  }

  /**
   * The unique dedupe key decides: a first insert stores the event; a second one (here, or on
   * another instance at the same moment, which waits for the first to commit) inserts nothing and
   * reads the event it collided with.
   */
  private async ingestIn(tx: Tx, raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, sent?: SentAnswer): Promise<IngestResult> {
    const record = (answer: RecordedAnswer, condition?: Sql) => insertRaw(tx, raw, elapsed(), sent === undefined ? answer : { ...answer, ...sent }, condition);
    const now = this.options.clock.now();
    const eventId = newId('evt', now);
    // Most webhooks are new: the event, its raw request as stored and its job are sent at once
    // (one round trip on PostgreSQL), the last two conditional on the event row being there,
    // which it is only if this insert made it (its id is new).
    const stored = sql`EXISTS (SELECT 1 FROM events WHERE id = ${eventId})`;
    const [inserted] = await Promise.all([
      tx.get<{ id: string }>(sql`INSERT INTO events
          (id, type, environment, dedupe_key, content_hash, payload, user_id, product_id, iap_log_id, status, raw_request_id, source, received_at, updated_at)
        VALUES (${eventId}, ${event.type}, ${event.environment}, ${event.dedupeKey}, ${event.contentHash}, ${event.payload}, ${event.userId},
          ${event.productId}, ${event.iapLogId}, 'received', ${raw.id}, ${raw.source}, ${now}, ${now})
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id`),
      record({ status: 200, outcome: 'stored', reason: null, eventId, body: accepted(eventId, false, event.unknownValues) }, stored),
      this.options.onStored(tx, eventId, now, stored),
    ]);
    if (inserted !== undefined) return { kind: 'stored', eventId };
    const existing = await tx.get<{ id: string; contentHash: string }>(
      sql`SELECT id, content_hash AS "contentHash" FROM events WHERE dedupe_key = ${event.dedupeKey}`,
    );
    if (existing === undefined) throw new Error(`event ${event.dedupeKey} collided on insert but cannot be read back`);
    if (existing.contentHash === event.contentHash) {
      await record({ status: 200, outcome: 'duplicate', reason: null, eventId: existing.id, body: accepted(existing.id, true, event.unknownValues) });
      return { kind: 'duplicate', eventId: existing.id };
    }
    await record({ status: 409, outcome: 'conflict', reason: 'conflict', eventId: existing.id, body: conflictBody(existing.id, event.dedupeKey) });
    const details = JSON.stringify({ dedupeKey: event.dedupeKey, storedEventId: existing.id, conflictingRequestId: raw.id });
    await tx.run(sql`INSERT INTO anomalies (anomaly_key, code, environment, user_id, product_id, event_id, raw_request_id, details, created_at)
      VALUES (${`conflicting_duplicate:${raw.id}`}, 'conflicting_duplicate', ${event.environment}, ${event.userId}, ${event.productId},
        ${existing.id}, ${raw.id}, ${details}, ${now})
      ON CONFLICT (anomaly_key) DO NOTHING`);
    return { kind: 'conflict', eventId: existing.id };
  }
}

async function rawExists(tx: Tx, id: string): Promise<boolean> {
  return (await tx.get(sql`SELECT id FROM raw_requests WHERE id = ${id}`)) !== undefined;
}

/** The raw request with its answer; with a condition, only where it holds (see ingestIn). */
function insertRaw(tx: Tx, raw: RawRequestRecord, durationMs: number, answer: RecordedAnswer, condition?: Sql): Promise<number> {
  const values = sql`${raw.id}, ${raw.receivedAt}, ${raw.method}, ${raw.path}, ${raw.query}, ${JSON.stringify(raw.headers)}, ${raw.body},
      ${raw.bodySize}, ${raw.bodySha256}, ${raw.contentType}, ${raw.remoteAddr}, ${raw.requestId}, ${raw.keyFingerprint}, ${answer.status},
      ${answer.outcome}, ${answer.reason}, ${JSON.stringify(answer.body)}, ${durationMs}, ${answer.eventId}, ${raw.source},
      ${raw.dedupeKey ?? null}, ${raw.rejectionGroup ?? null}`;
  return tx.run(sql`INSERT INTO raw_requests
      (id, received_at, method, path, query, headers, body, body_size, body_sha256, content_type, remote_addr, request_id,
       key_fingerprint, status, outcome, reason, response, duration_ms, event_id, source, dedupe_key, rejection_group)
    ${condition === undefined ? sql`VALUES (${values})` : sql`SELECT ${values} WHERE ${condition}`}`);
}

/** The 2xx answer; it names the values iaphook does not know, for which the event is held rather than applied. */
export function accepted(eventId: string, duplicate: boolean, unknownValues: ValueRef[] = []) {
  return unknownValues.length === 0 ? { received: true, duplicate, eventId } : { received: true, duplicate, eventId, unknownValues };
}

export function conflictBody(eventId: string, dedupeKey: string) {
  return {
    error: {
      code: 'conflict',
      message: 'an event with the same identity but different content was already received; the first one is kept',
      details: { eventId, dedupeKey },
    },
  };
}
