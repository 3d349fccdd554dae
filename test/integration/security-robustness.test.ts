import { request } from 'undici';
import { listen, sql, startRuntime, type TestRuntime } from '../support/runtime';

// Answers that must be 4xx, never 500: a malformed cookie, JSON nested beyond the limit on any
// route that takes JSON, and a bin content type that is not a media type.

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startRuntime({}, { startWorker: false });
});
afterAll(() => rt.stop());

const FROM_PAGE = { 'Sec-Fetch-Site': 'same-origin', 'X-Iaphook-Csrf': '1' };
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('a malformed session cookie', () => {
  it.each<[string, number]>([
    ['/api/events', 401],
    ['/api/inspector/requests', 401],
    ['/inspector', 303],
    ['/reconciliation', 401],
  ])('when %s gets iaphook_admin=%%E0%%A4%%A, then it answers %i as for any bad session', async (path, status) => {
    await rt.http.get(path).set('Cookie', 'iaphook_admin=%E0%A4%A').expect(status);
  });

  it.each<[string, string]>([
    ['a name alone', 'iaphook_admin'],
    ['an empty value', 'iaphook_admin='],
    ['no name', '=%'],
    ['an unterminated quote', 'a=1; iaphook_admin="unterminated'],
    ['3,000 percent signs', `iaphook_admin=${'%'.repeat(3000)}`],
  ])('when the cookie header has %s, then 401, no 5xx', async (_name, cookie) => {
    const res = await rt.http.get('/api/events').set('Cookie', cookie);
    expect(res.status).toBe(401);
  });
});

describe('deeply nested JSON', () => {
  const admin = () => ({ Authorization: `Bearer ${rt.adminToken()}`, 'Content-Type': 'application/json' });

  it.each<[string, string]>([
    ['POST', '/api/projects'],
    ['POST', '/api/bins'],
    ['POST', '/api/reconciliation/lookup'],
    ['POST', '/api/reconciliation/ingest'],
    ['POST', '/api/reconciliation/anomalies/rejected_request%3A0/acknowledge'],
    ['PUT', `/api/projects/1/webhooks/1`],
    ['POST', '/api/inspector/requests/req_01K0000000000000000000000A/replay'],
  ])('when %s %s gets 20,000 levels, then 422 names the depth limit', async (method, path) => {
    const res = await rt.http[method === 'PUT' ? 'put' : 'post'](path).set(admin()).send(deep(20_000));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', message: 'the body is nested more than 64 levels deep' });
  });

  it('when the sign-in gets 3,000 levels within its size limit, then 422', async () => {
    const res = await rt.http
      .post('/inspector/session')
      .set(FROM_PAGE)
      .set('Content-Type', 'application/json')
      .send(`${'['.repeat(3000)}${']'.repeat(3000)}`);
    expect(res.status).toBe(422);
  });

  it('when a body is nested 64 levels, then it is still read (the limit is not lower than the receiver’s)', async () => {
    const res = await rt.http.post('/api/projects').set(admin()).send(deep(63));
    expect(res.status).toBe(422);
    expect(res.body.error.message).not.toContain('nested');
  });
});

describe('bin content types', () => {
  it.each(['text/plain\u0001', 'text/plain; charset=utf-8\u0001', 'text/plain;', 'text/plain; x="unterminated'])(
    'when a bin is created with %p, then 422 names contentType',
    async (contentType) => {
      const res = await rt.http.post('/api/bins').set('Authorization', `Bearer ${rt.adminToken()}`).send({ body: 'x', contentType }).expect(422);
      expect(res.body.error.details.fields).toEqual([expect.objectContaining({ field: 'contentType' })]);
    },
  );

  it('when a bin stored before the check has an invalid content type, then its captures are still answered', async () => {
    const created = await rt.http
      .post('/api/bins')
      .set('Authorization', `Bearer ${rt.adminToken()}`)
      .send({ body: 'hello', contentType: 'text/plain' })
      .expect(201);
    const invalid = 'text/plain; charset=utf-8\u0001';
    await rt.storage.write((tx) => tx.run(sql`UPDATE bins SET content_type = ${invalid} WHERE id = ${created.body.id}`));
    const server = await listen(rt.app);
    try {
      const res = await request(`${server.url}/bins/${created.body.id}`, { method: 'POST', body: 'x' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(await res.body.text()).toBe('hello');
    } finally {
      await server.close();
    }
  });
});
