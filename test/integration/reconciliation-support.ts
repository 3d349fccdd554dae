import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../src/storage/port';
import { nacho, type Json } from '../support/fixtures';
import { sql, type TestRuntime } from '../support/runtime';

// One scenario for the file comparison, shared by the local and the remote (--url) tests:
// what the ledger received, and the export nachocode would give for the same days.

export const CSV_HEADER = [
  'userId',
  'iapLogId',
  'nachoProductId',
  'os',
  'productId',
  'productType',
  'quantity',
  'price',
  'environment',
  'data.transactionId',
  'data.orderId',
  'purchasedAt',
  'refundQuantity',
  'refundedAt',
];

const purchase = (iapLogId: number, purchasedAt: string, extra: Json = {}) =>
  nacho.purchaseIos({ iapLogId, purchasedAt, data: { transactionId: `t-${iapLogId}` }, ...extra });

/** What the ledger got: A, B and B's refund, C (not in the export), and an old purchase outside the export's days. */
export async function seedLedger(rt: TestRuntime): Promise<void> {
  const bodies = [
    purchase(101, '2026-03-02T08:00:00.000Z'),
    purchase(102, '2026-03-03T08:00:00.000Z'),
    nacho.refundAndroid({ ...purchase(102, '2026-03-03T08:00:00.000Z'), refundQuantity: 1, refundedAt: '2026-03-04T08:00:00.000Z' }),
    purchase(103, '2026-03-03T12:00:00.000Z', { userId: 'user-not-in-export' }),
    purchase(90, '2026-01-15T08:00:00.000Z'),
    purchase(104, '2026-03-03T09:00:00.000Z', { environment: 'sandbox' }),
  ];
  for (const body of bodies) await rt.post('/webhooks/nachocode', body).expect(200);
  await rt.worker.whenIdle();
}

/** The export: A matches, B's price differs, B's refund matches, D and D's refund never arrived, plus noise. */
export function exportRows(): Json[] {
  return [
    purchase(101, '2026-03-02T08:00:00.000Z'),
    purchase(102, '2026-03-03T08:00:00.000Z', { price: 1500 }),
    { ...purchase(102, '2026-03-03T08:00:00.000Z'), refundQuantity: 1, refundedAt: '2026-03-04T08:00:00.000Z', purchasedAt: undefined },
    purchase(105, '2026-03-04T10:00:00.000Z', { userId: 'user-lost', quantity: 3, price: 3600 }),
    {
      ...purchase(105, '2026-03-04T10:00:00.000Z', { userId: 'user-lost', quantity: 3, price: 3600 }),
      refundQuantity: 2,
      refundedAt: '2026-03-05T10:00:00.000Z',
      purchasedAt: undefined,
    },
    purchase(101, '2026-03-02T08:00:00.000Z'),
    purchase(201, '2026-03-02T08:00:00.000Z', { environment: 'sandbox' }),
    { ...purchase(106, '2026-03-03T08:00:00.000Z'), quantity: 'lots' },
  ];
}

export function writeCsv(file: string, rows: Json[]): void {
  const cell = (v: unknown) => (v === undefined || v === null ? '' : `"${String(v).replace(/"/g, '""')}"`);
  const lines = rows.map((r) => {
    const data = (r.data ?? {}) as Json;
    return CSV_HEADER.map((h) => (h.startsWith('data.') ? cell(data[h.slice(5)]) : cell(r[h]))).join(',');
  });
  fs.writeFileSync(file, `${CSV_HEADER.join(',')}\n${lines.join('\n')}\n`);
}

export function writeJsonl(file: string, rows: Json[]): void {
  fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

export const fileIn = (dir: string, name: string) => path.join(dir, name);

/** Row counts of every table an import could touch: equal snapshots mean nothing changed. */
export async function snapshot(db: Queryable): Promise<Record<string, number>> {
  const tables = ['events', 'raw_requests', 'ledger_entries', 'purchases', 'jobs', 'anomalies'];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = (await db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${t}`)))!.n;
  return counts;
}
