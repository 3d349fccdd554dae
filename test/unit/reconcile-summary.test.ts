import type { ReconcileSummary } from '../../src/reconciliation/reconcile-file';
import { anomalyLines, formatSummary } from '../../src/reconciliation/summary-text';
import type { ReconciliationReport, ReportAnomaly } from '../../src/reconciliation/types';

const summary = (over: Partial<ReconcileSummary> = {}): ReconcileSummary => ({
  file: 'export.csv',
  format: 'csv',
  environment: 'production',
  ledger: 'local database ./data/iaphook.db',
  rows: { read: 12, compared: 10, matched: 7, duplicateInFile: 1, otherEnvironment: 1, ignored: 0, invalid: 0 },
  ranges: { purchase: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z' }, refund: null },
  missing: { purchase: 2, refund: 1 },
  extra: { purchase: 0, refund: 0 },
  mismatched: { purchase: 0, refund: 0 },
  ingest: null,
  discrepancies: 3,
  ...over,
});
const stats = { elapsedMs: 1234, peakRssMb: 150.4, jsonPath: null, applied: null };
const noSamples = { missing: [], extra: [], mismatched: [], invalid: [] };

describe('formatSummary', () => {
  it.each([
    ['discrepancies remain', summary(), 'Result: 3 discrepancies need attention (exit 1).'],
    ['one remains', summary({ discrepancies: 1 }), 'Result: 1 discrepancy need attention (exit 1).'],
    ['nothing differs', summary({ missing: { purchase: 0, refund: 0 }, discrepancies: 0 }), 'Result: no discrepancies (exit 0).'],
  ])('when %s, then the verdict says so', (_case, s, verdict) => {
    expect(formatSummary(s, noSamples, stats)).toContain(verdict);
  });

  it('when rows are missing, then the table counts them per type and says how to recover them', () => {
    const text = formatSummary(summary(), noSamples, stats);
    expect(text).toMatch(/missing from the ledger\s+2\s+1\s+lost webhooks: resend from the nachocode dashboard, or rerun with --ingest/);
    expect(text).toContain('checked over purchases 2026-03-01T00:00:00.000Z to 2026-03-31T00:00:00.000Z');
    expect(text).toContain('Time 1.2 s · peak memory 150 MB');
  });

  it('when only some items are sampled, then the listing says how many there are', () => {
    const missing = [{ line: 4, type: 'purchase', iapLogId: 5012, refundedAt: null, userId: 'user-7f3a', productId: 'coins' }];
    const text = formatSummary(summary(), { ...noSamples, missing }, stats);
    expect(text).toContain('Missing from the ledger (first 1 of 3):');
    expect(text).toContain('line 4  purchase iapLogId 5012  user-7f3a  coins');
  });

  it('when rows were ingested and applied, then the ingest line reports it', () => {
    const s = summary({ ingest: { requested: 3, stored: 2, duplicate: 1, conflict: 0, rejected: 0 }, discrepancies: 0 });
    expect(formatSummary(s, noSamples, { ...stats, applied: true })).toContain('--ingest: 2 imported, 1 already there, 0 refused; applied to the ledger.');
  });
});

describe('anomalyLines', () => {
  const zero = {
    orphan_refund: 0,
    over_refund: 0,
    conflicting_duplicate: 0,
    negative_balance: 0,
    duplicate_transaction_id: 0,
    rejected_request: 0,
    stuck_event: 0,
    environment_mismatch: 0,
    refund_mismatch: 0,
    unknown_value: 0,
  };
  const anomaly = (over: Partial<ReportAnomaly> = {}): ReportAnomaly => ({
    id: 'rejected_request:0123456789abcdef0123456789abcdef',
    code: 'rejected_request',
    explanation: '5 near-identical POSTs to /webhooks/nachocode were stored but answered 401 (unauthorized).',
    environment: 'production',
    userId: 'user-1',
    productId: 'coins',
    at: '2026-03-10T00:00:00.000Z',
    count: 5,
    firstSeen: '2026-03-09T00:00:00.000Z',
    lastSeen: '2026-03-10T00:00:00.000Z',
    evidence: { eventIds: [], rawRequestIds: [], details: {} },
    acknowledgement: null,
    ...over,
  });
  const report = (over: Partial<ReconciliationReport>): ReconciliationReport =>
    ({ environment: 'production', anomalyCounts: zero, acknowledgedCounts: zero, includeAcknowledged: false, anomalies: [], ...over }) as ReconciliationReport;

  it.each<[string, Partial<ReconciliationReport>, number, string[]]>([
    ['nothing is open', {}, 10, ['Anomalies in the production ledger: 0 open']],
    [
      'a group is open',
      { anomalyCounts: { ...zero, rejected_request: 1 }, anomalies: [anomaly()] },
      10,
      [
        'Anomalies in the production ledger: 1 open (rejected_request 1):',
        '  rejected_request ×5  rejected_request:0123456789abcdef0123456789abcdef',
        '    5 near-identical POSTs',
      ],
    ],
    [
      'more are open than shown, and some are acknowledged',
      {
        anomalyCounts: { ...zero, rejected_request: 2, orphan_refund: 1 },
        acknowledgedCounts: { ...zero, over_refund: 4 },
        anomalies: [anomaly(), anomaly({ count: 1 })],
      },
      1,
      ['3 open (orphan_refund 1, rejected_request 2); 4 acknowledged not shown (--acknowledged) (first 1):'],
    ],
    [
      'acknowledged ones are asked for',
      {
        acknowledgedCounts: { ...zero, rejected_request: 1 },
        includeAcknowledged: true,
        anomalies: [anomaly({ acknowledgement: { by: 'alice', reason: 'old key', at: '2026-03-10T01:00:00.000Z' } })],
      },
      10,
      ['0 open, 1 acknowledged:', '[acknowledged by alice: old key]'],
    ],
  ])('when %s, then the lines say so', (_case, over, show, parts) => {
    const text = anomalyLines(report(over), show).join('\n');
    for (const part of parts) expect(text).toContain(part);
  });
});
