import { eq, sql, type Placeholder } from 'drizzle-orm';
import { anomalies, events, rawRequests } from '../../db/schema';
import type { Db } from '../storage/database';
import type { GroupCommitter } from '../storage/group-commit';
import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { RestoreResult, SpoolEntry } from './spool-format';
import type { Answer, IngestResult, IngestStore, PreparedEvent, RawRequestRecord, StoreOptions } from './types';

type RecordedAnswer = Pick<Answer, 'status' | 'outcome' | 'reason' | 'eventId' | 'body'>;

export interface SqliteIngestStoreOptions {
  committer: GroupCommitter;
  db: Db;
  clock: Clock;
  /** Runs inside the ingest transaction for a newly stored event: enqueue its processing job here. */
  onStored(db: Db, eventId: string, now: number): void;
}

/** The receiver's SQLite storage: everything for one request commits together through the group committer. */
export class SqliteIngestStore implements IngestStore {
  private readonly findByKey;
  private readonly insertEvent;
  private readonly insertRawRow;
  private readonly rawById;

  constructor(private readonly options: SqliteIngestStoreOptions) {
    this.findByKey = options.db
      .select({ id: events.id, contentHash: events.contentHash })
      .from(events)
      .where(eq(events.dedupeKey, sql.placeholder('key')))
      .prepare();
    // Prepared once: building drizzle inserts per request was the largest cost of the ingest path.
    this.insertEvent = options.db.insert(events).values(placeholders(EVENT_COLUMNS)).prepare();
    this.insertRawRow = options.db.insert(rawRequests).values(placeholders(RAW_COLUMNS)).prepare();
    this.rawById = options.db.select({ id: rawRequests.id }).from(rawRequests).where(eq(rawRequests.id, sql.placeholder('id'))).prepare();
  }

  ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options: StoreOptions = {}): Promise<IngestResult> {
    return this.options.committer.run((db) => this.ingestIn(db, raw, event, elapsed), options);
  }

  /**
   * A request taken back from the spool, through the same dedupe as a live one. Its raw request id
   * makes it idempotent: one already stored (the spool was ingested before a crash, or the live
   * write landed after all) is skipped. The raw row keeps the answer that was actually sent.
   */
  restore(entry: SpoolEntry): Promise<RestoreResult> {
    return this.options.committer.run((db): RestoreResult => {
      if (this.rawById.get({ id: entry.raw.id }) !== undefined) return { kind: 'already' };
      const elapsed = () => entry.durationMs;
      if (entry.kind === 'event') return this.ingestIn(db, entry.raw, entry.event, elapsed, entry.answer);
      this.insertRaw(entry.raw, entry.durationMs, entry.answer);
      return { kind: 'recorded' };
    });
  }

  private ingestIn(db: Db, raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, sent?: Pick<Answer, 'status' | 'body'>): IngestResult {
    const insertRaw = (answer: RecordedAnswer) => this.insertRaw(raw, elapsed(), sent === undefined ? answer : { ...answer, ...sent });
    const now = this.options.clock.now();
    const existing = this.findByKey.get({ key: event.dedupeKey });
    if (existing === undefined) {
      const eventId = newId('evt', now);
      this.insertEvent.run({ ...event, id: eventId, status: 'received', rawRequestId: raw.id, source: raw.source, receivedAt: now, updatedAt: now } satisfies EventValues);
      insertRaw({ status: 200, outcome: 'stored', reason: null, eventId, body: accepted(eventId, false) });
      this.options.onStored(db, eventId, now);
      return { kind: 'stored', eventId };
    }
    if (existing.contentHash === event.contentHash) {
      insertRaw({ status: 200, outcome: 'duplicate', reason: null, eventId: existing.id, body: accepted(existing.id, true) });
      return { kind: 'duplicate', eventId: existing.id };
    }
    insertRaw({ status: 409, outcome: 'conflict', reason: 'conflict', eventId: existing.id, body: conflictBody(existing.id, event.dedupeKey) });
    db.insert(anomalies)
      .values({
        anomalyKey: `conflicting_duplicate:${raw.id}`,
        code: 'conflicting_duplicate',
        environment: event.environment,
        userId: event.userId,
        productId: event.productId,
        eventId: existing.id,
        rawRequestId: raw.id,
        details: JSON.stringify({ dedupeKey: event.dedupeKey, storedEventId: existing.id, conflictingRequestId: raw.id }),
        createdAt: now,
      })
      .onConflictDoNothing()
      .run();
    return { kind: 'conflict', eventId: existing.id };
  }

  recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number, options: StoreOptions = {}): Promise<void> {
    return this.options.committer.run(() => {
      this.insertRaw(raw, elapsed(), answer);
    }, options);
  }

  private insertRaw(raw: RawRequestRecord, durationMs: number, answer: RecordedAnswer): void {
    this.insertRawRow.run({
      ...raw,
      headers: JSON.stringify(raw.headers),
      status: answer.status,
      outcome: answer.outcome,
      reason: answer.reason,
      response: JSON.stringify(answer.body),
      durationMs,
      eventId: answer.eventId,
    } satisfies RawValues);
  }
}

export function accepted(eventId: string, duplicate: boolean) {
  return { received: true, duplicate, eventId };
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

type EventValues = PreparedEvent & { id: string; status: string; rawRequestId: string; source: string; receivedAt: number; updatedAt: number };
type RawValues = Omit<RawRequestRecord, 'headers'> & Pick<Answer, 'status' | 'outcome' | 'reason' | 'eventId'> & { headers: string; response: string; durationMs: number };

// Every column the inserts write, as objects typed against the records: a field added to
// PreparedEvent or RawRequestRecord fails to compile here instead of being left out of the row.
const EVENT_COLUMNS: Record<keyof EventValues, true> = {
  id: true, type: true, environment: true, dedupeKey: true, contentHash: true, payload: true, userId: true, productId: true,
  iapLogId: true, status: true, rawRequestId: true, source: true, receivedAt: true, updatedAt: true,
};
const RAW_COLUMNS: Record<keyof RawValues, true> = {
  id: true, receivedAt: true, method: true, path: true, query: true, headers: true, body: true, bodySize: true, bodySha256: true, contentType: true,
  remoteAddr: true, requestId: true, keyFingerprint: true, source: true, status: true, outcome: true, reason: true, response: true,
  durationMs: true, eventId: true,
};

function placeholders<K extends string>(columns: Record<K, true>): Record<K, Placeholder> {
  return Object.fromEntries(Object.keys(columns).map((c) => [c, sql.placeholder(c)])) as unknown as Record<K, Placeholder>;
}
