import { ManualClock } from '../../src/shared/clock';
import type { ReconciliationReport, ReportAnomaly } from '../../src/reconciliation';
import { nacho } from '../support/fixtures';
import { signToken } from '../../src/http/tokens';
import { JWT_SECRET, sql, startRuntime, type TestRuntime } from '../support/runtime';

// Anomalies that resolve and can be acknowledged: a rejected request stops counting once its event
// is stored (replay, resend, import), near-identical rejections are one entry, and an admin can
// acknowledge any anomaly with a reason (POST /api/reconciliation/anomalies/:id/acknowledge).

const AUTO = '/webhooks/nachocode';
const PURCHASE = '/webhooks/nachocode/purchase';
const WRONG_KEY = 'wrong-key-wrong-key-wrong-key';
const HOUR = 3600 * 1000;
let rt: TestRuntime;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 2, 10));
  rt = await startRuntime({ RECONCILE_ORPHAN_REFUND_GRACE_MS: String(HOUR) }, { clock });
});
afterEach(() => rt.stop());

const admin = (sub?: string) => `Bearer ${signToken(JWT_SECRET, { role: 'admin', sub, now: clock.now() })}`;

async function report(query = ''): Promise<ReconciliationReport> {
  return (await rt.http.get(`/api/reconciliation?environment=production${query}`).set('Authorization', admin()).expect(200)).body;
}
const rejected = (r: ReconciliationReport) => r.anomalies.filter((a) => a.code === 'rejected_request');
const newestRequestId = async () => (await rt.http.get('/api/inspector/requests?limit=1').set('Authorization', admin()).expect(200)).body.data[0].id as string;

function acknowledge(id: string, body: unknown, sub = 'alice') {
  return rt.http
    .post(`/api/reconciliation/anomalies/${encodeURIComponent(id)}/acknowledge`)
    .set('Authorization', admin(sub))
    .send(body as object);
}

describe('rejected requests that resolve', () => {
  it('when a 401 is later replayed successfully, then it is no longer listed', async () => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), WRONG_KEY).expect(401);
    const original = await newestRequestId();
    expect((await report()).anomalyCounts.rejected_request).toBe(1);
    await rt.http.post(`/api/inspector/requests/${original}/replay`).set('Authorization', admin()).send({ acceptUnverified: true }).expect(200);
    const after = await report();
    expect(after.anomalyCounts.rejected_request).toBe(0);
    expect(rejected(after)).toEqual([]);
  });

  it('when a 401 purchase is resent with the right key, then it is no longer listed', async () => {
    clock.advance(1000);
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const before = rejected(await report());
    expect(before).toHaveLength(1);
    expect(before[0].evidence.details.dedupeKey).toBe('purchase:production:5012');
    expect(before[0].explanation).toContain('purchase:production:5012');
    clock.advance(60_000);
    // The resend from the dashboard arrives later, with the right key (and here even a fresher verifiedAt).
    await rt.post(AUTO, { ...nacho.purchaseIos(), verifiedAt: '2026-03-10T00:01:00.000Z' }).expect(200);
    expect((await report()).anomalyCounts.rejected_request).toBe(0);
  });

  it('when a rejected refund (an invalid field) is imported, then it is no longer listed', async () => {
    await rt.post(AUTO, nacho.refundAndroid({ refundedAt: '2026-03-05T19:00:00+09:00', price: 'n/a' })).expect(422);
    expect((await report()).anomalyCounts.rejected_request).toBe(1);
    // The same refund, fixed, through the import path: same identity, refundedAt as one instant.
    const body = nacho.refundAndroid({ refundedAt: '2026-03-05T10:00:00.000Z' });
    const res = await rt.http
      .post('/api/reconciliation/ingest')
      .set('Authorization', admin())
      .send({ rows: [{ ref: 'export.csv:2', body }] })
      .expect(200);
    expect(res.body.results[0].outcome).toBe('stored');
    expect((await report()).anomalyCounts.rejected_request).toBe(0);
  });

  it('when a body names no event (not JSON), then it stays listed whatever is stored', async () => {
    await rt.post(AUTO, '{"iapLogId": 5012,').expect(400);
    await rt.post(AUTO, nacho.purchaseIos()).expect(200);
    const r = await report();
    expect(r.anomalyCounts.rejected_request).toBe(1);
    expect(rejected(r)[0].evidence.details).toMatchObject({ reason: 'invalid_json' });
    expect(rejected(r)[0].evidence.details.dedupeKey).toBeUndefined();
  });
});

describe('near-identical rejections', () => {
  it('when the same request is refused 5 times, then it is one entry with count 5, first and last seen and example ids', async () => {
    const first = clock.now();
    for (let i = 0; i < 5; i++) {
      await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
      clock.advance(60_000);
    }
    // A different reason for the same event, and a different event: entries of their own.
    await rt.post(AUTO, nacho.purchaseIos({ quantity: 'one' })).expect(422);
    await rt.post(AUTO, nacho.purchaseIos({ iapLogId: 6001 }), WRONG_KEY).expect(401);
    const r = await report();
    expect(r.anomalyCounts.rejected_request).toBe(3);
    const group = rejected(r).find((a) => a.count === 5) as ReportAnomaly;
    expect(group).toMatchObject({
      id: expect.stringMatching(/^rejected_request:[0-9a-f]{32}$/),
      count: 5,
      firstSeen: new Date(first).toISOString(),
      lastSeen: new Date(first + 4 * 60_000).toISOString(),
      userId: 'user-7f3a',
      evidence: { details: { reason: 'unauthorized', count: 5, dedupeKey: 'purchase:production:5012' } },
    });
    expect(group.evidence.rawRequestIds).toHaveLength(3);
    expect(group.explanation).toContain('5 near-identical POSTs');
    expect(
      rejected(r)
        .filter((a) => a !== group)
        .map((a) => a.count),
    ).toEqual([1, 1]);
  });

  it('when a still-invalid body is replayed and refused again, then the replay joins its original', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos({ quantity: 'one' })).expect(422);
    const original = await newestRequestId();
    clock.advance(1000);
    const replayed = await rt.http.post(`/api/inspector/requests/${original}/replay`).set('Authorization', admin()).expect(200);
    expect(replayed.body.status).toBe(422);
    const r = await report();
    expect(r.anomalyCounts.rejected_request).toBe(1);
    expect(rejected(r)[0]).toMatchObject({ count: 2 });
    expect(new Set(rejected(r)[0].evidence.rawRequestIds)).toEqual(new Set([original, replayed.body.requestId]));
  });

  it('when the path differs only in case, then the rejections are one group; another body without identity is another', async () => {
    await rt.post(AUTO, 'not json at all').expect(400);
    await rt.post('/Webhooks/Nachocode', 'not json at all').expect(400);
    await rt.post(AUTO, 'other bytes, not json').expect(400);
    expect(
      rejected(await report())
        .map((a) => a.count)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('when a report runs twice, then the anomaly ids are the same', async () => {
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    await rt.post(AUTO, nacho.purchaseIos()).expect(200);
    await rt.post(AUTO, nacho.purchaseIos({ price: 1 })).expect(409);
    await rt.post(AUTO, nacho.refundAndroid()).expect(200);
    await rt.worker.whenIdle();
    clock.advance(2 * HOUR);
    await rt.post(AUTO, nacho.purchaseIos({ iapLogId: 6001 }), WRONG_KEY).expect(401);
    const ids = (r: ReconciliationReport) => r.anomalies.map((a) => a.id).sort();
    const once = await report();
    expect(once.anomalies.map((a) => a.code).sort()).toEqual(['conflicting_duplicate', 'orphan_refund', 'rejected_request']);
    clock.advance(1000);
    expect(ids(await report())).toEqual(ids(once));
  });
});

describe('requests rejected before rejections were identified', () => {
  it('when an upgraded install identifies them, then they group and resolve like new ones', async () => {
    for (let i = 0; i < 3; i++) await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    await rt.post(AUTO, nacho.purchaseIos({ iapLogId: 6001 }), WRONG_KEY).expect(401);
    await rt.post(AUTO, 'not json').expect(400);
    // As an older version stored them: no event, no group.
    await rt.storage.write((tx) => tx.run(sql`UPDATE raw_requests SET dedupe_key = NULL, rejection_group = NULL`));
    await rt.post(AUTO, nacho.purchaseIos()).expect(200);
    const before = await report();
    expect(before.anomalyCounts.rejected_request).toBe(5);
    expect(rejected(before).every((a) => a.count === 1 && /^rejected_request:req_/.test(a.id))).toBe(true);

    expect(await rt.identifyOldRejections()).toBe(5);
    const after = await report();
    // The three copies of 5012 resolved (its purchase is stored now); 6001 and the non-JSON body remain.
    expect(after.anomalyCounts.rejected_request).toBe(2);
    expect(
      rejected(after)
        .map((a) => a.evidence.details.dedupeKey ?? null)
        .sort(),
    ).toEqual([null, 'purchase:production:6001'].sort());
    expect(await rt.identifyOldRejections()).toBe(0);
  });
});

describe('POST /api/reconciliation/anomalies/:id/acknowledge', () => {
  it('when acknowledged with a reason, then it leaves the default report and shows with include=acknowledged', async () => {
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const [anomaly] = rejected(await report());
    clock.advance(5000);
    const res = await acknowledge(anomaly.id, { reason: 'key rotation test from staging' }).expect(200);
    expect(res.body).toEqual({
      id: anomaly.id,
      code: 'rejected_request',
      acknowledgement: { by: 'alice', reason: 'key rotation test from staging', at: new Date(clock.now()).toISOString() },
    });
    const open = await report();
    expect(open.anomalyCounts.rejected_request).toBe(0);
    expect(open.acknowledgedCounts.rejected_request).toBe(1);
    expect(open.anomalies).toEqual([]);
    const all = await report('&include=acknowledged');
    expect(all.includeAcknowledged).toBe(true);
    expect(rejected(all)).toEqual([expect.objectContaining({ id: anomaly.id, acknowledgement: res.body.acknowledgement })]);
  });

  it('when a recorded anomaly or an orphan refund is acknowledged, then it leaves the default report too', async () => {
    await rt.post(AUTO, nacho.purchaseIos()).expect(200);
    await rt.post(AUTO, nacho.purchaseIos({ price: 1 })).expect(409);
    await rt.post(AUTO, nacho.refundAndroid()).expect(200);
    await rt.worker.whenIdle();
    clock.advance(2 * HOUR);
    const before = await report();
    expect(before.anomalyCounts).toMatchObject({ conflicting_duplicate: 1, orphan_refund: 1 });
    for (const a of before.anomalies) await acknowledge(a.id, { reason: `looked at ${a.code}` }).expect(200);
    const after = await report();
    expect(after.anomalies).toEqual([]);
    expect(after.acknowledgedCounts).toMatchObject({ conflicting_duplicate: 1, orphan_refund: 1 });
    const all = await report('&include=acknowledged');
    expect(all.anomalies.map((a) => a.acknowledgement?.reason).sort()).toEqual(['looked at conflicting_duplicate', 'looked at orphan_refund']);
  });

  it('when the same rejection comes again after the acknowledgement, then the group is open again and says it was acknowledged', async () => {
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const [anomaly] = rejected(await report());
    clock.advance(1000);
    await acknowledge(anomaly.id, { reason: 'old sender, switched off' }).expect(200);
    clock.advance(1000);
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const [again] = rejected(await report());
    expect(again).toMatchObject({ id: anomaly.id, count: 2, acknowledgement: null });
    expect(again.evidence.details.acknowledgedBefore).toMatchObject({ by: 'alice', reason: 'old sender, switched off' });
  });

  it('when the token has no subject, then the acknowledgement is by "admin"', async () => {
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const [anomaly] = rejected(await report());
    const res = await rt.http
      .post(`/api/reconciliation/anomalies/${encodeURIComponent(anomaly.id)}/acknowledge`)
      .set('Authorization', admin())
      .send({ reason: 'seen' })
      .expect(200);
    expect(res.body.acknowledgement.by).toBe('admin');
  });

  it.each<[string, unknown]>([
    ['no body', undefined],
    ['no reason', {}],
    ['an empty reason', { reason: '   ' }],
    ['a reason that is not text', { reason: 42 }],
    ['an unknown field', { reason: 'ok', note: 'x' }],
  ])('when it has %s, then it is a 400 naming the problem and nothing is acknowledged', async (_case, body) => {
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const [anomaly] = rejected(await report());
    const res = await acknowledge(anomaly.id, body).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error).toMatchObject({ code: 'bad_request', details: { fields: [expect.objectContaining({ field: expect.any(String) })] } });
    expect((await report()).anomalyCounts.rejected_request).toBe(1);
  });

  it.each([
    ['an id that was never reported', 'rejected_request:00000000000000000000000000000000'],
    ['an event that is no orphan', 'orphan_refund:evt_01ARZ3NDEKTSV4RRFFQ69G5FAV'],
    ['no known form at all', 'something-else'],
  ])('when the id is %s, then it is a 404', async (_case, id) => {
    const res = await acknowledge(id, { reason: 'why not' }).expect(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', details: { id } });
  });

  it('when it comes with the session cookie but without the CSRF header, then it is refused; with it, it is done', async () => {
    await rt.post(AUTO, nacho.purchaseIos(), WRONG_KEY).expect(401);
    const [anomaly] = rejected(await report());
    const cookie = `iaphook_admin=${signToken(JWT_SECRET, { role: 'admin', sub: 'bob', now: clock.now() })}`;
    const url = `/api/reconciliation/anomalies/${encodeURIComponent(anomaly.id)}/acknowledge`;
    const forged = await rt.http.post(url).set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').send({ reason: 'x' }).expect(403);
    expect(forged.body.error.message).toContain('x-iaphook-csrf');
    await rt.http.post(url).set('Cookie', cookie).set('Sec-Fetch-Site', 'same-site').set('X-Iaphook-Csrf', '1').send({ reason: 'x' }).expect(403);
    expect((await report()).anomalyCounts.rejected_request).toBe(1);
    const ok = await rt.http.post(url).set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').set('X-Iaphook-Csrf', '1').send({ reason: 'x' }).expect(200);
    expect(ok.body.acknowledgement.by).toBe('bob');
  });

  it('when an admin API without a token is called, then 401', async () => {
    await rt.http.post('/api/reconciliation/anomalies/x/acknowledge').send({ reason: 'x' }).expect(401);
  });
});
