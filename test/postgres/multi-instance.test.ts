import { nacho } from '../support/fixtures';
import { adminToken, api, eventually, postWebhook, slowSubscriber, startCluster, type Cluster } from './cluster';

// Two real iaphook processes on one PostgreSQL database, as a team running two replicas has them.

jest.setTimeout(120_000);

const PURCHASES = 1000;

const purchase = (i: number) =>
  nacho.purchaseIos({
    iapLogId: 900_000 + i,
    userId: `cluster-user-${i % 50}`,
    productId: `com.example.cluster.p${i % 7}`,
    data: { originalTransactionId: `tx-${i}`, transactionId: `tx-${i}` },
  });

async function inBatches<T>(count: number, size: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => run(start + k)))));
  }
  return out;
}

describe('two instances on one database', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2, { OUTBOUND_ENDPOINT_CONCURRENCY: '2' });
  });
  afterAll(() => cluster.stop());

  it('when both start at the same moment on an empty database, then both come up and share one default project', async () => {
    const [a, b] = cluster.servers;
    type Projects = { projects: Array<{ id: number; name: string }> };
    const projects = await Promise.all([api<Projects>(a, 'GET', '/api/projects'), api<Projects>(b, 'GET', '/api/projects')]);
    expect(projects.map((p) => p.status)).toEqual([200, 200]);
    expect(projects[0].body).toEqual(projects[1].body);
    expect(projects[0].body.projects.filter((p) => p.name === 'Default')).toHaveLength(1);
  });

  it('when 1,000 purchases are spread over both and each is resent to the other, then each is stored and applied once and readable from either', async () => {
    const [a, b] = cluster.servers;
    const first = await inBatches(PURCHASES, 50, (i) => postWebhook(i % 2 === 0 ? a : b, '/webhooks/nachocode/purchase', purchase(i)));
    expect(first.every((r) => r.status === 200 && r.body.duplicate === false)).toBe(true);
    const again = await inBatches(PURCHASES, 50, (i) => postWebhook(i % 2 === 0 ? b : a, '/webhooks/nachocode/purchase', purchase(i)));
    again.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ duplicate: true, eventId: first[i].body.eventId });
    });
    expect(new Set(first.map((r) => r.body.eventId)).size).toBe(PURCHASES);

    // Every purchase applied exactly once: one grant of quantity 1 each, whichever instance applied it.
    const totals = async () => {
      let purchased = 0;
      for (let u = 0; u < 50; u += 1) {
        const server = u % 2 === 0 ? a : b;
        const res = await api<{ entitlements: Array<{ purchased: number }> }>(
          server,
          'GET',
          `/api/users/cluster-user-${u}/entitlements?environment=production`,
        );
        purchased += res.body.entitlements.reduce((sum, e) => sum + e.purchased, 0);
      }
      return purchased;
    };
    await eventually(async () => ((await totals()) === PURCHASES ? true : undefined), 60_000, 'every purchase applied');
    const applied = await api<{ data: unknown[]; nextCursor: string | null }>(b, 'GET', '/api/events?status=applied&limit=200');
    expect(applied.body.data).toHaveLength(200);
    // Nothing still waiting, nothing applied twice (a second grant would make the total exceed 1,000).
    const waiting = await api<{ data: unknown[] }>(a, 'GET', '/api/events?status=received&limit=10');
    expect(waiting.body.data).toEqual([]);
    expect(await totals()).toBe(PURCHASES);
  });

  it('when deliveries are created through both instances, then each is delivered once and never more than the endpoint cap is in flight across both', async () => {
    const [a, b] = cluster.servers;
    const subscriber = await slowSubscriber(150);
    try {
      const { projects } = (await api<{ projects: Array<{ id: number; name: string }> }>(a, 'GET', '/api/projects')).body;
      const projectId = projects.find((p) => p.name === 'Default')!.id;
      const created = await api(a, 'POST', `/api/projects/${projectId}/webhooks`, {
        name: 'cluster-subscriber',
        url: subscriber.url,
        status: 'ACTIVE',
        events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }],
      });
      expect(created.status).toBe(201);
      const issues = await inBatches(30, 10, (i) => api(i % 2 === 0 ? a : b, 'POST', `/api/projects/${projectId}/issues`, { name: `cluster issue ${i}` }));
      expect(issues.every((r) => r.status === 201)).toBe(true);
      await eventually(async () => (subscriber.received.length >= 30 ? true : undefined), 60_000, '30 deliveries');
      // Settle: anything sent twice would arrive within another round of the slow subscriber.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ids = subscriber.received.map((r) => r.webhookId);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
      expect(subscriber.maxInFlight()).toBeLessThanOrEqual(2);
      expect(subscriber.maxInFlight()).toBe(2);
    } finally {
      await subscriber.close();
    }
  });

  it('when a request reaches one instance, then the inspector stream of the other shows it', async () => {
    const [a, b] = cluster.servers;
    const controller = new AbortController();
    const res = await fetch(`${a.url}/api/inspector/stream`, {
      headers: { Authorization: `Bearer ${adminToken()}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const seen = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString('utf8');
        if (text.includes('event: request')) return;
      }
    })();
    await eventually(async () => (text.includes('event: ready') ? true : undefined), 5000, 'the stream to open');
    const posted = await postWebhook(b, '/webhooks/nachocode/purchase', purchase(PURCHASES + 1));
    await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('no request event within 5 s')), 5000))]);
    controller.abort();
    expect(posted.status).toBe(200);
    expect(text).toContain(`"eventId":"${String(posted.body.eventId)}"`);
  });
});
