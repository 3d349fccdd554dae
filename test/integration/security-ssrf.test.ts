import type { LookupAddress } from 'node:dns';
import { Subscriber } from '../support/subscriber';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';

// SSRF: in production a subscriber URL may not point into the server's own network, whether the
// address is written in one of its many spellings or hidden behind a name that resolves to it.

const DNS: Record<string, LookupAddress[]> = {
  'internal.example': [{ address: '127.0.0.1', family: 4 }],
  'mixed.example': [
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ],
  'mapped.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
};
const resolve = async (hostname: string) => {
  const found = DNS[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function createWebhook(rt: TestRuntime, url: string) {
  return rt.http
    .post(`/api/projects/${rt.feedbackDefaults.projectId}/webhooks`)
    .set('Authorization', `Bearer ${rt.adminToken()}`)
    .send({ name: `hook ${url}`, url, status: 'ACTIVE', events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE' }] });
}

async function createFeedback(rt: TestRuntime) {
  const { projectId, channelId } = rt.feedbackDefaults;
  await rt.http
    .post(`/api/projects/${projectId}/channels/${channelId}/feedbacks`)
    .set('Authorization', `Bearer ${rt.adminToken()}`)
    .send({ message: 'hello' })
    .expect(201);
}

/** Attempts of deliver-webhook jobs, waiting until `count` exist. */
async function attempts(rt: TestRuntime, count: number): Promise<Array<{ outcome: string; errorMessage: string | null }>> {
  const read = () =>
    rt.rows<{ outcome: string; errorMessage: string | null }>(
      sql`SELECT a.outcome, a.error_message AS "errorMessage" FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.kind = 'deliver-webhook' ORDER BY a.id`,
    );
  const deadline = Date.now() + 10_000;
  while ((await read()).length < count && Date.now() < deadline) await sleep(25);
  return read();
}

describe('SSRF in production mode', () => {
  let rt: TestRuntime;
  let subscriber: Subscriber;

  beforeEach(async () => {
    subscriber = await Subscriber.start();
  });
  afterEach(async () => {
    await rt.stop();
    await subscriber.close();
  });

  it.each([
    'http://127.1/hook',
    'http://2130706433/hook',
    'http://0x7f000001/hook',
    'http://0177.0.0.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::1]/hook',
    'http://localhost/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.5/hook',
    'http://192.168.1.1/hook',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
    'http://[::127.0.0.1]:38300/n',
    'http://[::10.0.0.5]/hook',
    'http://[64:ff9b::127.0.0.1]/hook',
    'http://[2002:7f00:1::1]/hook',
    'http://[2001:0:7f00:1::1]/hook',
    'http://LOCALHOST.:38200/',
    'http://api.localhost./hook',
  ])('when a subscription points at %s, then it is refused', async (url) => {
    rt = await startRuntime({ NODE_ENV: 'production' }, { resolve });
    const res = await createWebhook(rt, url);
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual([expect.objectContaining({ field: 'url' })]);
  });

  it.each(['internal.example', 'mixed.example', 'mapped.example'])(
    'when a subscription names %s, which resolves to a loopback address, then every delivery is refused before connecting',
    async (host) => {
      rt = await startRuntime({ NODE_ENV: 'production' }, { resolve });
      const port = new URL(subscriber.url).port;
      await createWebhook(rt, `http://${host}:${port}/hook`).expect(201);
      await createFeedback(rt);
      const [first] = await attempts(rt, 1);
      expect(first.outcome).toBe('failed');
      expect(first.errorMessage).toMatch(/loopback, private or otherwise internal/);
      expect(subscriber.requests).toEqual([]);
    },
  );

  it('when private addresses are allowed (development), then the same subscription is delivered to (the test can see a delivery)', async () => {
    rt = await startRuntime({ NODE_ENV: 'development' }, { resolve });
    const port = new URL(subscriber.url).port;
    await createWebhook(rt, `http://internal.example:${port}/hook`).expect(201);
    await createFeedback(rt);
    const [first] = await attempts(rt, 1);
    expect(first.outcome).toBe('succeeded');
    expect(subscriber.requests).toHaveLength(1);
  });
});
