import { ManualClock } from '../../src/shared/clock';
import type { ReconciliationReport, ReportAnomaly } from '../../src/reconciliation';
import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';

// Every anomaly code of the report, each produced by webhook bodies sent through the real
// receiver and worker, then read back through GET /api/reconciliation.

const AUTO = '/webhooks/nachocode';
const HOUR = 3600 * 1000;
let rt: TestRuntime;
let clock: ManualClock;

async function start(options: { startWorker?: boolean } = {}) {
  clock = new ManualClock(Date.UTC(2026, 2, 10));
  rt = await startRuntime({ RECONCILE_ORPHAN_REFUND_GRACE_MS: String(HOUR), RECONCILE_STUCK_EVENT_AFTER_MS: String(15 * 60 * 1000) }, { clock, ...options });
}
afterEach(() => rt.stop());

async function send(...bodies: Array<Record<string, unknown>>): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) ids.push((await rt.post(AUTO, body).expect(200)).body.eventId as string);
  if (rt.worker.isRunning()) await rt.worker.whenIdle();
  return ids;
}

async function report(query = 'environment=production'): Promise<ReconciliationReport> {
  return (await rt.http.get(`/api/reconciliation?${query}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(200)).body;
}

function only(r: ReconciliationReport, code: string): ReportAnomaly {
  const found = r.anomalies.filter((a) => a.code === code);
  expect(found).toHaveLength(1);
  expect(r.anomalyCounts[code as keyof ReconciliationReport['anomalyCounts']]).toBe(1);
  expect(found[0].explanation.length).toBeGreaterThan(40);
  return found[0];
}

describe('anomalies in GET /api/reconciliation', () => {
  it('when a refund waits for its purchase past the grace period, then it is an orphan_refund', async () => {
    await start();
    const [refundId] = await send(nacho.refundAndroid());
    clock.advance(HOUR - 1);
    expect((await report()).anomalyCounts.orphan_refund).toBe(0);
    clock.advance(2);
    const anomaly = only(await report(), 'orphan_refund');
    expect(anomaly).toMatchObject({ userId: 'user-19c2', productId: 'com.example.app.premium_unlock', environment: 'production' });
    expect(anomaly.evidence.eventIds).toEqual([refundId]);
    expect(anomaly.evidence.rawRequestIds).toEqual([expect.stringMatching(/^req_/)]);
    expect(anomaly.explanation).toContain('5013');
  });

  it('when a refund asks for more than was bought, then it is an over_refund', async () => {
    await start();
    const [purchaseId, refundId] = await send(nacho.purchaseAndroid(), nacho.refundAndroid({ refundQuantity: 2 }));
    const anomaly = only(await report(), 'over_refund');
    expect(anomaly.evidence.eventIds).toEqual([refundId, purchaseId]);
    expect(anomaly.evidence.details).toMatchObject({ requested: 2, applied: 1, purchased: 1 });
  });

  it('when the same purchase arrives with different content, then it is a conflicting_duplicate', async () => {
    await start();
    const [purchaseId] = await send(nacho.purchaseIos());
    const conflict = await rt.post(AUTO, nacho.purchaseIos({ price: 999 })).expect(409);
    expect(conflict.body.error.details.eventId).toBe(purchaseId);
    const anomaly = only(await report(), 'conflicting_duplicate');
    expect(anomaly.evidence.eventIds).toEqual([purchaseId]);
    expect(anomaly.evidence.rawRequestIds).toHaveLength(1);
    expect(anomaly.explanation).toContain('purchase:production:5012');
  });

  it('when a consumable is refunded after it was spent, then it is a negative_balance', async () => {
    await start();
    await send(nacho.purchaseIosMulti());
    await rt.http
      .post('/api/users/user-7f3a/consumptions')
      .set('Authorization', `Bearer ${rt.adminToken()}`)
      .send({ environment: 'sandbox', productId: 'com.example.app.gems10', quantity: 4, idempotencyKey: 'spend-1' })
      .expect(201);
    const [refundId] = await send(nacho.refundIosPartial());
    const sandbox = await report('environment=sandbox');
    const anomaly = only(sandbox, 'negative_balance');
    expect(anomaly).toMatchObject({ userId: 'user-7f3a', productId: 'com.example.app.gems10' });
    expect(anomaly.evidence.eventIds).toEqual([refundId]);
    expect(anomaly.explanation).toContain('-1');
    expect((await report()).anomalyCounts.negative_balance).toBe(0);
  });

  it('when one store transaction id arrives under two iapLogIds, then it is a duplicate_transaction_id', async () => {
    await start();
    // One after the other, the first applied before the second arrives: sent together, the two may
    // be applied at once (PostgreSQL), and then either can be the one that finds the other.
    const [first] = await send(nacho.purchaseIos());
    const [second] = await send(nacho.purchaseIos({ iapLogId: 6001 }));
    const anomaly = only(await report(), 'duplicate_transaction_id');
    expect(anomaly.evidence.eventIds).toEqual([second, first]);
    expect(anomaly.explanation).toContain('2000000871234501');
  });

  it('when requests are stored but refused (a wrong key, an invalid body), then each is a rejected_request', async () => {
    await start();
    await rt.post(AUTO, nacho.purchaseIos(), 'not-the-configured-key-000000').expect(401);
    await rt.post(AUTO, nacho.purchaseIos({ quantity: 'one' })).expect(422);
    await rt.post(AUTO, nacho.purchaseIos({ environment: 'sandbox' }), null).expect(401);
    const r = await report();
    // The third body names sandbox: it belongs to the sandbox report only.
    expect(r.anomalyCounts.rejected_request).toBe(2);
    const rejected = r.anomalies.filter((a) => a.code === 'rejected_request');
    expect(rejected.map((a) => a.evidence.details.reason).sort()).toEqual(['unauthorized', 'validation_failed']);
    expect(rejected.every((a) => a.evidence.rawRequestIds.length === 1 && a.evidence.eventIds.length === 0)).toBe(true);
    expect(rejected[0]).toMatchObject({ userId: 'user-7f3a', productId: 'com.example.app.coins100' });
    expect((await report('environment=sandbox')).anomalyCounts.rejected_request).toBe(1);
  });

  it('when an accepted event is not applied after the threshold, then it is a stuck_event', async () => {
    await start({ startWorker: false });
    const [eventId] = await send(nacho.purchaseIos());
    clock.advance(14 * 60 * 1000);
    expect((await report()).anomalyCounts.stuck_event).toBe(0);
    clock.advance(2 * 60 * 1000);
    const anomaly = only(await report(), 'stuck_event');
    expect(anomaly.evidence.eventIds).toEqual([eventId]);
    expect(anomaly.explanation).toContain('still received');
  });

  it('when a sandbox transaction id shows up in production, then it is an environment_mismatch', async () => {
    await start();
    // The sandbox purchase is applied before the production one arrives: the anomaly belongs to the
    // event that finds the other, and two jobs claimed together may be applied in either order.
    const [sandboxId] = await send(nacho.purchaseIos({ environment: 'sandbox', iapLogId: 7001 }));
    const [productionId] = await send(nacho.purchaseIos());
    const anomaly = only(await report(), 'environment_mismatch');
    expect(anomaly.evidence.eventIds).toEqual([productionId, sandboxId]);
    expect(anomaly.explanation).toContain('sandbox');
  });
});

describe('totals in GET /api/reconciliation', () => {
  it('when purchases, refunds and consumption happen, then each product has its sums and the range filters by business time', async () => {
    await start();
    await send(
      nacho.purchaseIos(),
      nacho.purchaseIos({ iapLogId: 5100, purchasedAt: '2026-03-04T10:00:00.000Z', data: { transactionId: 't-5100' } }),
      nacho.purchaseAndroid(),
      nacho.refundAndroid(),
    );
    await rt.http
      .post('/api/users/user-7f3a/consumptions')
      .set('Authorization', `Bearer ${rt.adminToken()}`)
      .send({ environment: 'production', productId: 'com.example.app.coins100', quantity: 1, idempotencyKey: 'c1' })
      .expect(201);
    const all = await report();
    expect(all.totals).toEqual([
      expect.objectContaining({ productId: 'com.example.app.coins100', purchases: 2, unitsGranted: 2, unitsConsumed: 1, grossPrice: 2400, netPrice: 2400 }),
      expect.objectContaining({
        productId: 'com.example.app.premium_unlock',
        purchases: 1,
        refunds: 1,
        unitsRefunded: 1,
        grossPrice: 4900,
        refundedPrice: 4900,
        netPrice: 0,
      }),
    ]);
    expect(all.overall).toMatchObject({ purchases: 3, refunds: 1, grossPrice: 7300, refundedPrice: 4900, netPrice: 2400 });
    expect(all.daily).toEqual([
      { day: '2026-03-02', productId: 'com.example.app.coins100', purchases: 1, refunds: 0 },
      { day: '2026-03-02', productId: 'com.example.app.premium_unlock', purchases: 1, refunds: 0 },
      { day: '2026-03-04', productId: 'com.example.app.coins100', purchases: 1, refunds: 0 },
      { day: '2026-03-05', productId: 'com.example.app.premium_unlock', purchases: 0, refunds: 1 },
    ]);
    const march3to5 = await report('environment=production&from=2026-03-03&to=2026-03-05');
    expect(march3to5.overall).toMatchObject({ purchases: 1, refunds: 1, grossPrice: 1200, refundedPrice: 4900 });
  });

  it('when the range is malformed or reversed, then the answer is a 400 naming the parameter', async () => {
    await start();
    const bad = await rt.http.get('/api/reconciliation?from=yesterday').set('Authorization', `Bearer ${rt.adminToken()}`).expect(400);
    expect(bad.body.error.details.fields).toEqual([expect.objectContaining({ field: 'from' })]);
    await rt.http.get('/api/reconciliation?from=2026-03-05&to=2026-03-01').set('Authorization', `Bearer ${rt.adminToken()}`).expect(400);
    await rt.http.get('/api/reconciliation').expect(401);
  });
});
