import { nacho } from '../support/fixtures';
import { ROTATED_KEY, startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';
import { keyFingerprint } from '../../src/receiver';

// What the inspector page needs beyond the request API: the webhook URLs and keys for its empty
// state, a bin's settings changed after it was created, and the list's type, user and product.

let rt: TestRuntime;
const admin = () => `Bearer ${rt.adminToken()}`;

beforeAll(async () => {
  rt = await startRuntime({}, { startWorker: false });
});
afterAll(() => rt.stop());

describe('the webhook URLs and keys', () => {
  it('when an admin asks, then every webhook URL and each key masked, never the key itself', async () => {
    const res = await rt.http.get('/api/inspector/setup').set('Authorization', admin()).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const base = new URL(res.body.webhookUrls[0].url).origin;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?$/);
    expect(res.body).toEqual({
      webhookUrls: [
        { route: 'auto', url: `${base}/webhooks/nachocode` },
        { route: 'purchase', url: `${base}/webhooks/nachocode/purchase` },
        { route: 'refund', url: `${base}/webhooks/nachocode/refund` },
        { route: 'unavailable-users', url: `${base}/webhooks/nachocode/unavailable-users` },
      ],
      keys: [
        { fingerprint: keyFingerprint(WEBHOOK_KEY), masked: `****${WEBHOOK_KEY.slice(-4)}` },
        { fingerprint: keyFingerprint(ROTATED_KEY), masked: `****${ROTATED_KEY.slice(-4)}` },
      ],
    });
    expect(res.text).not.toContain(WEBHOOK_KEY);
  });

  it('when a key is asked for by its fingerprint, then an admin gets it, uncached', async () => {
    const res = await rt.http
      .get(`/api/inspector/webhook-keys/${keyFingerprint(ROTATED_KEY)}`)
      .set('Authorization', admin())
      .expect(200);
    expect(res.body).toEqual({ fingerprint: keyFingerprint(ROTATED_KEY), key: ROTATED_KEY });
    expect(res.headers['cache-control']).toBe('no-store');
    const unknown = await rt.http.get('/api/inspector/webhook-keys/000000000000').set('Authorization', admin()).expect(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it.each([
    ['no token', null, 401],
    ['a user token', 'user', 403],
  ])('when asked with %s, then it is refused and no key is sent', async (_name, role, status) => {
    for (const route of ['/api/inspector/setup', `/api/inspector/webhook-keys/${keyFingerprint(WEBHOOK_KEY)}`]) {
      const req = rt.http.get(route);
      if (role === 'user') req.set('Authorization', `Bearer ${rt.userToken('u1')}`);
      const res = await req.expect(status);
      expect(res.text).not.toContain(WEBHOOK_KEY);
    }
  });
});

describe("a bin's settings", () => {
  const createBin = async () => (await rt.http.post('/api/bins').set('Authorization', admin()).send({ name: 'first' }).expect(201)).body as { id: string };
  const patch = (id: string, body: unknown) =>
    rt.http
      .patch(`/api/bins/${id}`)
      .set('Authorization', admin())
      .send(body as object);

  it('when its answer and name are changed, then the next request gets the new answer and the list the new name', async () => {
    const bin = await createBin();
    const res = await patch(bin.id, { name: 'orders', status: 409, body: 'busy', contentType: 'text/plain', delayMs: 5 }).expect(200);
    expect(res.body).toMatchObject({
      id: bin.id,
      name: 'orders',
      status: 409,
      body: 'busy',
      contentType: 'text/plain',
      delayMs: 5,
      maskSecrets: true,
      requestCount: 0,
    });
    const answer = await rt.http.post(`/bins/${bin.id}`).send({ a: 1 }).expect(409);
    expect(answer.text).toBe('busy');
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    const list = await rt.http.get('/api/bins').set('Authorization', admin()).expect(200);
    expect(list.body.data.find((b: { id: string }) => b.id === bin.id)).toMatchObject({ name: 'orders', requestCount: 1 });
  });

  it('when a field is set to null, then it is cleared and the bin answers its default again; others stay', async () => {
    const bin = await createBin();
    await patch(bin.id, { status: 201, body: 'x', contentType: 'text/plain' }).expect(200);
    const res = await patch(bin.id, { name: null, body: null, contentType: null }).expect(200);
    expect(res.body).toMatchObject({ name: null, body: null, contentType: null, status: 201 });
    const answer = await rt.http.post(`/bins/${bin.id}`).send({}).expect(201);
    expect(JSON.parse(answer.text)).toMatchObject({ received: true, binId: bin.id });
  });

  it.each<[string, unknown, string]>([
    ['an empty change', {}, '(body)'],
    ['a status below 200', { status: 199 }, 'status'],
    ['a delay above 30 s', { delayMs: 30_001 }, 'delayMs'],
    ['a content type that is not a media type', { contentType: 'text/plain;' }, 'contentType'],
    ['an unknown field', { colour: 'red' }, '(body)'],
  ])('when the change is %s, then 422 naming it and nothing changes', async (_name, body, field) => {
    const bin = await createBin();
    const res = await patch(bin.id, body).expect(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    const after = await rt.http.get(`/api/bins/${bin.id}`).set('Authorization', admin()).expect(200);
    expect(after.body).toMatchObject({ name: 'first', status: 200, body: null, contentType: null, delayMs: 0 });
  });

  it('when the bin does not exist, then 404; without an admin token, 401', async () => {
    await patch('bin_01J00000000000000000000000', { status: 201 }).expect(404);
    const bin = await createBin();
    await rt.http.patch(`/api/bins/${bin.id}`).send({ status: 201 }).expect(401);
  });
});

describe("the list's type, user and product", () => {
  it('when requests arrive, then each list item says what it is about, from its event or its body', async () => {
    const purchase = nacho.purchaseIos();
    await rt.post('/webhooks/nachocode', { ...purchase, iapLogId: 777_001 }).expect(200);
    await rt.post('/webhooks/nachocode/refund', { ...purchase, iapLogId: 777_002 }, 'wrong-key-0000000000000000').expect(401);
    const bin = (await rt.http.post('/api/bins').set('Authorization', admin()).send({}).expect(201)).body as { id: string };
    await rt.http.post(`/bins/${bin.id}`).send({ type: 'entitlement.updated', userId: 42, data: {} }).expect(200);
    await rt.http.post(`/bins/${bin.id}`).set('Content-Type', 'text/plain').send('not json').expect(200);

    const list = await rt.http.get('/api/inspector/requests?limit=4').set('Authorization', admin()).expect(200);
    const about = list.body.data.map((r: { type: string | null; userId: string | null; productId: string | null }) => [r.type, r.userId, r.productId]);
    expect(about).toEqual([
      [null, null, null],
      ['entitlement.updated', '42', null],
      ['refund', purchase.userId, purchase.productId],
      ['purchase', purchase.userId, purchase.productId],
    ]);
  });
});
