import { applyEvent, type ApplyResult } from '../../src/ledger';
import { EVENT_COLUMNS, type EventRow } from '../../src/receiver';
import { newId } from '../../src/shared/ids';
import type { Queryable, Storage, Tx } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';
import { freshStorage, type TestStorage } from '../support/backend';
import type { Json } from '../support/fixtures';

export const T0 = Date.UTC(2026, 2, 10);

export type LedgerTestDb = TestStorage;

/** A fresh database per test (on the backend under test), removed afterwards. */
export function useLedgerDatabase(): () => LedgerTestDb {
  let database: LedgerTestDb | undefined;
  beforeEach(async () => {
    database = await freshStorage();
  });
  afterEach(async () => {
    await database?.remove();
    database = undefined;
  });
  return () => {
    if (!database) throw new Error('database used outside a test');
    return database;
  };
}

type StoredType = 'purchase' | 'refund' | 'unavailable_users';

function dedupeKeyOf(type: StoredType, body: Json, id: string): string {
  if (type === 'purchase') return `purchase:${String(body.environment)}:${String(body.iapLogId)}`;
  if (type === 'refund') return `refund:${String(body.environment)}:${String(body.iapLogId)}:${String(body.refundedAt)}`;
  return `unavailable_users:${id}`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** Inserts an events row the way the receiver would, inside the caller's transaction. */
export async function insertEvent(tx: Tx, type: StoredType, body: Json, receivedAt = T0, dedupeKey?: string): Promise<string> {
  const id = newId('evt', receivedAt);
  await tx.run(sql`INSERT INTO events
      (id, type, environment, dedupe_key, content_hash, payload, user_id, product_id, iap_log_id, received_at, updated_at)
    VALUES (${id}, ${type}, ${str(body.environment)}, ${dedupeKey ?? dedupeKeyOf(type, body, id)}, ${'x'}, ${JSON.stringify(body)},
      ${str(body.userId)}, ${str(body.productId)}, ${num(body.iapLogId)}, ${receivedAt}, ${receivedAt})`);
  return id;
}

/** Writes an events row the way the receiver would: the ledger reads nothing else. */
export function storeEvent(storage: Storage, type: StoredType, body: Json, receivedAt = T0, dedupeKey?: string): Promise<string> {
  return storage.write((tx) => insertEvent(tx, type, body, receivedAt, dedupeKey));
}

export async function eventRow(db: Queryable, id: string): Promise<EventRow> {
  const row = await db.get<EventRow>(sql`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ${id}`);
  if (!row) throw new Error(`no event ${id}`);
  return row;
}

/** The helpers every ledger test file uses, bound to the test's database. */
export function ledgerHelpers(database: () => LedgerTestDb) {
  const storage = () => database().storage;
  return {
    storage,
    /** Reads outside a transaction. */
    db: () => storage().read,
    /** Applies one event in a transaction of its own, as the apply job does. */
    apply: (id: string, now = T0 + 1000): Promise<ApplyResult> => storage().write((tx) => applyEvent(tx, id, now)),
    store: (type: StoredType, body: Json, receivedAt = T0, dedupeKey?: string) => storeEvent(storage(), type, body, receivedAt, dedupeKey),
  };
}
