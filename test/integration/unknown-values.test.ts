import type { ReconciliationReport } from '../../src/reconciliation';
import { ManualClock } from '../../src/shared/clock';
import { nacho, type Json } from '../support/fixtures';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';

// A value iaphook does not know (a new productType, an os it never saw) costs no event: the event is
// stored and acknowledged, held instead of applied, listed as unknown_value, and applied once an
// admin maps the value or applies it again after an upgrade. Only a broken identity is refused.

const AUTO = '/webhooks/nachocode';
const PURCHASE = '/webhooks/nachocode/purchase';
let rt: TestRuntime;

beforeEach(async () => {
  rt = await startRuntime();
});
afterEach(() => rt.stop());

const admin = () => `Bearer ${rt.adminToken()}`;
const api = {
  get: (path: string) => rt.http.get(path).set('Authorization', admin()),
  put: (path: string, body: unknown) =>
    rt.http
      .put(path)
      .set('Authorization', admin())
      .send(body as object),
  post: (path: string, body: unknown = {}) =>
    rt.http
      .post(path)
      .set('Authorization', admin())
      .send(body as object),
  delete: (path: string) => rt.http.delete(path).set('Authorization', admin()),
};

async function send(body: Json, route = AUTO): Promise<{ eventId: string; answer: Json }> {
  const res = await rt.post(route, body).expect(200);
  await rt.worker.whenIdle();
  return { eventId: res.body.eventId as string, answer: res.body as Json };
}

const event = async (id: string) => (await api.get(`/api/events/${id}`).expect(200)).body as Json & { status: string; ledgerEntries: Json[] };
const report = async (): Promise<ReconciliationReport> => (await api.get('/api/reconciliation?environment=production').expect(200)).body;
const entitlements = async (userId: string) =>
  (await api.get(`/api/users/${encodeURIComponent(userId)}/entitlements?environment=production`).expect(200)).body.entitlements as Json[];

const subscription = (o: Json = {}) => nacho.purchaseAndroid({ productType: 'subscription', ...o });

describe('an event with a value iaphook does not know', () => {
  it('when its unknown_value anomaly is acknowledged, then it leaves the open list, and once the event applies there is nothing left to acknowledge', async () => {
    const { eventId } = await send(subscription(), PURCHASE);
    const id = `unknown_value:${eventId}`;
    expect((await report()).anomalies.map((a) => a.id)).toContain(id);

    const ack = await api
      .post(`/api/reconciliation/anomalies/${encodeURIComponent(id)}/acknowledge`, { reason: 'a new product kind, mapping soon' })
      .expect(200);
    expect(ack.body).toMatchObject({ id, code: 'unknown_value', acknowledgement: { reason: 'a new product kind, mapping soon' } });
    const open = await report();
    expect(open.anomalies.map((a) => a.id)).not.toContain(id);
    expect(open.acknowledgedCounts.unknown_value).toBe(1);
    const all = (await api.get('/api/reconciliation?environment=production&include=acknowledged').expect(200)).body as ReconciliationReport;
    expect(all.anomalies.find((a) => a.id === id)?.acknowledgement).toMatchObject({ reason: 'a new product kind, mapping soon' });

    await api.put('/api/value-mappings/productType/subscription', { meaning: 'non-consumable' }).expect(200);
    await rt.worker.whenIdle();
    expect((await event(eventId)).status).toBe('applied');
    await api.post(`/api/reconciliation/anomalies/${encodeURIComponent(id)}/acknowledge`, { reason: 'again' }).expect(404);
  });

  it('when a purchase has productType "subscription", then it is acknowledged, stored, held, not applied and listed as unknown_value', async () => {
    const { eventId, answer } = await send(subscription(), PURCHASE);
    expect(answer).toEqual({ received: true, duplicate: false, eventId, unknownValues: [{ field: 'productType', value: 'subscription' }] });

    const stored = await event(eventId);
    expect(stored).toMatchObject({
      status: 'held',
      heldFor: { reason: 'unknown_value', values: [{ field: 'productType', value: 'subscription' }] },
      payload: expect.objectContaining({ productType: 'subscription' }),
      ledgerEntries: [],
    });
    expect(await entitlements('user-19c2')).toEqual([]);
    expect(await rt.rows(sql`SELECT id FROM purchases`)).toEqual([]);

    const r = await report();
    expect(r.anomalyCounts.unknown_value).toBe(1);
    const [anomaly] = r.anomalies.filter((a) => a.code === 'unknown_value');
    expect(anomaly).toMatchObject({
      environment: 'production',
      userId: 'user-19c2',
      productId: 'com.example.app.premium_unlock',
      evidence: { eventIds: [eventId], details: { field: 'productType', value: 'subscription', iapLogId: 5013 } },
    });
    expect(anomaly.explanation).toContain('productType "subscription"');
    // Held for a value, not for time: it is not a stuck event, however long it waits.
    expect(r.anomalyCounts.stuck_event).toBe(0);
  });

  it('when the same held purchase arrives again, then it is a duplicate that names the value too', async () => {
    const first = await send(subscription());
    const again = await send(subscription());
    expect(again.answer).toMatchObject({ duplicate: true, eventId: first.eventId, unknownValues: [{ field: 'productType', value: 'subscription' }] });
  });

  it('when an os is unknown, then it is held the same way, named by its field', async () => {
    const { eventId } = await send(nacho.purchaseIos({ os: 'harmonyos' }));
    expect(await event(eventId)).toMatchObject({ status: 'held', heldFor: { reason: 'unknown_value', values: [{ field: 'os', value: 'harmonyos' }] } });
  });

  it.each<[string, Json, string]>([
    ['no iapLogId', { iapLogId: undefined }, 'iapLogId'],
    ['an unknown environment', { environment: 'staging' }, 'environment'],
    ['a whitespace-only userId', { userId: '   ' }, 'userId'],
    ['no userId', { userId: undefined }, 'userId'],
  ])('when it also has %s (its identity is broken), then it is still a 422 naming that field', async (_name, fields, field) => {
    const body = JSON.parse(JSON.stringify(subscription(fields))) as Json;
    const res = await rt.post(PURCHASE, body).expect(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([field]);
    expect(await rt.rows(sql`SELECT id FROM events`)).toEqual([]);
  });

  it('when the body is not JSON, then it is still a 400', async () => {
    await rt.post(PURCHASE, '{"productType": "subscription"').expect(400);
  });
});

describe('value mappings', () => {
  it('when an admin maps the value, then the held events with it apply, the anomaly disappears, and the mapping is listed', async () => {
    const a = await send(subscription());
    const b = await send(subscription({ iapLogId: 6001, userId: 'user-2', data: { orderId: 'GPA.6001' } }));
    const other = await send(nacho.purchaseIos({ os: 'harmonyos' }));

    const res = await api.put('/api/value-mappings/productType/subscription', { meaning: 'non-consumable' }).expect(200);
    expect(res.body).toMatchObject({ field: 'productType', value: 'subscription', meaning: 'non-consumable', queued: 2 });
    await rt.worker.whenIdle();

    for (const id of [a.eventId, b.eventId]) expect(await event(id)).toMatchObject({ status: 'applied', heldFor: null });
    expect(await event(other.eventId)).toMatchObject({ status: 'held' });
    expect(await entitlements('user-19c2')).toEqual([
      expect.objectContaining({ productId: 'com.example.app.premium_unlock', productType: 'non-consumable', purchased: 1, active: true }),
    ]);
    // The event keeps what was sent; the ledger holds what it means.
    expect((await event(a.eventId)).payload).toMatchObject({ productType: 'subscription' });

    const r = await report();
    expect(r.anomalyCounts.unknown_value).toBe(1);
    expect(r.anomalies.filter((x) => x.code === 'unknown_value').map((x) => x.evidence.eventIds[0])).toEqual([other.eventId]);

    const list = await api.get('/api/value-mappings').expect(200);
    expect(list.body.data).toEqual([expect.objectContaining({ field: 'productType', value: 'subscription', meaning: 'non-consumable' })]);
    expect(list.body.knownValues).toEqual({ productType: ['consumable', 'non-consumable'], os: ['ios', 'android'] });
  });

  it('when a mapping exists, then a later event with the value applies at once', async () => {
    await api.put('/api/value-mappings/productType/subscription', { meaning: 'consumable' }).expect(200);
    const { eventId } = await send(subscription());
    expect(await event(eventId)).toMatchObject({ status: 'applied' });
    expect(await entitlements('user-19c2')).toEqual([expect.objectContaining({ productType: 'consumable', balance: 1 })]);
  });

  it('when a held purchase is followed by its refund, then after the mapping both apply in order: granted, then revoked', async () => {
    const purchase = await send(subscription());
    const refund = await send(nacho.refundAndroid({ productType: 'subscription' }));
    expect(await event(refund.eventId)).toMatchObject({ status: 'held', heldFor: { reason: 'unknown_value' } });

    await api.put('/api/value-mappings/productType/subscription', { meaning: 'non-consumable' }).expect(200);
    await rt.worker.whenIdle();

    expect(await event(purchase.eventId)).toMatchObject({ status: 'applied' });
    expect(await event(refund.eventId)).toMatchObject({ status: 'applied' });
    const entries = await rt.rows<{ kind: string; event_id: string }>(sql`SELECT kind, event_id FROM ledger_entries ORDER BY id`);
    expect(entries).toEqual([
      { kind: 'grant', event_id: purchase.eventId },
      { kind: 'revoke', event_id: refund.eventId },
    ]);
    expect(await entitlements('user-19c2')).toEqual([expect.objectContaining({ purchased: 1, refunded: 1, active: false })]);
    expect((await report()).anomalyCounts).toMatchObject({ unknown_value: 0, orphan_refund: 0, over_refund: 0 });
  });

  it('when the refund carries a known value but its purchase is held, then the refund waits for the purchase and is released with it', async () => {
    const purchase = await send(subscription());
    const refund = await send(nacho.refundAndroid());
    expect(await event(refund.eventId)).toMatchObject({ status: 'held', heldFor: { reason: 'awaiting_purchase' } });
    // Not an orphan: its purchase arrived, and is listed as unknown_value itself.
    expect((await report()).anomalyCounts).toMatchObject({ unknown_value: 1, orphan_refund: 0 });

    await api.put('/api/value-mappings/productType/subscription', { meaning: 'non-consumable' }).expect(200);
    await rt.worker.whenIdle();
    expect(await event(purchase.eventId)).toMatchObject({ status: 'applied' });
    expect(await event(refund.eventId)).toMatchObject({ status: 'applied' });
    expect(await entitlements('user-19c2')).toEqual([expect.objectContaining({ purchased: 1, refunded: 1 })]);
  });

  it('when the refund of a held purchase waits past the orphan grace period, then it is still not an orphan_refund', async () => {
    await rt.stop();
    const clock = new ManualClock(Date.UTC(2026, 2, 10));
    rt = await startRuntime({ RECONCILE_ORPHAN_REFUND_GRACE_MS: '60000' }, { clock });
    await send(subscription());
    const refund = await send(nacho.refundAndroid());
    const orphan = await send(nacho.refundAndroid({ iapLogId: 7777 }));
    clock.advance(120_000);
    const r = await report();
    expect(r.anomalyCounts).toMatchObject({ unknown_value: 1, orphan_refund: 1 });
    expect(r.anomalies.find((a) => a.code === 'orphan_refund')?.evidence.eventIds).toEqual([orphan.eventId]);
    expect(await event(refund.eventId)).toMatchObject({ status: 'held', heldFor: { reason: 'awaiting_purchase' } });
  });

  it('when a mapping is deleted, then later events with the value are held again and applied ones stay applied', async () => {
    await api.put('/api/value-mappings/productType/subscription', { meaning: 'non-consumable' }).expect(200);
    const before = await send(subscription());
    await api.delete('/api/value-mappings/productType/subscription').expect(204);
    await api.delete('/api/value-mappings/productType/subscription').expect(404);
    const after = await send(subscription({ iapLogId: 6002, data: { orderId: 'GPA.6002' } }));
    expect(await event(before.eventId)).toMatchObject({ status: 'applied' });
    expect(await event(after.eventId)).toMatchObject({ status: 'held' });
  });

  it.each<[string, string, unknown, number, string]>([
    ['an unknown field', '/api/value-mappings/currency/KRW', { meaning: 'consumable' }, 404, 'not_found'],
    ['the environment (identity)', '/api/value-mappings/environment/staging', { meaning: 'production' }, 404, 'not_found'],
    ['a meaning the field does not have', '/api/value-mappings/productType/subscription', { meaning: 'android' }, 422, 'validation_failed'],
    ['no meaning', '/api/value-mappings/productType/subscription', {}, 422, 'validation_failed'],
    ['a value iaphook knows', '/api/value-mappings/productType/consumable', { meaning: 'non-consumable' }, 422, 'validation_failed'],
  ])('when a mapping names %s, then it is refused with a clear error', async (_name, path, body, status, code) => {
    const res = await api.put(path, body).expect(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(await rt.rows(sql`SELECT field FROM value_mappings`)).toEqual([]);
  });
});

describe('POST /api/events/:eventId/apply', () => {
  it('when the value is still unknown, then 409 unknown_value names the field and the value, and the event stays held', async () => {
    const { eventId } = await send(subscription());
    const res = await api.post(`/api/events/${eventId}/apply`).expect(409);
    expect(res.body.error).toMatchObject({
      code: 'unknown_value',
      message: expect.stringContaining('productType "subscription"'),
      details: { eventId, unknownValues: [{ field: 'productType', value: 'subscription' }] },
    });
    expect(await event(eventId)).toMatchObject({ status: 'held' });
  });

  it('when iaphook now knows the value (an upgrade), then the held event is queued and applied', async () => {
    // An event an older version held for a value this one knows.
    const { eventId } = await send(nacho.purchaseIos());
    await rt.storage.write((tx) =>
      tx.run(sql`UPDATE events SET status = 'held', applied_at = NULL,
        held_for = ${JSON.stringify({ reason: 'unknown_value', values: [{ field: 'productType', value: 'consumable' }] })} WHERE id = ${eventId}`),
    );
    await rt.storage.write((tx) => tx.run(sql`DELETE FROM ledger_entries`));
    await rt.storage.write((tx) => tx.run(sql`DELETE FROM purchases`));
    expect((await report()).anomalyCounts.unknown_value).toBe(1);

    const res = await api.post(`/api/events/${eventId}/apply`).expect(202);
    expect(res.body).toEqual({ eventId, status: 'queued' });
    await rt.worker.whenIdle();
    expect(await event(eventId)).toMatchObject({ status: 'applied', heldFor: null });
    expect(await entitlements('user-7f3a')).toEqual([expect.objectContaining({ purchased: 1 })]);
    expect((await report()).anomalyCounts.unknown_value).toBe(0);
  });

  it('when the event is not held, or a refund still waits for its purchase, or it does not exist, then the answer says so', async () => {
    const applied = await send(nacho.purchaseIos());
    expect((await api.post(`/api/events/${applied.eventId}/apply`).expect(409)).body.error).toMatchObject({
      code: 'conflict',
      details: { status: 'applied' },
    });
    const orphan = await send(nacho.refundAndroid());
    expect((await api.post(`/api/events/${orphan.eventId}/apply`).expect(409)).body.error).toMatchObject({
      code: 'awaiting_purchase',
      details: { iapLogId: 5013, environment: 'production' },
    });
    await api.post('/api/events/evt_01KAAAAAAAAAAAAAAAAAAAAAAA/apply').expect(404);
  });
});

describe('identifiers are stored exactly as sent', () => {
  it('when a purchase is for user "abc " and product " coins ", then both are stored byte for byte and readable by that exact id', async () => {
    const { eventId } = await send(nacho.purchaseIos({ userId: 'abc ', productId: ' coins ', nachoProductId: 'NP-1 ' }));
    const [row] = await rt.rows<{ user_id: string; product_id: string }>(sql`SELECT user_id, product_id FROM events WHERE id = ${eventId}`);
    expect(row).toEqual({ user_id: 'abc ', product_id: ' coins ' });
    expect(await rt.rows(sql`SELECT user_id, product_id, nacho_product_id FROM purchases`)).toEqual([
      { user_id: 'abc ', product_id: ' coins ', nacho_product_id: 'NP-1 ' },
    ]);

    expect(await entitlements('abc ')).toEqual([expect.objectContaining({ productId: ' coins ', nachoProductId: 'NP-1 ', balance: 1 })]);
    expect(await entitlements('abc')).toEqual([]);
    const me = await rt.http
      .get('/v1/me/entitlements?environment=production')
      .set('Authorization', `Bearer ${rt.userToken('abc ')}`)
      .expect(200);
    expect(me.body).toMatchObject({ userId: 'abc ', entitlements: [expect.objectContaining({ productId: ' coins ' })] });

    // Spending goes by the same exact ids.
    const spent = await api
      .post(`/api/users/${encodeURIComponent('abc ')}/consumptions`, { environment: 'production', productId: ' coins ', quantity: 1, idempotencyKey: 'k1' })
      .expect(201);
    expect(spent.body).toMatchObject({ balance: { productId: ' coins ', balance: 0 } });
  });

  it.each<[string, Json]>([
    ['a whitespace-only userId', { userId: ' \t ' }],
    ['an empty productId', { productId: '' }],
    ['a whitespace-only nachoProductId', { nachoProductId: '  ' }],
  ])('when a purchase has %s, then it is a 422 naming the field', async (_name, fields) => {
    const res = await rt.post(PURCHASE, nacho.purchaseIos(fields)).expect(422);
    expect(res.body.error.details.fields).toEqual([{ field: Object.keys(fields)[0], message: 'must not be empty or whitespace only' }]);
  });
});
