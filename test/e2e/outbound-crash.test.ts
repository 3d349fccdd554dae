import fs from 'node:fs';
import { signToken } from '../../src/http/tokens';
import { tempDir } from '../support/db';
import { E2E_JWT_SECRET, ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';
import { Subscriber } from '../support/subscriber';

// The built server as a process, killed with SIGKILL while a delivery waits for its retry: after a
// restart on the same data the retry is sent, with the same webhook-id. And the start-up log names
// the default project and channel, so the quick start needs no set-up.

jest.setTimeout(60_000);

const token = signToken(E2E_JWT_SECRET, { role: 'admin', expiresInSeconds: 3600 });

async function api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function until<T>(probe: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('outbound webhooks across a crash', () => {
  let dataDir: string;
  let sub: Subscriber;

  beforeAll(() => ensureBuilt(), 120_000);
  beforeEach(async () => {
    dataDir = tempDir('iaphook-e2e-outbound-');
    sub = await Subscriber.start();
  });
  afterEach(async () => {
    await stopAllServers();
    await sub.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the server is killed while a retry is pending, then the restarted server sends it', async () => {
    const env = { LOG_LEVEL: 'info' };
    const first = await startServer({ dataDir, env });
    const defaults = await until(async () => {
      const line = first.stdout().split('\n').find((l) => l.includes('feedback: default project and channel'));
      return line === undefined ? null : (JSON.parse(line) as { defaultProjectId: number; defaultChannelId: number });
    });
    expect(defaults).toMatchObject({ defaultProjectId: expect.any(Number), defaultChannelId: expect.any(Number) });

    sub.reply({ status: 200 }).replyOnce({ status: 503 });
    const project = defaults.defaultProjectId;
    const hook = await api(first, 'POST', `/projects/${project}/webhooks`, {
      name: 'crash',
      url: sub.url,
      status: 'ACTIVE',
      events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE' }],
    });
    expect(hook.status).toBe(201);
    const feedback = await api(first, 'POST', `/projects/${project}/channels/${defaults.defaultChannelId}/feedbacks`, { message: 'It crashed' });
    expect(feedback.status).toBe(201);
    // Wait until the failed attempt is on disk, then crash before the retry (due 3 s later).
    await until(async () => {
      const list = await api(first, 'GET', `/projects/${project}/webhooks/${hook.body.id}/deliveries`);
      return list.body.deliveries[0]?.attempts.length === 1 ? true : null;
    });
    first.kill('SIGKILL');
    await first.waitForExit();
    expect(sub.requests).toHaveLength(1);

    const second = await startServer({ dataDir, env });
    await sub.waitFor(2, 15_000);
    expect(sub.requests[1].headers['webhook-id']).toBe(sub.requests[0].headers['webhook-id']);
    const done = await until(async () => {
      const list = await api(second, 'GET', `/projects/${project}/webhooks/${hook.body.id}/deliveries`);
      return list.body.deliveries[0]?.state === 'succeeded' ? list.body.deliveries[0] : null;
    });
    expect(done.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 200]);
  });
});
