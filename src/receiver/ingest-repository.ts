import { eq, sql } from 'drizzle-orm';
import { anomalies, events, rawRequests } from '../../db/schema';
import type { Db } from '../storage/database';
import type { GroupCommitter } from '../storage/group-commit';
import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { Answer, IngestResult, IngestStore, PreparedEvent, RawRequestRecord } from './types';

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

  constructor(private readonly options: SqliteIngestStoreOptions) {
    this.findByKey = options.db
      .select({ id: events.id, contentHash: events.contentHash })
      .from(events)
      .where(eq(events.dedupeKey, sql.placeholder('key')))
      .prepare();
  }

  ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number): Promise<IngestResult> {
    return this.options.committer.run((db) => {
      const now = this.options.clock.now();
      const existing = this.findByKey.get({ key: event.dedupeKey });
      if (existing === undefined) {
        const eventId = newId('evt', now);
        db.insert(events)
          .values({ id: eventId, ...event, status: 'received', rawRequestId: raw.id, source: raw.source, receivedAt: now, updatedAt: now })
          .run();
        insertRaw(db, raw, elapsed(), { status: 200, outcome: 'stored', reason: null, eventId, body: accepted(eventId, false) });
        this.options.onStored(db, eventId, now);
        return { kind: 'stored', eventId };
      }
      if (existing.contentHash === event.contentHash) {
        insertRaw(db, raw, elapsed(), { status: 200, outcome: 'duplicate', reason: null, eventId: existing.id, body: accepted(existing.id, true) });
        return { kind: 'duplicate', eventId: existing.id };
      }
      insertRaw(db, raw, elapsed(), { status: 409, outcome: 'conflict', reason: 'conflict', eventId: existing.id, body: conflictBody(existing.id, event.dedupeKey) });
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
    });
  }

  recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number): Promise<void> {
    return this.options.committer.run((db) => {
      insertRaw(db, raw, elapsed(), answer);
    });
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

function insertRaw(
  db: Db,
  raw: RawRequestRecord,
  durationMs: number,
  answer: Pick<Answer, 'status' | 'outcome' | 'reason' | 'eventId' | 'body'>,
): void {
  db.insert(rawRequests)
    .values({
      ...raw,
      headers: JSON.stringify(raw.headers),
      status: answer.status,
      outcome: answer.outcome,
      reason: answer.reason,
      response: JSON.stringify(answer.body),
      durationMs,
      eventId: answer.eventId,
    })
    .run();
}
