import { sql } from '../../src/storage/sql';
import { openStorageOn } from '../support/backend';
import type { ServerProcess } from '../support/server';
import { api, eventually, slowSubscriber, startCluster, type Cluster } from './cluster';

// One instance of two goes away in the middle of a slow delivery burst: killed (a crash), or
// stopped with SIGTERM (a rolling restart). The other finishes the burst.

jest.setTimeout(120_000);

const DELIVERIES = 24;

async function burst(cluster: Cluster, subscriber: { url: string }): Promise<void> {
  const [a, b] = cluster.servers;
  const { projects } = (await api<{ projects: Array<{ id: number; name: string }> }>(a, 'GET', '/api/projects')).body;
  const projectId = projects.find((p) => p.name === 'Default')!.id;
  const created = await api(a, 'POST', `/api/projects/${projectId}/webhooks`, {
    name: `failover-${Date.now()}`,
    url: subscriber.url,
    status: 'ACTIVE',
    events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }],
  });
  expect(created.status).toBe(201);
  // All at once, so the burst is queued before much of it is sent.
  const created_ = await Promise.all(
    Array.from({ length: DELIVERIES }, (_, i) =>
      api(i % 2 === 0 ? a : b, 'POST', `/api/projects/${projectId}/issues`, { name: `failover issue ${Date.now()} ${i}` }),
    ),
  );
  expect(created_.map((r) => r.status)).toEqual(Array(DELIVERIES).fill(201));
}

const counts = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

describe.each([
  ['SIGKILL', 'killed'],
  ['SIGTERM', 'stopped for a rolling restart'],
] as const)('when one instance is %s mid-burst', (signal, what) => {
  let cluster: Cluster;

  beforeAll(async () => {
    // A short lease so the survivor takes a crashed instance's jobs within the test (the outbound
    // lease is 3 attempt timeouts: 6 s), and a timeout no loaded machine runs into: a retry after a
    // timeout would send a second copy that has nothing to do with the instance going away.
    cluster = await startCluster(2, { OUTBOUND_ENDPOINT_CONCURRENCY: '2', JOB_LEASE_MS: '2000', OUTBOUND_TIMEOUT_MS: '2000', SHUTDOWN_TIMEOUT_MS: '5000' });
  });
  afterAll(() => cluster.stop());

  it(`then the other delivers all of it, and only deliveries in flight at the moment it was ${what} may arrive twice`, async () => {
    const subscriber = await slowSubscriber(400);
    try {
      await burst(cluster, subscriber);
      await eventually(async () => (subscriber.received.length >= 4 ? true : undefined), 30_000, 'the burst to start');
      const victim: ServerProcess = cluster.servers[0];
      victim.kill(signal);
      // Mid-burst indeed: most of it is still to be sent.
      expect(counts(subscriber.received.map((r) => r.webhookId)).size).toBeLessThan(DELIVERIES / 2);
      await victim.waitForExit(15_000);
      // In flight at the kill: attempts the victim had claimed and never recorded (its leases
      // are still there until they expire), whether or not the subscriber had answered yet.
      const storage = await openStorageOn(cluster.database);
      const leased = await storage.read.all<{ messageId: string }>(sql`SELECT d.event_id AS "messageId" FROM deliveries d
        JOIN jobs j ON j.id = d.job_id WHERE j.state = 'running' AND j.locked_by LIKE ${`%:${victim.child.pid}:%`}`);
      await storage.close();
      const inFlightAtKill = new Set(leased.map((r) => r.messageId));
      if (signal === 'SIGTERM') expect(inFlightAtKill.size).toBe(0);
      await eventually(async () => (counts(subscriber.received.map((r) => r.webhookId)).size >= DELIVERIES ? true : undefined), 60_000, 'every delivery');
      // Another lease's worth of time: a second copy of anything would have arrived by now.
      await new Promise((resolve) => setTimeout(resolve, 6500));
      const seen = counts(subscriber.received.map((r) => r.webhookId));
      expect(seen.size).toBe(DELIVERIES);
      const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      for (const id of twice) expect(inFlightAtKill.has(id)).toBe(true);
      if (signal === 'SIGTERM') expect(twice).toEqual([]);
      expect(Math.max(...seen.values())).toBeLessThanOrEqual(2);
    } finally {
      await subscriber.close();
    }
  });
});
