import fs from 'node:fs';
import { signToken } from '../../src/http/tokens';
import { tempDir } from '../support/db';
import { ScriptedSubscriber } from '../support/scripted-subscriber';
import { E2E_JWT_SECRET, ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';

// SIGKILL in the middle of outbound retry schedules: deliveries whose first attempt failed and
// wait for their retry, deliveries in flight to a subscriber that has not answered, and deliveries
// not attempted yet. After a restart on the same data every one of them completes, at least once,
// and every attempt of a delivery carries the same webhook-id.

jest.setTimeout(90_000);

const FEEDBACKS = 15;
const ENV = { LOG_LEVEL: 'info', JOB_LEASE_MS: '2000', OUTBOUND_TIMEOUT_MS: '1500', WORKER_IDLE_POLL_MS: '200' };
const token = signToken(E2E_JWT_SECRET, { role: 'admin', expiresInSeconds: 3600 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function until<T>(probe: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('SIGKILL during outbound retry schedules', () => {
  let dataDir: string;
  const subscribers: ScriptedSubscriber[] = [];

  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(async () => {
    await stopAllServers();
    await Promise.all(subscribers.map((s) => s.close()));
    if (dataDir !== undefined) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the server is killed with retries pending and attempts in flight, then after a restart every delivery completes with its webhook-id', async () => {
    dataDir = tempDir('iaphook-e2e-fault-outbound-');
    // One subscriber fails every first attempt (its retry waits 3 s); the other hangs on every
    // request until the crash, so its attempts are in flight (and the rest queued behind its cap).
    let crashed = false;
    const failingFirst = await ScriptedSubscriber.start((_id, attempt) => (attempt === 1 ? 503 : 200));
    const hanging = await ScriptedSubscriber.start(() => (crashed ? 200 : 'hang'));
    subscribers.push(failingFirst, hanging);

    const first = await startServer({ dataDir, env: ENV });
    const defaults = await until(() => {
      const line = first.stdout().split('\n').find((l) => l.includes('feedback: default project and channel'));
      return line === undefined ? null : (JSON.parse(line) as { defaultProjectId: number; defaultChannelId: number });
    }, 10_000, 'the default project in the start-up log');
    const project = defaults.defaultProjectId;
    const hooks: number[] = [];
    for (const [name, sub] of [['retrying', failingFirst], ['hanging', hanging]] as const) {
      const created = await api(first, 'POST', `/projects/${project}/webhooks`, { name, url: sub.url, status: 'ACTIVE', events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE' }] });
      expect(created.status).toBe(201);
      hooks.push(created.body.id as number);
    }
    for (let i = 0; i < FEEDBACKS; i++) {
      const created = await api(first, 'POST', `/projects/${project}/channels/${defaults.defaultChannelId}/feedbacks`, { message: `feedback ${i}` });
      expect(created.status).toBe(201);
    }
    // Crash once every first attempt has failed (retries scheduled) and some attempts hang in flight.
    await until(() => (failingFirst.seen.length >= FEEDBACKS && hanging.seen.length > 0 ? true : null), 20_000, 'first attempts');
    first.kill('SIGKILL');
    await first.waitForExit();
    crashed = true;
    hanging.dropHanging();
    const atCrash = { retrying: failingFirst.seen.length, hangingInFlight: hanging.seen.length };

    const second = await startServer({ dataDir, env: ENV });
    const states = async () => {
      const lists = await Promise.all(hooks.map((id) => api(second, 'GET', `/projects/${project}/webhooks/${id}/deliveries?limit=200`)));
      return lists.flatMap((l) => l.body.deliveries as Array<{ state: string }>);
    };
    const finalStates = await until(async () => {
      const all = await states();
      return all.length === 2 * FEEDBACKS && all.every((d) => d.state === 'succeeded') ? all : null;
    }, 45_000, 'every delivery succeeded');
    console.log(`at the crash: ${JSON.stringify(atCrash)}; after: ${JSON.stringify({ retrying: failingFirst.seen.length, hanging: hanging.seen.length })}`);

    expect(finalStates).toHaveLength(2 * FEEDBACKS);
    for (const sub of [failingFirst, hanging]) {
      const byId = sub.byWebhookId();
      // One webhook-id per event, every attempt of a delivery under it, at least one of them answered 200.
      expect(byId.size).toBe(FEEDBACKS);
      for (const [webhookId, attempts] of byId) {
        expect(webhookId).toMatch(/\S/);
        expect(new Set(attempts.map((a) => JSON.parse(a.body).data.feedback.id)).size).toBe(1);
        expect(attempts.some((a) => a.status === 200)).toBe(true);
      }
    }
    // The retried deliveries were retried, not re-sent under new ids.
    expect([...failingFirst.byWebhookId().values()].every((attempts) => attempts.length >= 2 && attempts[0].status === 503)).toBe(true);
    expect(second.exited).toBe(false);
  });
});
