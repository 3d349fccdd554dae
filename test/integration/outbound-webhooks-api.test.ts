import { sql, startRuntime, type TestRuntime } from '../support/runtime';
import { adminApi, ALL_EVENTS, webhookBody } from './outbound-support';

// The subscription API: ABC's CRUD and validation, each error a clear 4xx.

let rt: TestRuntime;
let api: ReturnType<typeof adminApi>;
const URL = 'https://hooks.example.com/services/T000/B000/XXXX';

beforeAll(async () => {
  rt = await startRuntime();
  api = adminApi(rt);
});
afterAll(() => rt.stop());

const base = (p = api.projectId) => `/projects/${p}/webhooks`;

describe('CRUD', () => {
  it('when a subscription is created, read, listed, replaced and deleted, then each answer shows it without its secret', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const created = await api
      .post(
        base(),
        webhookBody(URL, {
          name: 'Slack',
          token: 'abcdefghijklmnop',
          signingSecret: secret,
          events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE', channelIds: [api.channelId] }],
        }),
      )
      .expect(201);
    expect(created.body).toMatchObject({
      id: expect.any(Number),
      projectId: api.projectId,
      name: 'Slack',
      url: URL,
      status: 'ACTIVE',
      token: '****mnop',
      events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE', channelIds: [api.channelId] }],
      retryPolicy: 'abc',
      template: null,
      filter: null,
      signing: { enabled: true, previousSecretValidUntil: null },
      health: { consecutiveFailures: 0, disabledReason: null, disabledAt: null },
    });
    expect(JSON.stringify(created.body)).not.toContain(secret);
    expect(JSON.stringify(created.body)).not.toContain('abcdefghijklmnop');
    const id = created.body.id as number;
    expect((await api.get(`${base()}/${id}`).expect(200)).body).toEqual(created.body);
    expect((await api.get(base()).expect(200)).body.webhooks).toEqual([created.body]);

    const replaced = await api
      .put(
        `${base()}/${id}`,
        webhookBody(URL, { name: 'Slack', status: 'INACTIVE', events: ALL_EVENTS, signingSecret: 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LTEyMzQ1' }),
      )
      .expect(200);
    expect(replaced.body).toMatchObject({ status: 'INACTIVE', token: null, events: ALL_EVENTS.map((e) => ({ ...e, channelIds: [] })) });
    expect(replaced.body.signing.previousSecretValidUntil).toEqual(expect.any(String));

    await api.del(`${base()}/${id}`).expect(204);
    await api.get(`${base()}/${id}`).expect(404);
    await api.del(`${base()}/${id}`).expect(404);
  });

  it('when a client sends back the masked token a GET showed, then the token is kept; another masked value is refused', async () => {
    const token = 'keep-this-token-0123456789';
    const created = await api.post(base(), webhookBody(URL, { name: 'Echo', token })).expect(201);
    const id = created.body.id as number;
    const shown = (await api.get(`${base()}/${id}`).expect(200)).body;
    expect(shown.token).toBe('****6789');
    const stored = async () => (await rt.rows<{ token: string | null }>(sql`SELECT token FROM webhooks WHERE id = ${id}`))[0].token;

    const { id: _id, projectId: _p, signing: _s, health: _h, createdAt: _c, updatedAt: _u, ...echo } = shown;
    await api.put(`${base()}/${id}`, echo).expect(200);
    expect(await stored()).toBe(token);

    const wrong = await api.put(`${base()}/${id}`, { ...echo, token: '****abcd' }).expect(422);
    expect(wrong.body.error.details.fields).toEqual([expect.objectContaining({ field: 'token' })]);
    expect(await stored()).toBe(token);
    await api.post(base(), webhookBody(URL, { name: 'Masked from the start', token: '****6789' })).expect(422);
  });

  it('when two subscriptions of a project share a name, then the second is a 409', async () => {
    await api.post(base(), webhookBody(URL, { name: 'Tickets' })).expect(201);
    const res = await api.post(base(), webhookBody(URL, { name: 'Tickets' })).expect(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('Tickets') });
    const other = await api.createProject('Another');
    await api.post(base(other.id), webhookBody(URL, { name: 'Tickets' })).expect(201);
  });

  it.each<[string, string, number]>([
    ['an unknown project', '/projects/999/webhooks', 404],
    ['a project id that is not a number', '/projects/abc/webhooks', 404],
  ])('when listing the subscriptions of %s, then %i', async (_label, path, status) => {
    await api.get(path).expect(status);
  });
});

describe('validation', () => {
  it.each<[string, Record<string, unknown>, number, string]>([
    ['a short token', { token: 'too-short' }, 422, 'token'],
    ['a token with a space', { token: 'a token with spaces!' }, 422, 'token'],
    ['channelIds on ISSUE_CREATION', { events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE', channelIds: [1] }] }, 422, 'events.0.channelIds'],
    ['a channel of another project', { events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE', channelIds: [9999] }] }, 422, 'events.0.channelIds'],
    ['an ftp URL', { url: 'ftp://example.com/' }, 422, 'url'],
    ['a javascript: URL', { url: 'javascript:alert(1)' }, 422, 'url'],
    ['no events array', { events: undefined }, 422, 'events'],
    ['a bad status', { status: 'on' }, 422, 'status'],
    ['a bad signing secret', { signingSecret: 'secret' }, 422, 'signingSecret'],
    ['a template placeholder outside the event', { template: { body: '{{constructor.constructor}}' } }, 422, 'template.body'],
  ])('when the body has %s, then %i naming %s', async (_label, change, status, field) => {
    const res = await api.post(base(), webhookBody(URL, change)).expect(status);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('when the body is not JSON, then 400', async () => {
    const res = await rt.http
      .post(`/api${base()}`)
      .set('Authorization', `Bearer ${rt.adminToken()}`)
      .set('Content-Type', 'application/json')
      .send('{')
      .expect(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('when there is no admin token, then 401', async () => {
    await rt.http.get(`/api${base()}`).expect(401);
  });
});

describe('SSRF refusals when private addresses are not allowed', () => {
  let prod: TestRuntime;
  beforeAll(async () => {
    prod = await startRuntime({ OUTBOUND_ALLOW_PRIVATE: 'false' });
  });
  afterAll(() => prod.stop());

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.0.0.8/',
    'http://192.168.1.20/',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://localhost:3000/',
    'http://api.localhost/',
  ])('when the URL is %s, then the subscription is refused with a 422', async (url) => {
    const papi = adminApi(prod);
    const res = await papi.post(`/projects/${papi.projectId}/webhooks`, webhookBody(url)).expect(422);
    expect(res.body.error.message).toMatch(/internal address/);
  });

  it('when the URL names a public host, then it is accepted (its addresses are checked at each connection)', async () => {
    const papi = adminApi(prod);
    await papi.post(`/projects/${papi.projectId}/webhooks`, webhookBody(URL)).expect(201);
  });
});
