import { pruneRejected } from '../../src/receiver';
import type { Sql } from '../../src/storage/sql';
import { nacho } from '../support/fixtures';
import { ROTATED_KEY, WEBHOOK_KEY, sql, startRuntime, type TestRuntime } from '../support/runtime';

const PURCHASE = '/webhooks/nachocode/purchase';
const REFUND = '/webhooks/nachocode/refund';
const UNAVAILABLE = '/webhooks/nachocode/unavailable-users';
const AUTO = '/webhooks/nachocode';

let rt: TestRuntime;

// The worker stays stopped: these tests are about the answer and what is stored before it.
beforeEach(async () => {
  rt = await startRuntime({ BODY_LIMIT: '4kb' }, { startWorker: false });
});
afterEach(() => rt.stop());

/** The n of a `SELECT count(*) AS n …`. */
const count = async (query: Sql) => (await rt.rows<{ n: number }>(query))[0].n;
const rawRows = () => rt.rows<Record<string, unknown> & { body: Buffer | null }>(sql`SELECT * FROM raw_requests ORDER BY id`);

describe('accepted events', () => {
  it('when a valid purchase arrives, then it answers 200 with the event id and stores event, raw request and job together', async () => {
    const res = await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    expect(res.body).toEqual({ received: true, duplicate: false, eventId: expect.stringMatching(/^evt_/) });
    const events = await rt.rows(sql`SELECT * FROM events`);
    expect(events).toEqual([
      expect.objectContaining({ id: res.body.eventId, type: 'purchase', environment: 'production', status: 'received', iap_log_id: 5012 }),
    ]);
    expect(await count(sql`SELECT count(*) AS n FROM jobs WHERE kind = 'apply-iap-event' AND state = 'pending'`)).toBe(1);
    expect(await rawRows()).toEqual([expect.objectContaining({ outcome: 'stored', status: 200, event_id: res.body.eventId })]);
  });

  it('when the rotated key is used, then the event is accepted and the key fingerprint recorded', async () => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), ROTATED_KEY).expect(200);
    expect((await rawRows())[0].key_fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([
    ['purchase', () => nacho.purchaseIos(), 'purchase'],
    ['refund', () => nacho.refundAndroid(), 'refund'],
    ['unavailable-users', () => nacho.unavailableUsers(), 'unavailable_users'],
  ])('when a %s is posted to the catch-all route, then it is classified by shape', async (_label, body, type) => {
    const res = await rt.post(AUTO, body()).expect(200);
    const [event] = await rt.rows<{ type: string }>(sql`SELECT type FROM events WHERE id = ${res.body.eventId}`);
    expect(event.type).toBe(type);
  });

  it('when each fixture is posted to its own route, then each is accepted', async () => {
    await rt.post(PURCHASE, nacho.purchaseIosMulti()).expect(200);
    await rt.post(REFUND, nacho.refundIosPartial()).expect(200);
    await rt.post(UNAVAILABLE, nacho.unavailableUsers()).expect(200);
    expect(await count(sql`SELECT count(*) AS n FROM events`)).toBe(3);
  });

  it('when the body has unknown fields, then they are accepted and kept', async () => {
    const res = await rt.post(PURCHASE, nacho.purchaseIos({ promoCode: 'SPRING', extra: { nested: [1, 2] } })).expect(200);
    const [row] = await rt.rows<{ payload: string }>(sql`SELECT payload FROM events WHERE id = ${res.body.eventId}`);
    expect(JSON.parse(row.payload)).toMatchObject({ promoCode: 'SPRING', extra: { nested: [1, 2] } });
  });

  it('when the same purchase arrives again, then it is a duplicate with the same id and nothing new is queued', async () => {
    const first = await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    // Same content, other key order and spacing: still the same event.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(nacho.purchaseIos()).reverse()), null, 2);
    const second = await rt.post(PURCHASE, reordered).expect(200);
    expect(second.body).toEqual({ received: true, duplicate: true, eventId: first.body.eventId });
    expect(await count(sql`SELECT count(*) AS n FROM events`)).toBe(1);
    expect(await count(sql`SELECT count(*) AS n FROM jobs`)).toBe(1);
    expect((await rawRows()).map((r) => r.outcome)).toEqual(['stored', 'duplicate']);
  });

  it('when the same refund instant arrives on both routes, then the second is a duplicate', async () => {
    const first = await rt.post(REFUND, nacho.refundAndroid()).expect(200);
    const second = await rt.post(AUTO, nacho.refundAndroid()).expect(200);
    expect(second.body).toEqual({ received: true, duplicate: true, eventId: first.body.eventId });
  });

  it('when the same purchase arrives in the other environment, then it is a separate event', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const other = await rt.post(PURCHASE, nacho.purchaseIos({ environment: 'sandbox' })).expect(200);
    expect(other.body.duplicate).toBe(false);
    expect(await count(sql`SELECT count(*) AS n FROM events`)).toBe(2);
  });
});

describe('conflicts', () => {
  it('when a known dedupe key arrives with different content, then 409, the first event is kept and an anomaly recorded', async () => {
    const first = await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const res = await rt.post(PURCHASE, nacho.purchaseIos({ price: 99 })).expect(409);
    expect(res.body).toEqual({
      error: { code: 'conflict', message: expect.any(String), details: { eventId: first.body.eventId, dedupeKey: 'purchase:production:5012' } },
    });
    const events = await rt.rows<{ payload: string }>(sql`SELECT payload FROM events`);
    expect(events.map((e) => JSON.parse(e.payload).price)).toEqual([1200]);
    expect(await count(sql`SELECT count(*) AS n FROM anomalies WHERE code = 'conflicting_duplicate'`)).toBe(1);
    expect((await rawRows())[1]).toMatchObject({ outcome: 'conflict', status: 409, reason: 'conflict' });
  });
});

describe('rejections', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: { error: { code: string } } }>, number, string]> = [
    ['no Authorization header', () => rt.post(PURCHASE, nacho.purchaseIos(), null), 401, 'unauthorized'],
    ['a wrong key', () => rt.post(PURCHASE, nacho.purchaseIos(), 'not-a-configured-key-xxxx'), 401, 'unauthorized'],
    ['unparseable JSON', () => rt.post(PURCHASE, '{"userId": "u1", '), 400, 'invalid_json'],
    [
      'a text/plain body',
      () => rt.http.post(PURCHASE).set('Authorization', `Bearer ${WEBHOOK_KEY}`).set('Content-Type', 'text/plain').send('hello'),
      415,
      'unsupported_media_type',
    ],
    ['a body over BODY_LIMIT', () => rt.post(PURCHASE, nacho.purchaseIos({ padding: 'x'.repeat(5000) })), 413, 'payload_too_large'],
    ['a refund on the purchase route', () => rt.post(PURCHASE, nacho.refundAndroid()), 422, 'shape_mismatch'],
    ['a JSON array', () => rt.post(AUTO, [1, 2]), 422, 'validation_failed'],
  ];

  it.each(cases)('when the request has %s, then it answers %i with a JSON error and stores the raw request', async (_label, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
    expect(await count(sql`SELECT count(*) AS n FROM events`)).toBe(0);
    expect(await rawRows()).toEqual([expect.objectContaining({ outcome: 'rejected', status, reason: code })]);
  });

  it('when fields are invalid, then 422 names every failing field', async () => {
    const body = nacho.purchaseIos({ quantity: -1, environment: 'staging' });
    delete body.userId;
    const res = await rt.post(PURCHASE, body).expect(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['environment', 'quantity', 'userId']);
  });

  it('when a webhook path or method is unknown, then 404 or 405 and the request is still recorded', async () => {
    await rt.http.get(PURCHASE).expect(405).expect('Allow', 'POST');
    const res = await rt.http.post('/webhooks/stripe').send({}).expect(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await rawRows()).map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', PURCHASE, 405],
      ['POST', '/webhooks/stripe', 404],
    ]);
  });
});

describe('raw request storage', () => {
  it('when a request is stored, then its exact bytes are kept and the key is masked', async () => {
    const text = `{ "weird spacing":  true,\n"userId":"u" }`;
    await rt.post(AUTO, text);
    const [row] = await rawRows();
    expect(row.body?.toString('utf8')).toBe(text);
    const headers = JSON.parse(String(row.headers)) as Record<string, string>;
    expect(headers.authorization).toBe(`Bearer ****${WEBHOOK_KEY.slice(-4)}`);
    expect(JSON.stringify(row)).not.toContain(WEBHOOK_KEY);
    expect(row).toMatchObject({ method: 'POST', path: AUTO, content_type: 'application/json', body_size: Buffer.byteLength(text) });
    expect(row.remote_addr).toEqual(expect.stringContaining('127.0.0.1'));
    expect(typeof row.duration_ms).toBe('number');
  });

  it('when rejected requests exceed the retention count, then only the newest are kept and accepted ones stay', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    for (let i = 0; i < 5; i += 1) await rt.post(PURCHASE, nacho.purchaseIos(), null).expect(401);
    const pruned = await rt.storage.write((tx) => pruneRejected(tx, { maxCount: 2, maxAgeDays: 30 }, Date.now()));
    expect(pruned).toBe(3);
    expect(await count(sql`SELECT count(*) AS n FROM raw_requests WHERE outcome = 'rejected'`)).toBe(2);
    expect(await count(sql`SELECT count(*) AS n FROM raw_requests WHERE outcome = 'stored'`)).toBe(1);
  });
});

describe('processing stays out of the request path', () => {
  it('when the worker is not running, then webhooks are still answered and processed once it starts', async () => {
    const res = await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    rt.worker.start();
    await rt.worker.whenIdle();
    const [event] = await rt.rows<{ status: string }>(sql`SELECT status FROM events WHERE id = ${res.body.eventId}`);
    expect(event.status).toBe('applied');
  });
});
