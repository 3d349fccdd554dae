import Database from 'better-sqlite3';

// The BullMQ peer's ledger: a SQLite file (WAL, synchronous=FULL) with a purchase row per event and
// an entitlement per user and product, one transaction per job, as its worker applies them.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS purchases (
  event_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  price INTEGER,
  purchased_at TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entitlements (
  user_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  last_event_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, product_id)
);`;

interface Purchase {
  userId: string;
  productId: string;
  quantity: number;
  price: number | null;
  purchasedAt: string;
  transactionId: string;
}

/** The fields the ledger needs from a nachocode purchase body; throws naming the first one missing. */
function purchaseOf(body: unknown): Purchase {
  const b = (body ?? {}) as Record<string, unknown>;
  const data = (b.data ?? {}) as Record<string, unknown>;
  const text = (value: unknown, name: string) => {
    if (typeof value !== 'string' || value === '') throw new Error(`purchase without ${name}`);
    return value;
  };
  return {
    userId: text(b.userId, 'userId'),
    productId: text(b.productId, 'productId'),
    quantity: typeof b.quantity === 'number' ? b.quantity : 1,
    price: typeof b.price === 'number' ? b.price : null,
    purchasedAt: text(b.purchasedAt, 'purchasedAt'),
    transactionId: text(data.transactionId, 'data.transactionId'),
  };
}

export interface Ledger {
  /** Inserts the purchase and adds it to the user's entitlement, once per event id. */
  apply(eventId: string, body: unknown): void;
  close(): void;
}

export function openLedger(file: string): Ledger {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO purchases (event_id, user_id, product_id, transaction_id, quantity, price, purchased_at, applied_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
  );
  const entitle = db.prepare(
    `INSERT INTO entitlements (user_id, product_id, quantity, last_event_id, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at`,
  );
  const apply = db.transaction((eventId: string, p: Purchase) => {
    const now = Date.now();
    // A job retried after its commit finds its purchase there and changes nothing.
    if (insert.run(eventId, p.userId, p.productId, p.transactionId, p.quantity, p.price, p.purchasedAt, now).changes === 0) return;
    entitle.run(p.userId, p.productId, p.quantity, eventId, now);
  });
  return { apply: (eventId, body) => apply(eventId, purchaseOf(body)), close: () => db.close() };
}

/**
 * Processing lag of each acknowledged event found in the ledger: applied_at (the worker's clock)
 * minus the moment its 200 reached the load generator (same machine), clamped at 0 like iaphook's.
 */
export function ledgerLags(file: string, acks: Map<string, number>): number[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT event_id AS id, applied_at AS appliedAt FROM purchases WHERE event_id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify([...acks.keys()])) as Array<{ id: string; appliedAt: number }>;
    return rows.map((row) => Math.max(0, row.appliedAt - acks.get(row.id)!));
  } finally {
    db.close();
  }
}
