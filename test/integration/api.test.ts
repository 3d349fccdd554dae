import jwt from 'jsonwebtoken';
import { nacho } from '../support/fixtures';
import { JWT_SECRET, startRuntime, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startRuntime();
  await rt.post('/webhooks/nachocode', nacho.purchaseIos()).expect(200);
  await rt.post('/webhooks/nachocode', nacho.purchaseAndroid()).expect(200);
  await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
  await rt.post('/webhooks/nachocode', nacho.refundAndroid()).expect(200);
  await rt.worker.whenIdle();
});
afterAll(() => rt.stop());

const admin = () => `Bearer ${rt.adminToken()}`;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('JWT checks', () => {
  it.each([
    ['no token', undefined, 401],
    ['a token signed with another secret', `Bearer ${jwt.sign({ role: 'admin' }, 'another-secret-another-secret-another', { expiresIn: 60 })}`, 401],
    ['an unsigned alg:none token', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'admin', exp: nowSeconds() + 60 })}.`, 401],
    ['an expired token', `Bearer ${jwt.sign({ role: 'admin', exp: nowSeconds() - 10 }, JWT_SECRET)}`, 401],
    ['a token without exp', `Bearer ${jwt.sign({ role: 'admin' }, JWT_SECRET, { noTimestamp: true })}`, 401],
    ['a user token on an admin route', `Bearer ${jwt.sign({ role: 'user', sub: 'user-7f3a' }, JWT_SECRET, { expiresIn: 60 })}`, 403],
    ['an HS384 token', `Bearer ${jwt.sign({ role: 'admin' }, JWT_SECRET, { algorithm: 'HS384', expiresIn: 60 })}`, 401],
  ])('when the admin API gets %s, then it answers %i with a JSON error', async (_label, authorization, status) => {
    const req = rt.http.get('/api/events');
    if (authorization !== undefined) req.set('Authorization', authorization);
    const res = await req.expect(status);
    expect(res.body.error).toEqual(expect.objectContaining({ code: status === 401 ? 'unauthorized' : 'forbidden', message: expect.any(String) }));
  });

  it('when an admin token is used on the app user route, then 403', async () => {
    await rt.http.get('/v1/me/entitlements').set('Authorization', admin()).expect(403);
  });
});

describe('GET /api/events', () => {
  it('when listing without filters, then events come newest first with their fields', async () => {
    const res = await rt.http.get('/api/events').set('Authorization', admin()).expect(200);
    expect(res.body.data).toHaveLength(4);
    expect(res.body.nextCursor).toBeNull();
    const ids = res.body.data.map((e: { eventId: string }) => e.eventId);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(res.body.data[0]).toMatchObject({ type: 'refund', status: 'applied', environment: 'production', payload: nacho.refundAndroid() });
  });

  it.each([
    ['type=refund', 1],
    ['type=purchase', 3],
    ['status=applied', 4],
    ['userId=user-7f3a', 2],
    ['environment=sandbox', 1],
    ['userId=user-7f3a&environment=production', 1],
  ])('when filtering by %s, then %i events match', async (query, expected) => {
    const res = await rt.http.get(`/api/events?${query}`).set('Authorization', admin()).expect(200);
    expect(res.body.data).toHaveLength(expected);
  });

  it('when paging with limit and cursor, then every event is seen once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/events?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await rt.http.get(url).set('Authorization', admin()).expect(200);
      seen.push(...res.body.data.map((e: { eventId: string }) => e.eventId));
      cursor = res.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it.each(['type=bogus', 'limit=0', 'limit=abc', 'cursor=nope', 'environment=staging', 'unknownParam=1', 'type=refund&type=purchase'])(
    'when the query has %s, then 400 names the parameter',
    async (query) => {
      const res = await rt.http.get(`/api/events?${query}`).set('Authorization', admin()).expect(400);
      expect(res.body.error.code).toBe('invalid_query');
      expect(res.body.error.details.fields.length).toBeGreaterThan(0);
    },
  );

  it('when an event id is unknown, then 404', async () => {
    const res = await rt.http.get('/api/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV').set('Authorization', admin()).expect(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('entitlements query validation', () => {
  it('when the environment is unknown, then 400', async () => {
    const res = await rt.http.get('/api/users/user-7f3a/entitlements?environment=staging').set('Authorization', admin()).expect(400);
    expect(res.body.error.code).toBe('invalid_query');
  });

  it('when no environment is given, then production is used', async () => {
    const res = await rt.http.get('/api/users/user-7f3a/entitlements').set('Authorization', admin()).expect(200);
    expect(res.body.environment).toBe('production');
  });
});

describe('operations', () => {
  it('when probed, then healthz and readyz answer ok while the worker runs', async () => {
    await rt.http.get('/healthz').expect(200, { status: 'ok' });
    const ready = await rt.http.get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'writable', worker: 'running' } });
  });

  it('when metrics are scraped, then requests, queue depth and apply latency are exposed', async () => {
    const res = await rt.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('iaphook_webhook_requests_total{route="auto",outcome="stored"} 4');
    // Depth is work still to do: the four applied events are finished, so they are not in it.
    expect(res.text).not.toMatch(/iaphook_jobs_queue_depth\{[^}]*state="succeeded"/);
    expect(res.text).toMatch(/iaphook_webhook_answer_duration_seconds_count\{route="auto"\} 4/);
    expect(res.text).toContain('iaphook_event_apply_latency_seconds_count 4');
  });

  it('when an unknown route is called, then 404 as JSON', async () => {
    const res = await rt.http.get('/nope').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('when the API gets malformed JSON, then 400 as JSON', async () => {
    const res = await rt.http.post('/api/events').set('Authorization', admin()).set('Content-Type', 'application/json').send('{bad').expect(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});
