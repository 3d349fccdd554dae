import type { LookupAddress } from 'node:dns';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ManualClock } from '../../src/shared/clock';
import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { subscribersClosedAfterEach } from '../support/subscriber';
import { adminApi, bodyOf, settle } from './outbound-support';

// Beyond ABC: Standard Webhooks signatures, templates and filters, the SSRF guard at connection
// time, and the isolation of a hanging subscriber.

const subscriber = subscribersClosedAfterEach();
const runtimes: TestRuntime[] = [];
async function runtime(...args: Parameters<typeof startRuntime>): Promise<TestRuntime> {
  const rt = await startRuntime(...args);
  runtimes.push(rt);
  return rt;
}
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

const SECRET_A = 'whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==';
const SECRET_B = 'whsec_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQg==';
const SECRET_C = 'whsec_Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQw==';
const SECRET_D = 'whsec_RERERERERERERERERERERERERERERERERERERA==';
const DAY = 24 * 3600 * 1000;

describe('Standard Webhooks signatures', () => {
  it('when secrets rotate, then the previous one co-signs for 24 h and no longer', async () => {
    // Rotations happen on a clock the test moves; verification (the library) uses the real time.
    const clock = new ManualClock(Date.now() - DAY - 60_000);
    const rt = await runtime({}, { clock });
    const api = adminApi(rt);
    const sub = await subscriber();
    const rotatedLongAgo = await api.createWebhook(`${sub.url}/old`, { name: 'old', signingSecret: SECRET_A });
    const rotatedNow = await api.createWebhook(`${sub.url}/new`, { name: 'new', signingSecret: SECRET_C });
    const hook = (id: number) => api.webhook(id);
    const replace = async (id: number, signingSecret: string) => {
      const { id: _i, projectId: _p, signing: _s, health: _h, createdAt: _c, updatedAt: _u, ...body } = await hook(id);
      await api.put(`/projects/${api.projectId}/webhooks/${id}`, { ...body, signingSecret }).expect(200);
    };
    await replace(rotatedLongAgo.id, SECRET_B);
    clock.set(Date.now());
    await replace(rotatedNow.id, SECRET_D);

    await api.createIssue('Signed');
    await settle(rt);
    const byPath = Object.fromEntries(sub.requests.map((r) => [r.path, r]));
    const verify = (secret: string, path: string) => new StandardWebhook(secret).verify(byPath[path].body, byPath[path].headers as Record<string, string>);
    expect(verify(SECRET_D, '/new')).toMatchObject({ event: 'ISSUE_CREATION' });
    expect(verify(SECRET_C, '/new')).toMatchObject({ event: 'ISSUE_CREATION' });
    expect(verify(SECRET_B, '/old')).toMatchObject({ event: 'ISSUE_CREATION' });
    expect(() => verify(SECRET_A, '/old')).toThrow('No matching signature found');
    expect(byPath['/new'].headers['webhook-id']).toBe(byPath['/old'].headers['webhook-id']);
  });
});

describe('templates and filters', () => {
  it('when a Slack-style template with a filter is set, then only RESOLVED status changes are posted, as Slack expects them', async () => {
    const rt = await runtime();
    const api = adminApi(rt);
    const slack = await subscriber();
    await api.createWebhook(`${slack.url}/services/T0/B0/X`, {
      events: [{ type: 'ISSUE_STATUS_CHANGE', status: 'ACTIVE' }],
      template: {
        headers: { 'X-Event': '{{event}}' },
        body: {
          text: ':white_check_mark: *{{data.issue.name}}* is {{data.issue.status}} (was {{data.previousStatus}})',
          count: '{{data.issue.feedbackCount}}',
        },
      },
      filter: { 'data.issue.status': ['RESOLVED'] },
    });
    const issue = await api.createIssue('Crash "at" login\n<script>');
    const patch = (status: string) => api.patch(`/projects/${api.projectId}/issues/${issue.id}`, { status }).expect(200);
    await patch('IN_PROGRESS');
    await patch('RESOLVED');
    await settle(rt);
    expect(slack.requests).toHaveLength(1);
    const [request] = slack.requests;
    expect(request.path).toBe('/services/T0/B0/X');
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-event': 'ISSUE_STATUS_CHANGE' });
    expect(JSON.parse(request.body)).toEqual({ text: ':white_check_mark: *Crash "at" login\n<script>* is RESOLVED (was IN_PROGRESS)', count: 0 });
  });

  it('when a text template is set, then placeholder values are JSON-escaped', async () => {
    const rt = await runtime();
    const api = adminApi(rt);
    const sub = await subscriber();
    await api.createWebhook(sub.url, {
      events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }],
      template: { method: 'PUT', body: '{"title":"{{data.issue.name}}","ref":"{{data.issue.externalIssueId}}"}' },
    });
    await api.createIssue('He said "stop"\\ then left', { externalIssueId: 'JIRA-1' });
    await settle(rt);
    expect(sub.requests[0].method).toBe('PUT');
    expect(JSON.parse(sub.requests[0].body)).toEqual({ title: 'He said "stop"\\ then left', ref: 'JIRA-1' });
  });

  it.each(['GET', 'DELETE'])('when a %s workflow webhook is set, then it goes without a body, its query filled URL-encoded and signed', async (method) => {
    const rt = await runtime();
    const api = adminApi(rt);
    const sub = await subscriber();
    const url = `${sub.url}/workflow?event={{event}}&issue={{data.issue.id}}&name={{data.issue.name}}`;
    const created = await api.createWebhook(url, { events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }], template: { method }, signingSecret: SECRET_A });
    expect(await api.webhook(created.id)).toMatchObject({ url, template: { method } });
    const refused = await api.post(`/projects/${api.projectId}/webhooks`, {
      name: 'with body',
      url,
      status: 'ACTIVE',
      events: [],
      template: { method, body: {} },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.fields).toEqual([{ field: 'template.body', message: expect.stringContaining(`a ${method} sends no body`) }]);

    const issue = await api.createIssue('Login & "checkout" = broken?');
    await settle(rt);
    expect(sub.requests).toHaveLength(1);
    const [request] = sub.requests;
    const query = `event=ISSUE_CREATION&issue=${issue.id}&name=Login%20%26%20%22checkout%22%20%3D%20broken%3F`;
    expect(request).toMatchObject({ method, path: `/workflow?${query}`, body: '' });
    expect(request.headers['content-type']).toBeUndefined();
    expect(Object.fromEntries(new URL(request.path, sub.url).searchParams)).toEqual({
      event: 'ISSUE_CREATION',
      issue: String(issue.id),
      name: 'Login & "checkout" = broken?',
    });
    // What a receiver verifies for a bodyless request: the query string as it arrived.
    const verify = (payload: string) => new StandardWebhook(SECRET_A).verify(payload, request.headers as Record<string, string>, { jsonParse: false });
    expect(() => verify(request.path.slice(request.path.indexOf('?') + 1))).not.toThrow();
    expect(() => verify(query.replace(`issue=${issue.id}`, 'issue=0'))).toThrow();
  });
});

describe('SSRF guard at connection time', () => {
  const dns = (map: Record<string, LookupAddress[]>) => async (host: string) => {
    const found = map[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };

  it.each<[string, LookupAddress[]]>([
    ['a loopback address', [{ address: '127.0.0.1', family: 4 }]],
    [
      'a public and a private address',
      [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ],
    ],
    ['an IPv4-mapped loopback', [{ address: '::ffff:127.0.0.1', family: 6 }]],
  ])('when a subscriber name resolves to %s, then nothing is sent and the delivery fails as blocked_address', async (_label, addresses) => {
    const sub = await subscriber();
    const rt = await runtime({ OUTBOUND_ALLOW_PRIVATE: 'false' }, { resolve: dns({ 'hooks.example.test': addresses }) });
    const api = adminApi(rt);
    const port = new URL(sub.url).port;
    const hook = await api.createWebhook(`http://hooks.example.test:${port}/`);
    await api.createIssue('SSRF');
    await settle(rt);
    expect(sub.requests).toHaveLength(0);
    const [delivery] = await api.deliveries(hook.id);
    expect(delivery).toMatchObject({ state: 'failed', attempts: [{ errorClass: 'blocked_address', statusCode: null }] });
    expect(delivery.attempts[0].error).toMatch(/internal address/);
  });

  it('when a name resolves and private addresses are allowed, then the connection goes to the address that was checked', async () => {
    const sub = await subscriber();
    const rt = await runtime({ OUTBOUND_ALLOW_PRIVATE: 'true' }, { resolve: dns({ 'pinned.example.test': [{ address: '127.0.0.1', family: 4 }] }) });
    const api = adminApi(rt);
    const port = new URL(sub.url).port;
    await api.createWebhook(`http://pinned.example.test:${port}/x`);
    await api.createIssue('Pinned');
    await settle(rt);
    expect(sub.requests).toHaveLength(1);
    expect(sub.requests[0].headers.host).toBe(`pinned.example.test:${port}`);
  });

  it('when the name does not resolve, then the error class is dns and it is retried', async () => {
    const rt = await runtime({}, { resolve: dns({}) });
    const api = adminApi(rt);
    const hook = await api.createWebhook('http://nowhere.example.test/');
    await api.createIssue('DNS');
    await settle(rt);
    const [delivery] = await api.deliveries(hook.id);
    expect(delivery).toMatchObject({ state: 'pending', attempts: [{ errorClass: 'dns' }] });
  });
});

describe('isolation', () => {
  it('when one subscriber hangs, then its endpoint is capped and neither other subscribers nor inbound webhooks wait', async () => {
    const rt = await runtime({ OUTBOUND_ENDPOINT_CONCURRENCY: '2', OUTBOUND_TIMEOUT_MS: '30000' });
    const api = adminApi(rt);
    const hanging = (await subscriber()).reply({ hang: true });
    const healthy = await subscriber();
    await api.createWebhook(hanging.url, { name: 'hanging' });
    await api.createWebhook(healthy.url, { name: 'healthy' });
    for (let i = 1; i <= 5; i++) await api.createIssue(`Issue ${i}`);

    await healthy.waitFor(5);
    await hanging.waitFor(2);
    expect(hanging.requests).toHaveLength(2);
    expect(hanging.maxInFlight).toBe(2);

    const started = Date.now();
    const answer = await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    await rt.worker.whenIdle();
    expect(Date.now() - started).toBeLessThan(2000);
    const event = await api.get(`/events/${answer.body.eventId}`).expect(200);
    expect(event.body.status).toBe('applied');

    hanging.reply({ status: 200 });
    hanging.release();
    await hanging.waitFor(5);
    await settle(rt);
    expect(hanging.maxInFlight).toBeLessThanOrEqual(2);
    const issueIds = hanging.requests.map((r) => (bodyOf(r).data.issue as { id: number }).id);
    expect(new Set(issueIds).size).toBe(5);
  });
});
