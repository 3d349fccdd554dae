import fs from 'node:fs';
import { DiscrepancyLog, localLedgerSource, reconcileFile, type FileFormat } from '../../src/reconciliation';
import { tempDir } from '../support/db';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';
import { exportRows, fileIn, seedLedger, snapshot, writeCsv, writeJsonl } from './reconciliation-support';

// The file comparison against the local database, in-process: exact discrepancy lists, the
// time-range rule for "in the ledger, not in the file", --ingest and its idempotency.

let rt: TestRuntime;
let dir: string;

beforeEach(async () => {
  rt = await startRuntime();
  dir = tempDir('iaphook-reconcile-file-');
  await seedLedger(rt);
});
afterEach(async () => {
  await rt.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function reconcile(file: string, format: FileFormat, options: { ingest?: boolean; spool?: boolean; range?: { from?: number; to?: number } } = {}) {
  const log = new DiscrepancyLog({ sampleLimit: 100, spoolDir: options.spool ? dir : null });
  const summary = await reconcileFile({
    file,
    format,
    environment: 'production',
    source: localLedgerSource(rt.storage.read, rt.importReceive, 'test database'),
    log,
    ingest: options.ingest ?? false,
    range: options.range,
    batchSize: 3,
  });
  return { summary, log };
}

describe.each(['csv', 'jsonl'] as const)('reconciling a %s export with the local ledger', (format) => {
  let file: string;
  beforeEach(() => {
    file = fileIn(dir, `export.${format}`);
    (format === 'csv' ? writeCsv : writeJsonl)(file, exportRows());
  });

  it('when the export and the ledger differ, then missing, extra and mismatched rows are found exactly', async () => {
    const { summary, log } = await reconcile(file, format);
    expect(summary).toMatchObject({
      rows: { read: 8, compared: 5, matched: 2, duplicateInFile: 1, otherEnvironment: 1, ignored: 0, invalid: 1 },
      missing: { purchase: 1, refund: 1 },
      extra: { purchase: 1, refund: 0 },
      mismatched: { purchase: 1, refund: 0 },
      ranges: {
        purchase: { from: '2026-03-02T08:00:00.000Z', to: '2026-03-04T10:00:00.000Z' },
        refund: { from: '2026-03-04T08:00:00.000Z', to: '2026-03-05T10:00:00.000Z' },
      },
      ingest: null,
      discrepancies: 5,
    });
    expect(log.samples('missing')).toEqual([
      expect.objectContaining({ type: 'purchase', iapLogId: 105, refundedAt: null, userId: 'user-lost', quantity: 3, price: 3600 }),
      expect.objectContaining({ type: 'refund', iapLogId: 105, refundedAt: '2026-03-05T10:00:00.000Z', refundQuantity: 2 }),
    ]);
    expect(log.samples('extra')).toEqual([
      expect.objectContaining({
        type: 'purchase',
        iapLogId: 103,
        userId: 'user-not-in-export',
        status: 'applied',
        source: 'webhook',
        eventId: expect.stringMatching(/^evt_/),
      }),
    ]);
    expect(log.samples('mismatched')).toEqual([
      expect.objectContaining({ type: 'purchase', iapLogId: 102, fields: [{ field: 'price', file: 1500, ledger: 1200 }] }),
    ]);
    expect(log.samples('invalid')).toEqual([{ line: format === 'csv' ? 9 : 8, problems: [expect.stringContaining('quantity')] }]);
  });

  it('when --from/--to widen the range, then ledger events of those days missing from the file are extra too', async () => {
    const { summary } = await reconcile(file, format, { range: { from: Date.UTC(2026, 0, 1) } });
    expect(summary.extra).toEqual({ purchase: 2, refund: 0 });
  });
});

describe('--ingest', () => {
  it('when run twice, then the missing rows are imported once and the second run changes nothing', async () => {
    const file = fileIn(dir, 'export.csv');
    writeCsv(file, exportRows());
    const first = await reconcile(file, 'csv', { ingest: true });
    expect(first.summary.ingest).toEqual({ requested: 2, stored: 2, duplicate: 0, conflict: 0, rejected: 0 });
    expect(first.summary.discrepancies).toBe(3);
    expect(first.log.samples('missing')).toEqual([
      expect.objectContaining({ iapLogId: 105, ingested: { outcome: 'stored', eventId: expect.stringMatching(/^evt_/), error: null } }),
      expect.objectContaining({ iapLogId: 105, ingested: expect.objectContaining({ outcome: 'stored' }) }),
    ]);
    await rt.worker.whenIdle();
    const imported = await rt.rows<{ source: string; status: string; type: string }>(
      sql`SELECT e.source, e.status, e.type FROM events e JOIN raw_requests r ON r.id = e.raw_request_id WHERE e.iap_log_id = 105 AND r.source = 'import' ORDER BY e.type, e.id`,
    );
    expect(imported).toEqual([
      { source: 'import', status: 'applied', type: 'purchase' },
      { source: 'import', status: 'applied', type: 'refund' },
    ]);
    const ent = await rt.http.get('/api/users/user-lost/entitlements?environment=production').set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
    expect(ent.body.entitlements).toEqual([expect.objectContaining({ purchased: 3, refunded: 2, balance: 1 })]);

    const before = await snapshot(rt.storage.read);
    const second = await reconcile(file, 'csv', { ingest: true });
    await rt.worker.whenIdle();
    expect(await snapshot(rt.storage.read)).toEqual(before);
    expect(second.summary.ingest).toEqual({ requested: 0, stored: 0, duplicate: 0, conflict: 0, rejected: 0 });
    expect(second.summary).toMatchObject({ missing: { purchase: 0, refund: 0 }, rows: { matched: 4 }, discrepancies: 3 });
  });
});

describe('the full JSON report', () => {
  it('when a spool folder is given, then every discrepancy is written as one JSON document', async () => {
    const file = fileIn(dir, 'export.jsonl');
    writeJsonl(file, exportRows());
    const { summary, log } = await reconcile(file, 'jsonl', { spool: true });
    const out = fileIn(dir, 'out.json');
    await log.writeJson(out, summary);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.summary.discrepancies).toBe(5);
    expect([report.missing.length, report.extra.length, report.mismatched.length, report.invalid.length]).toEqual([2, 1, 1, 1]);
  });
});
