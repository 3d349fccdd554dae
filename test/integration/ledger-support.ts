import { eq } from 'drizzle-orm';
import { events } from '../../src/storage/sqlite/schema';
import type { Db } from '../../src/storage/sqlite/database';
import { newId } from '../../src/shared/ids';
import { freshDatabase } from '../support/db';
import type { Json } from '../support/fixtures';

export const T0 = Date.UTC(2026, 2, 10);

export type LedgerTestDb = ReturnType<typeof freshDatabase>;

/** A fresh database per test, removed afterwards. */
export function useLedgerDatabase(): () => LedgerTestDb {
  let database: LedgerTestDb | undefined;
  beforeEach(() => {
    database = freshDatabase();
  });
  afterEach(() => database?.remove());
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

/** Writes an events row the way the receiver would: the ledger reads nothing else. */
export function storeEvent(db: Db, type: StoredType, body: Json, receivedAt = T0, dedupeKey?: string): string {
  const id = newId('evt', receivedAt);
  db.insert(events)
    .values({
      id,
      type,
      environment: str(body.environment),
      dedupeKey: dedupeKey ?? dedupeKeyOf(type, body, id),
      contentHash: 'x',
      payload: JSON.stringify(body),
      userId: str(body.userId),
      productId: str(body.productId),
      iapLogId: num(body.iapLogId),
      receivedAt,
      updatedAt: receivedAt,
    })
    .run();
  return id;
}

export function eventRow(db: Db, id: string) {
  const row = db.select().from(events).where(eq(events.id, id)).get();
  if (!row) throw new Error(`no event ${id}`);
  return row;
}
