import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { ValueRef } from '../nachocode';
import type { Storage, Tx } from '../storage/port';
import { sql, type Sql } from '../storage/sql';
import type { Answer, IngestResult, IngestStore, PreparedEvent, RawRequestRecord, SentAnswer, StoreOptions } from './types';

type RecordedAnswer = Pick<Answer, 'status' | 'outcome' | 'reason' | 'eventId' | 'body'>;

export interface StorageIngestStoreOptions {
  storage: Pick<Storage, 'write' | 'writeStatement' | 'writesInWith'>;
  clock: Clock;
  /**
   * The INSERT of a new event's processing job. It is sent together with the event's insert (in
   * the same round trip, or the same statement), before that insert has answered: it must insert
   * only where `stored` (a portable SQL condition: the event was inserted) holds.
   */
  storedJob(eventId: string, now: number, stored: Sql): Sql;
}

/** The receiver's storage: everything for one request commits together (one transaction, or on PostgreSQL one statement). */
export class StorageIngestStore implements IngestStore {
  constructor(private readonly options: StorageIngestStoreOptions) {}

  async ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options: StoreOptions = {}): Promise<IngestResult> {
    if (this.options.storage.writesInWith && !options.once) {
      const stored = await this.ingestNew(raw, event, elapsed, options);
      if (stored !== null) return stored;
    }
    return this.options.storage.write(async (tx) => {
      if (options.once && (await rawExists(tx, raw.id))) return { kind: 'already' };
      return this.ingestIn(tx, raw, event, elapsed, options.sent);
    }, options);
  }

  recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number, options: StoreOptions = {}): Promise<'recorded' | 'already'> {
    return this.options.storage.write(async (tx) => {
      if (options.once && (await rawExists(tx, raw.id))) return 'already';
      await tx.run(insertRawStatement(raw, elapsed(), withSent(answer, options.sent)));
      return 'recorded';
    }, options);
  }

  /**
   * Most webhooks are new: where a statement's WITH may write, the event, its raw request and its
   * job are one statement, with no transaction around it. Null when the event's identity was
   * already taken (nothing was written): the transaction below then records the duplicate.
   */
  private async ingestNew(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options: StoreOptions): Promise<IngestResult | null> {
    const now = this.options.clock.now();
    const eventId = newId('evt', now);
    const stored = sql`EXISTS (SELECT 1 FROM inserted_event)`;
    const answer = storedAnswer(eventId, event);
    const [inserted] = await this.options.storage.writeStatement<{ id: string }>(
      sql`WITH inserted_event AS (${insertEvent(eventId, event, raw, now)}),
        inserted_raw AS (${insertRawStatement(raw, elapsed(), withSent(answer, options.sent), stored)}),
        inserted_job AS (${this.options.storedJob(eventId, now, stored)})
      SELECT id FROM inserted_event`,
      options,
    );
    return inserted === undefined ? null : { kind: 'stored', eventId };
  }

  /**
   * The unique dedupe key decides: a first insert stores the event; a second one (here, or on
   * another instance at the same moment, which waits for the first to commit) inserts nothing and
   * reads the event it collided with.
   */
  private async ingestIn(tx: Tx, raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, sent?: SentAnswer): Promise<IngestResult> {
    const record = (answer: RecordedAnswer, condition?: Sql) => tx.run(insertRawStatement(raw, elapsed(), withSent(answer, sent), condition));
    const now = this.options.clock.now();
    const eventId = newId('evt', now);
    // Most webhooks are new: the event, its raw request as stored and its job are sent at once
    // (one round trip on PostgreSQL), the last two conditional on the event row being there,
    // which it is only if this insert made it (its id is new).
    const stored = sql`EXISTS (SELECT 1 FROM events WHERE id = ${eventId})`;
    const [inserted] = await Promise.all([
      tx.get<{ id: string }>(insertEvent(eventId, event, raw, now)),
      record(storedAnswer(eventId, event), stored),
      tx.run(this.options.storedJob(eventId, now, stored)),
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

/** A new event, unless its dedupe key is taken: then nothing, and no id comes back. */
function insertEvent(eventId: string, event: PreparedEvent, raw: RawRequestRecord, now: number): Sql {
  return sql`INSERT INTO events
      (id, type, environment, dedupe_key, content_hash, payload, user_id, product_id, iap_log_id, status, raw_request_id, source, received_at, updated_at)
    VALUES (${eventId}, ${event.type}, ${event.environment}, ${event.dedupeKey}, ${event.contentHash}, ${event.payload}, ${event.userId},
      ${event.productId}, ${event.iapLogId}, 'received', ${raw.id}, ${raw.source}, ${now}, ${now})
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id`;
}

/** The answer a new event's raw request records. */
const storedAnswer = (eventId: string, event: PreparedEvent): RecordedAnswer => ({
  status: 200,
  outcome: 'stored',
  reason: null,
  eventId,
  body: accepted(eventId, false, event.unknownValues),
});

/** The answer as recorded: as sent, where a spooled request's answer was sent before it was stored. */
const withSent = (answer: RecordedAnswer, sent?: SentAnswer): RecordedAnswer => (sent === undefined ? answer : { ...answer, ...sent });

/** The raw request with its answer; with a condition, only where it holds (see ingestIn). */
function insertRawStatement(raw: RawRequestRecord, durationMs: number, answer: RecordedAnswer, condition?: Sql): Sql {
  const values = sql`${raw.id}, ${raw.receivedAt}, ${raw.method}, ${raw.path}, ${raw.query}, ${JSON.stringify(raw.headers)}, ${raw.body},
      ${raw.bodySize}, ${raw.bodySha256}, ${raw.contentType}, ${raw.remoteAddr}, ${raw.requestId}, ${raw.keyFingerprint}, ${answer.status},
      ${answer.outcome}, ${answer.reason}, ${JSON.stringify(answer.body)}, ${durationMs}, ${answer.eventId}, ${raw.source},
      ${raw.dedupeKey ?? null}, ${raw.rejectionGroup ?? null}`;
  return sql`INSERT INTO raw_requests
      (id, received_at, method, path, query, headers, body, body_size, body_sha256, content_type, remote_addr, request_id,
       key_fingerprint, status, outcome, reason, response, duration_ms, event_id, source, dedupe_key, rejection_group)
    ${condition === undefined ? sql`VALUES (${values})` : sql`SELECT ${values} WHERE ${condition}`}`;
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
