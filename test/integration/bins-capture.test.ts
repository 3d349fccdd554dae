import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { listen, sql, startRuntime, type TestRuntime } from '../support/runtime';

// Capture bins: record anything sent to /bins/:binId and answer as configured.

let rt: TestRuntime;
const admin = () => `Bearer ${rt.adminToken()}`;
const createBin = async (body: object = {}) =>
  (await rt.http.post('/api/bins').set('Authorization', admin()).send(body).expect(201)).body as { id: string; url: string };
const rows = (binId: string) =>
  rt.rows<Record<string, unknown> & { body: Buffer | null; headers: string }>(sql`SELECT * FROM raw_requests WHERE bin_id = ${binId} ORDER BY id`);

describe('bins', () => {
  beforeAll(async () => {
    rt = await startRuntime({ BIN_MAX_REQUESTS: '3', BINS_MAX_COUNT: '3', BODY_LIMIT: '2kb' }, { startWorker: false });
  });
  afterAll(() => rt.stop());

  it('when a bin is created with defaults, then it answers with its URL and settings', async () => {
    const res = await rt.http.post('/api/bins').set('Authorization', admin()).send({}).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^bin_[0-9A-Z]{26}$/),
      name: null,
      url: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/bins/${res.body.id}$`)),
      status: 200,
      body: null,
      contentType: null,
      delayMs: 0,
      maskSecrets: true,
      createdAt: expect.any(String),
      lastRequestAt: null,
      requestCount: 0,
    });
  });

  it.each<[string, object, number, string, string | undefined]>([
    ['the default answer', {}, 200, 'application/json; charset=utf-8', undefined],
    ['a status and a text body', { status: 201, body: 'thanks', contentType: 'text/plain' }, 201, 'text/plain; charset=utf-8', 'thanks'],
    [
      'an error status with JSON',
      { status: 503, body: '{"retry":true}', contentType: 'application/json' },
      503,
      'application/json; charset=utf-8',
      '{"retry":true}',
    ],
    ['a body without a content type', { body: 'plain' }, 200, 'text/plain; charset=utf-8', 'plain'],
    ['a 204', { status: 204 }, 204, '', ''],
  ])('when a bin is configured with %s, then it answers that way', async (_name, config, status, type, body) => {
    const bin = await createBin(config);
    const res = await rt.http.post(`/bins/${bin.id}`).send({ hello: 'bin' }).expect(status);
    if (type !== '') expect(res.headers['content-type']).toBe(type);
    if (body !== undefined) expect(res.text ?? '').toBe(body);
    else expect(JSON.parse(res.text)).toEqual({ received: true, binId: bin.id, requestId: res.headers['x-iaphook-request-id'] });
    expect(res.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
  });

  it('when a bin has a delay, then it answers after it', async () => {
    const bin = await createBin({ delayMs: 150 });
    const started = performance.now();
    await rt.http.get(`/bins/${bin.id}`).expect(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'])('when a %s arrives, then it is recorded with its method', async (method) => {
    const bin = await createBin();
    const res = await request(`${(await listenOnce()).url}/bins/${bin.id}`, { method: method as 'GET' });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect((await rows(bin.id)).map((r) => r.method)).toEqual([method]);
  });

  it('when anything is sent, then the exact bytes, the path below the bin, the query and the masked headers are kept', async () => {
    const bin = await createBin();
    const bytes = Buffer.from([0x00, 0xff, 0x7b, 0x0a, 0x22]);
    await rt.http
      .put(`/bins/${bin.id}/deep/path?x=1&y=two`)
      .set('Content-Type', 'application/octet-stream')
      .set('Authorization', 'Bearer secret-value-1234567890')
      .set('x-webhook-token', 'token-value-1234567890')
      .set('Cookie', 'session=abc')
      .send(bytes)
      .expect(200);
    const [row] = await rows(bin.id);
    expect(row).toMatchObject({
      method: 'PUT',
      path: `/bins/${bin.id}/deep/path`,
      query: 'x=1&y=two',
      outcome: 'captured',
      status: 200,
      source: 'bin',
      body_size: 5,
      content_type: 'application/octet-stream',
    });
    expect(Buffer.compare(row.body!, bytes)).toBe(0);
    const headers = JSON.parse(row.headers) as Record<string, string>;
    expect(headers).toMatchObject({ authorization: 'Bearer ****7890', 'x-webhook-token': '****7890', cookie: '****' });
    expect(JSON.stringify(row)).not.toMatch(/secret-value|token-value|session=abc/);
  });

  it('when more requests than the per-bin limit arrive, then only the newest are kept', async () => {
    const bin = await createBin();
    for (let i = 1; i <= 5; i += 1) await rt.http.post(`/bins/${bin.id}`).send(`n${i}`).expect(200);
    expect((await rows(bin.id)).map((r) => r.body!.toString())).toEqual(['n3', 'n4', 'n5']);
    const res = await rt.http.get(`/api/bins/${bin.id}`).set('Authorization', admin()).expect(200);
    expect(res.body).toMatchObject({ requestCount: 3, lastRequestAt: expect.any(String) });
  });

  it('when more bins than the limit are created, then the least recently active go with their requests', async () => {
    const [a, b, c] = [await createBin({ name: 'a' }), await createBin({ name: 'b' }), await createBin({ name: 'c' })];
    await rt.http.post(`/bins/${a.id}`).send('keep a busy').expect(200);
    await createBin({ name: 'd' });
    const names = (await rt.http.get('/api/bins').set('Authorization', admin()).expect(200)).body.data.map((x: { name: string }) => x.name);
    expect(names.sort()).toEqual(['a', 'c', 'd']);
    await rt.http.post(`/bins/${b.id}`).send('x').expect(404);
    expect(await rows(b.id)).toEqual([]);
    expect(c.id).toBeDefined();
  });

  it('when a bin is deleted, then it and its requests are gone and its URL answers 404', async () => {
    const bin = await createBin();
    await rt.http.post(`/bins/${bin.id}`).send('x').expect(200);
    await rt.http.delete(`/api/bins/${bin.id}`).set('Authorization', admin()).expect(204);
    expect(await rows(bin.id)).toEqual([]);
    await rt.http.post(`/bins/${bin.id}`).send('x').expect(404);
    await rt.http.delete(`/api/bins/${bin.id}`).set('Authorization', admin()).expect(404);
  });

  it('when a request goes to a bin that does not exist, then 404 and nothing is recorded', async () => {
    const count = async () => (await rt.rows<{ n: number }>(sql`SELECT count(*) AS n FROM raw_requests`))[0].n;
    const before = await count();
    await rt.http.post('/bins/bin_01ARZ3NDEKTSV4RRFFQ69G5FAV').send('x').expect(404);
    await rt.http.post('/bins/not-a-bin').send('x').expect(404);
    expect(await count()).toBe(before);
  });

  it('when a body is larger than the limit, then 413 is answered and recorded', async () => {
    const bin = await createBin();
    await rt.http.post(`/bins/${bin.id}`).set('Content-Type', 'text/plain').send('x'.repeat(4096)).expect(413);
    expect((await rows(bin.id))[0]).toMatchObject({ status: 413, reason: 'payload_too_large', body: null, body_size: 4096 });
  });

  it.each<[string, object, string]>([
    ['a status below 200', { status: 101 }, 'status'],
    ['a delay above 30 s', { delayMs: 30_001 }, 'delayMs'],
    ['a content type that is not a media type', { contentType: 'json' }, 'contentType'],
    ['an unknown field', { colour: 'red' }, ''],
  ])('when a bin is created with %s, then 422 names the field', async (_name, body, field) => {
    const res = await rt.http.post('/api/bins').set('Authorization', admin()).send(body).expect(422);
    if (field !== '') expect(res.body.error.details.fields[0].field).toBe(field);
  });

  it('when bins are managed without an admin token, then 401', async () => {
    await rt.http.post('/api/bins').send({}).expect(401);
    await rt.http.get('/api/bins').expect(401);
  });

  it('when a bin captured requests, then the inspector lists them by bin, opens them and will not replay them', async () => {
    const bin = await createBin();
    await rt.http.post(`/bins/${bin.id}`).send({ event: 'ISSUE_CREATION' }).expect(200);
    const list = await rt.http.get(`/api/inspector/requests?binId=${bin.id}&outcome=captured`).set('Authorization', admin()).expect(200);
    expect(list.body.data).toHaveLength(1);
    const detail = await rt.http.get(`/api/inspector/requests/${list.body.data[0].id}`).set('Authorization', admin()).expect(200);
    expect(detail.body).toMatchObject({
      binId: bin.id,
      outcome: 'captured',
      event: null,
      body: { text: '{"event":"ISSUE_CREATION"}' },
      replayable: { ok: false },
    });
    expect(detail.body.response.body).toBe(JSON.stringify({ received: true, binId: bin.id, requestId: list.body.data[0].id }));
  });
});

/** A real socket for methods supertest's agent treats specially (HEAD, OPTIONS). */
let served: Awaited<ReturnType<typeof listen>> | null = null;
async function listenOnce() {
  served ??= await listen(rt.app);
  return served;
}
afterAll(async () => {
  await served?.close();
});

describe('a bin as an outbound subscription target', () => {
  let out: TestRuntime;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    out = await startRuntime({ OUTBOUND_ALLOW_PRIVATE: 'true' });
    server = await listen(out.app);
  });
  afterAll(async () => {
    await server.close();
    await out.stop();
  });

  it('when a subscription delivers to a bin, then the capture shows the delivery and its attempts', async () => {
    const auth = `Bearer ${out.adminToken()}`;
    const bin = (await out.http.post('/api/bins').set('Authorization', auth).send({ name: 'subscriber' }).expect(201)).body as { id: string };
    const project = (await out.http.post('/api/projects').set('Authorization', auth).send({ name: 'bins-test' }).expect(201)).body as { id: number };
    await out.http
      .post(`/api/projects/${project.id}/webhooks`)
      .set('Authorization', auth)
      .send({
        name: 'to-bin',
        url: `${server.url}/bins/${bin.id}`,
        status: 'ACTIVE',
        token: 'bin-token-0123456789',
        events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }],
      })
      .expect(201);
    await out.http.post(`/api/projects/${project.id}/issues`).set('Authorization', auth).send({ name: 'Crash on purchase' }).expect(201);
    // The delivery was enqueued with the issue; once the outbound worker is idle it has been sent and recorded.
    await out.outboundWorker.whenIdle();

    let captured: Array<{ id: string }> = [];
    for (let i = 0; i < 100 && captured.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      captured = (await out.http.get(`/api/inspector/requests?binId=${bin.id}`).set('Authorization', auth).expect(200)).body.data;
    }
    expect(captured).toHaveLength(1);
    let detail = (await out.http.get(`/api/inspector/requests/${captured[0].id}`).set('Authorization', auth).expect(200)).body;
    for (let i = 0; i < 100 && detail.deliveryAttempts.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      detail = (await out.http.get(`/api/inspector/requests/${captured[0].id}`).set('Authorization', auth).expect(200)).body;
    }
    expect(detail.headers).toMatchObject({ 'webhook-id': expect.stringMatching(/^msg_/), 'x-webhook-token': '****6789' });
    expect(JSON.parse(detail.body.text)).toMatchObject({ event: 'ISSUE_CREATION' });
    expect(detail.deliveryAttempts).toEqual([expect.objectContaining({ webhookName: 'to-bin', attempt: 1, outcome: 'succeeded', statusCode: 200 })]);
    // Times in ISO-8601 and a whole-millisecond latency, as the deliveries API writes them.
    expect(detail.deliveryAttempts[0]).toMatchObject({ startedAt: expect.stringMatching(/Z$/), finishedAt: expect.stringMatching(/Z$/) });
    expect(Number.isInteger(detail.deliveryAttempts[0].latencyMs)).toBe(true);
  });
});
