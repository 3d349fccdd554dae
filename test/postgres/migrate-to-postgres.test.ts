import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { openStorage } from '../../src/storage';
import { sql } from '../../src/storage/sql';
import { TABLES } from '../../src/storage/transfer';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { nacho } from '../support/fixtures';
import { startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';
import { PROJECT_ROOT } from '../support/server';
import { eventually, slowSubscriber } from './cluster';

// An install that started on the embedded default moves to PostgreSQL: everything it held is in
// the new database afterwards, and what it still had to do (pending deliveries) gets done there.

jest.setTimeout(120_000);

const run = promisify(execFile);
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const migrate = (from: string, to: string) =>
  run(TSX, ['scripts/migrate-to-postgres.ts', '--from', from, '--to', to, '--no-progress'], { cwd: PROJECT_ROOT, timeout: 60_000 });

const USERS = ['user-7f3a', 'user-c41d', 'user-9b20', 'user-migr'];
const admin = (rt: TestRuntime) => ({ Authorization: `Bearer ${rt.adminToken()}` });

async function entitlements(rt: TestRuntime): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const user of USERS) {
    for (const environment of ['production', 'sandbox']) {
      out.push((await rt.http.get(`/api/users/${user}/entitlements?environment=${environment}`).set(admin(rt)).expect(200)).body);
    }
  }
  return out;
}

const countRows = async (storage: { read: { get<T>(q: ReturnType<typeof sql>): Promise<T | undefined> } }) => {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = (await storage.read.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.raw(table)}`))!.n;
  return counts;
};

/** The embedded install: the test scenarios' traffic, and deliveries left pending at the end. */
async function buildEmbeddedInstall(sqlite: TestDatabase, subscriberUrl: string) {
  const rt = await startRuntime({}, { database: sqlite });
  try {
    const projectId = rt.feedbackDefaults.projectId;
    const post = (route: string, body: unknown, key: string | null = WEBHOOK_KEY) => rt.post(route, body, key);
    await post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    await post('/webhooks/nachocode/purchase', nacho.purchaseAndroid()).expect(200);
    // A refund before its purchase: held, then released when the purchase comes.
    await post('/webhooks/nachocode/refund', nacho.refundIosPartial()).expect(200);
    await post('/webhooks/nachocode/purchase', nacho.purchaseIosMulti()).expect(200);
    await post('/webhooks/nachocode/refund', nacho.refundAndroid()).expect(200);
    await post('/webhooks/nachocode/unavailable-users', nacho.unavailableUsers()).expect(200);
    await post('/webhooks/nachocode/purchase', nacho.purchaseIos({ price: 1 })).expect(409);
    await post('/webhooks/nachocode/purchase', nacho.purchaseIos(), 'not-the-key-at-all-000000').expect(401);
    await post('/webhooks/nachocode/purchase', nacho.purchaseIos({ userId: 'user-migr', iapLogId: 777, productType: 'consumable', quantity: 3 })).expect(200);
    await rt.worker.whenIdle();
    await rt.http
      .post('/api/users/user-migr/consumptions')
      .set(admin(rt))
      .send({ environment: 'production', productId: nacho.purchaseIos().productId, quantity: 1, idempotencyKey: 'spend-1' })
      .expect(201);
    const bin = (await rt.http.post('/api/bins').set(admin(rt)).send({ name: 'capture' }).expect(201)).body as { id: string };
    await rt.http.post(`/bins/${bin.id}`).send('hello').expect(200);
    // Delivered before the move (an attempt log to carry over), then pending: the worker stops.
    await rt.http
      .post(`/api/projects/${projectId}/webhooks`)
      .set(admin(rt))
      .send({ name: 'subscriber', url: subscriberUrl, status: 'ACTIVE', events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }] })
      .expect(201);
    await rt.http.post(`/api/projects/${projectId}/issues`).set(admin(rt)).send({ name: 'before the move' }).expect(201);
    await eventually(async () => ((await rt.rows(sql`SELECT id FROM job_attempts`)).length > 0 ? true : undefined), 10_000, 'the first delivery');
    await rt.outboundWorker.stop({ deadlineMs: 5000 });
    for (const name of ['pending one', 'pending two']) await rt.http.post(`/api/projects/${projectId}/issues`).set(admin(rt)).send({ name }).expect(201);
    const pending = await rt.rows<{ id: string }>(
      sql`SELECT e.id FROM outbound_events e JOIN deliveries d ON d.event_id = e.id WHERE d.state = 'pending' ORDER BY e.id`,
    );
    return { entitlements: await entitlements(rt), counts: await countRows(rt.storage), pending: pending.map((p) => p.id) };
  } finally {
    await rt.close();
  }
}

describe('npm run migrate-to-postgres', () => {
  let sqlite: TestDatabase;
  let target: TestDatabase;

  beforeAll(async () => {
    sqlite = await createTestDatabase('sqlite');
    target = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await sqlite.drop();
    await target.drop();
  });

  it('when an embedded install is moved, then every row and entitlement is there and its pending deliveries are sent by the PostgreSQL instance', async () => {
    const subscriber = await slowSubscriber(0);
    try {
      const before = await buildEmbeddedInstall(sqlite, subscriber.url);
      expect(before.pending).toHaveLength(2);
      expect(subscriber.received).toHaveLength(1);

      const { stdout } = await migrate(sqlite.env.DATABASE_PATH, target.url!);
      expect(stdout).toMatch(/^Copied [\d,]+ rows from /);

      const copied = await openStorage({ backend: 'postgres', url: target.url!, poolSize: 2 }, { busyTimeoutMs: 1000, commitMaxBatch: 1 });
      try {
        expect(await countRows(copied)).toEqual(before.counts);
      } finally {
        await copied.close();
      }
      const rt = await startRuntime({}, { database: target });
      try {
        expect(await entitlements(rt)).toEqual(before.entitlements);
        // The same default project, not a new one.
        expect((await rt.rows(sql`SELECT id FROM projects`)).length).toBe(1);
        await eventually(async () => (subscriber.received.length >= 3 ? true : undefined), 20_000, 'the pending deliveries');
        expect(
          subscriber.received
            .slice(1)
            .map((r) => r.webhookId)
            .sort(),
        ).toEqual(before.pending);
        // New rows after the move get fresh ids (the identities continue after the copied ones).
        await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos({ iapLogId: 9_000_001, data: { transactionId: 'after-move' } })).expect(200);
        await rt.http.post(`/api/projects/${rt.feedbackDefaults.projectId}/issues`).set(admin(rt)).send({ name: 'after the move' }).expect(201);
      } finally {
        await rt.close();
      }
    } finally {
      await subscriber.close();
    }
  });

  it('when the target already holds data, then it refuses and changes nothing', async () => {
    const copied = await openStorage({ backend: 'postgres', url: target.url!, poolSize: 2 }, { busyTimeoutMs: 1000, commitMaxBatch: 1 });
    try {
      const before = await countRows(copied);
      await expect(migrate(sqlite.env.DATABASE_PATH, target.url!)).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/not empty/) });
      expect(await countRows(copied)).toEqual(before);
    } finally {
      await copied.close();
    }
  });
});
