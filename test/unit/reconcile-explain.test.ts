import { evidenceOf, explainFinding, type Finding } from '../../src/reconciliation/explain';
import type { ReportAnomalyCode } from '../../src/reconciliation/types';

const NOW = Date.UTC(2026, 2, 10, 12);
const finding = (code: ReportAnomalyCode, details: Record<string, unknown>, extra: Partial<Finding> = {}): Finding => ({
  id: `${code}:1`,
  code,
  environment: 'production',
  userId: 'user-1',
  productId: 'coins',
  eventId: 'evt_1',
  rawRequestId: 'req_1',
  details,
  at: NOW - 3 * 3600 * 1000 - 5 * 60 * 1000,
  ...extra,
});

describe('explainFinding', () => {
  it.each([
    ['orphan_refund', { iapLogId: 5013, refundQuantity: 1 }, ['1 unit of coins', 'iapLogId 5013', '3 h 5 min ago', 'purchase never did']],
    [
      'over_refund',
      { iapLogId: 7, requested: 3, applied: 1, purchased: 5, previouslyRefunded: 4 },
      ['asked for 3 units', 'only 1 unit of the 5 units', '2 units were not revoked'],
    ],
    ['conflicting_duplicate', { dedupeKey: 'purchase:production:1' }, ['purchase:production:1', '409']],
    ['negative_balance', { balance: -1, purchased: 5, refunded: 2, consumed: 4 }, ['user-1', 'balance is -1', 'consumed 4']],
    ['duplicate_transaction_id', { transactionId: 't-9', iapLogId: 2, seenUnder: [{ iapLogId: 1, eventId: 'evt_0' }] }, ['t-9', 'iapLogId 2', 'also under 1']],
    ['rejected_request', { method: 'POST', path: '/webhooks/nachocode', status: 401, reason: 'unauthorized' }, ['answered 401', 'webhook key', 'replay']],
    ['rejected_request', { method: 'POST', path: '/webhooks/nachocode/refund', status: 422, reason: 'validation_failed' }, ['failed validation']],
    ['stuck_event', { type: 'purchase', status: 'dead', error: 'boom' }, ['purchase event', '3 h 5 min ago', 'still dead', 'last error: boom']],
    [
      'environment_mismatch',
      { transactionId: 't-1', iapLogId: 3, environment: 'production', seenIn: [{ environment: 'sandbox' }] },
      ['t-1', 'arrived in production', 'seen in sandbox'],
    ],
    ['refund_mismatch', { iapLogId: 4, refund: { userId: 'a', productId: 'x' }, purchase: { userId: 'b', productId: 'y' } }, ['names a / x', 'was b / y']],
  ] as Array<[ReportAnomalyCode, Record<string, unknown>, string[]]>)(
    'when the code is %s, then the explanation states the facts',
    (code, details, phrases) => {
      const anomaly = explainFinding(finding(code, details), NOW);
      for (const phrase of phrases) expect(anomaly.explanation).toContain(phrase);
      expect(anomaly).toMatchObject({ code, userId: 'user-1', productId: 'coins', environment: 'production' });
    },
  );

  it('when details are missing, then the explanation still reads (question marks, no crash)', () => {
    expect(explainFinding(finding('over_refund', {}), NOW).explanation).toContain('iapLogId ?');
  });
});

describe('evidenceOf', () => {
  it.each([
    ['the finding itself', {}, ['evt_1'], ['req_1']],
    ['an over-refund names its purchase', { purchaseEventId: 'evt_p' }, ['evt_1', 'evt_p'], ['req_1']],
    ['a conflict names the request that conflicted', { storedEventId: 'evt_1', conflictingRequestId: 'req_2' }, ['evt_1'], ['req_1', 'req_2']],
    [
      'a duplicate transaction names every sighting',
      { seenUnder: [{ eventId: 'evt_a' }, { eventId: 'evt_b' }], seenIn: [{ eventId: 'evt_a' }] },
      ['evt_1', 'evt_a', 'evt_b'],
      ['req_1'],
    ],
  ])('when %s, then the ids are listed once each', (_case, details, eventIds, rawRequestIds) => {
    const evidence = evidenceOf(finding('over_refund', details));
    expect(evidence).toEqual({ eventIds, rawRequestIds, details });
  });
});
