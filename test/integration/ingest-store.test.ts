import { SqlJobQueue } from '../../src/delivery';
import { StorageIngestStore } from '../../src/receiver';
import { preparedPurchase, rawRecord } from '../support/records';
import type { PreparedEvent, RawRequestRecord } from '../../src/receiver/types';
import { storedApplyJob } from '../../src/runtime/apply-worker';
import type { Storage } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';
import { freshStorage, type TestStorage } from '../support/backend';

// The receiver's store on the real backend: what one request writes, and in how many writes. On
// PostgreSQL a new webhook is one statement (writeStatement); on SQLite, and for a duplicate or a
// conflict everywhere, it is a transaction (write).

const T0 = Date.parse('2026-03-02T08:15:09.730Z');
let db: TestStorage;
beforeAll(async () => {
  db = await freshStorage();
});
afterAll(() => db.remove());

/** The store over the test's storage, counting the port calls it makes (each still runs for real). */
function countingStore() {
  const calls = { write: 0, writeStatement: 0 };
  const real = db.storage;
  const storage: Pick<Storage, 'write' | 'writeStatement' | 'writesInWith'> = {
    writesInWith: real.writesInWith,
    write: (work, options) => {
      calls.write += 1;
      return real.write(work, options);
    },
    writeStatement: (query, options) => {
      calls.writeStatement += 1;
      return real.writeStatement(query, options);
    },
  };
  const store = new StorageIngestStore({ storage, clock: { now: () => T0 }, storedJob: storedApplyJob(new SqlJobQueue(real.claims)) });
  return { store, calls };
}

let seq = 0;
function request(dedupeKey: string, contentHash = 'hash-a'): { raw: RawRequestRecord; event: PreparedEvent } {
  seq += 1;
  const raw = rawRecord({ id: `req_ingest_${seq}`, receivedAt: T0, remoteAddr: '127.0.0.1' });
  const event = preparedPurchase({ dedupeKey, contentHash, iapLogId: 1000 + seq });
  return { raw, event };
}

const rows = async (eventId: string) => ({
  events: (await db.storage.read.all(sql`SELECT id FROM events WHERE id = ${eventId}`)).length,
  raw: await db.storage.read.all<{ outcome: string }>(sql`SELECT outcome FROM raw_requests WHERE event_id = ${eventId} ORDER BY received_at, id`),
  jobs: (await db.storage.read.all(sql`SELECT id FROM jobs WHERE kind = 'apply-iap-event' AND payload LIKE ${`%${eventId}%`}`)).length,
});

describe('ingest store', () => {
  it('when a webhook is new, then its event, raw request and job are written at once: one statement where WITH may write, else one transaction', async () => {
    const { store, calls } = countingStore();
    const { raw, event } = request('ingest:new');
    const result = await store.ingest(raw, event, () => 1);
    expect(result.kind).toBe('stored');
    const eventId = (result as { eventId: string }).eventId;
    expect(await rows(eventId)).toEqual({ events: 1, raw: [{ outcome: 'stored' }], jobs: 1 });
    expect(calls).toEqual(db.storage.writesInWith ? { write: 0, writeStatement: 1 } : { write: 1, writeStatement: 0 });
  });

  it('when the same webhook arrives again, then the one statement writes nothing and the transaction records the duplicate', async () => {
    const first = request('ingest:again');
    const stored = await countingStore().store.ingest(first.raw, first.event, () => 1);
    const { store, calls } = countingStore();
    const again = request('ingest:again');
    const result = await store.ingest(again.raw, again.event, () => 1);
    expect(result).toEqual({ kind: 'duplicate', eventId: (stored as { eventId: string }).eventId });
    expect(await rows(result.kind === 'duplicate' ? result.eventId : '')).toEqual({
      events: 1,
      raw: [{ outcome: 'stored' }, { outcome: 'duplicate' }],
      jobs: 1,
    });
    expect(calls).toEqual(db.storage.writesInWith ? { write: 1, writeStatement: 1 } : { write: 1, writeStatement: 0 });
  });

  it('when the same identity arrives with other content, then it is a conflict and the first event stays as it was', async () => {
    const first = request('ingest:conflict', 'hash-first');
    const stored = await countingStore().store.ingest(first.raw, first.event, () => 1);
    const other = request('ingest:conflict', 'hash-other');
    const result = await countingStore().store.ingest(other.raw, other.event, () => 1);
    expect(result).toEqual({ kind: 'conflict', eventId: (stored as { eventId: string }).eventId });
    const hash = await db.storage.read.get<{ h: string }>(sql`SELECT content_hash AS h FROM events WHERE dedupe_key = 'ingest:conflict'`);
    expect(hash?.h).toBe('hash-first');
  });

  it('when a spooled request is ingested once, then it goes through the transaction and a second time writes nothing', async () => {
    const { store, calls } = countingStore();
    const { raw, event } = request('ingest:once');
    const sent = { status: 200, body: { received: true, duplicate: null, eventId: null, spooled: true } };
    expect((await store.ingest(raw, event, () => 1, { once: true, sent })).kind).toBe('stored');
    expect(await store.ingest(raw, event, () => 1, { once: true, sent })).toEqual({ kind: 'already' });
    expect(calls).toEqual({ write: 2, writeStatement: 0 });
  });
});
