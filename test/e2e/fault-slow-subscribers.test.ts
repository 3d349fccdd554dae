import { Pool } from 'undici';
import { signToken } from '../../src/http/tokens';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { ScriptedSubscriber } from '../support/scripted-subscriber';
import { E2E_JWT_SECRET, E2E_WEBHOOK_KEY, ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';
import { refusedUrl } from '../support/subscriber';
import { PURCHASE_PATH, purchase } from '../support/webhooks';

// A subscriber that never answers and two that always fail must not slow inbound webhooks or
// delay a healthy subscriber. The same burst runs twice, without and with the bad subscribers;
// the test checks what must hold (every webhook answered 200, every delivery to the healthy
// subscriber made) and prints the latency ratio, which only the benchmark judges.

jest.setTimeout(90_000);

const BURST = 600;
const LANES = 20;
const FEEDBACKS = 20;
const token = signToken(E2E_JWT_SECRET, { role: 'admin', expiresInSeconds: 3600 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * values.length) - 1)] ?? Number.NaN;

async function api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('bad subscribers beside a healthy one', () => {
  let database: TestDatabase | undefined;
  let server: ServerProcess;
  let pool: Pool;
  const subs: ScriptedSubscriber[] = [];

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    server = await startServer({ database, env: { LOG_LEVEL: 'info', OUTBOUND_TIMEOUT_MS: '2000' } });
    pool = new Pool(server.url, { connections: LANES });
  }, 120_000);
  afterAll(async () => {
    try {
      await pool?.close();
      await stopAllServers();
      await Promise.all(subs.map((s) => s.close()));
    } finally {
      await database?.drop();
    }
  });

  /** A burst of purchases with feedbacks created during it; inbound latencies and the healthy subscriber's delays. */
  async function burst(firstId: number, healthy: ScriptedSubscriber, project: number, channel: number) {
    const statuses: number[] = [];
    const latencies: number[] = [];
    let next = 0;
    const lane = async () => {
      while (next < BURST) {
        const id = firstId + next++;
        const started = performance.now();
        const res = await pool.request({
          path: PURCHASE_PATH,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${E2E_WEBHOOK_KEY}` },
          body: JSON.stringify(purchase(id)),
        });
        await res.body.text();
        latencies.push(performance.now() - started);
        statuses.push(res.statusCode);
      }
    };
    const seenBefore = healthy.seen.length;
    const created: number[] = [];
    const feedbacks = (async () => {
      for (let i = 0; i < FEEDBACKS; i++) {
        expect((await api(server, 'POST', `/projects/${project}/channels/${channel}/feedbacks`, { message: `burst ${firstId} #${i}` })).status).toBe(201);
        created.push(Date.now());
        await sleep(20);
      }
    })();
    await Promise.all([...Array.from({ length: LANES }, lane), feedbacks]);
    const deadline = Date.now() + 20_000;
    while (healthy.seen.length - seenBefore < FEEDBACKS && Date.now() < deadline) await sleep(50);
    const delays = healthy.seen.slice(seenBefore, seenBefore + FEEDBACKS).map((s, i) => s.at - created[i]);
    return { statuses, latencies, delivered: healthy.seen.length - seenBefore, delays };
  }

  test('when one subscriber hangs and two always fail, then inbound webhooks and the healthy subscriber are still served', async () => {
    const line = server
      .stdout()
      .split('\n')
      .find((l) => l.includes('feedback: default project and channel'));
    const { defaultProjectId: project, defaultChannelId: channel } = JSON.parse(line ?? '{}') as { defaultProjectId: number; defaultChannelId: number };
    const subscribe = async (name: string, url: string) =>
      expect(
        (await api(server, 'POST', `/projects/${project}/webhooks`, { name, url, status: 'ACTIVE', events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE' }] }))
          .status,
      ).toBe(201);

    const healthy = await ScriptedSubscriber.start(() => 200);
    const hanging = await ScriptedSubscriber.start(() => 'hang');
    const failing = await ScriptedSubscriber.start(() => 500);
    subs.push(healthy, hanging, failing);
    await subscribe('healthy', healthy.url);
    await burst(30_000_000, healthy, project, channel); // warm-up: the first burst also pays for JIT compilation
    const alone = await burst(10_000_000, healthy, project, channel);

    await subscribe('never answers', hanging.url);
    await subscribe('always 500', failing.url);
    await subscribe('refused', `${await refusedUrl()}/hook`);
    const crowded = await burst(20_000_000, healthy, project, channel);

    const figures = {
      inboundP99Ms: { alone: Math.round(p(alone.latencies, 0.99)), withBadSubscribers: Math.round(p(crowded.latencies, 0.99)) },
      inboundP99Ratio: +(p(crowded.latencies, 0.99) / p(alone.latencies, 0.99)).toFixed(2),
      healthyDelayP99Ms: { alone: p(alone.delays, 0.99), withBadSubscribers: p(crowded.delays, 0.99) },
      badSubscriberRequests: { hanging: hanging.seen.length, failing: failing.seen.length },
    };
    console.log(`bad subscribers: ${JSON.stringify(figures)}`);

    for (const run of [alone, crowded]) {
      expect(run.statuses.filter((s) => s !== 200)).toEqual([]);
      expect(run.delivered).toBe(FEEDBACKS);
    }
    // The bad subscribers were really tried (and keep failing) while all this went on.
    expect(hanging.seen.length).toBeGreaterThan(0);
    expect(failing.seen.length).toBeGreaterThan(0);
    expect(server.exited).toBe(false);
  });
});
