import { ensureDefaults } from '../../src/feedback';
import { openStorage, sql, type Storage } from '../../src/storage';
import { createTestDatabase, type TestDatabase } from '../support/backend';

// The default project and channel the quick start relies on, created at start-up
// (`await storage.write((tx) => ensureDefaults(tx, now, options))`, as the runtime does).

let database: TestDatabase;
const opened: Storage[] = [];
const T0 = Date.UTC(2026, 2, 1);

/** A storage on the test database: one instance of the service (several may share the database). */
async function instance(): Promise<Storage> {
  const storage = await openStorage(
    database.url === null ? { backend: 'sqlite', path: database.env.DATABASE_PATH } : { backend: 'postgres', url: database.url, poolSize: 4 },
    { busyTimeoutMs: 5000, commitMaxBatch: 512 },
  );
  opened.push(storage);
  return storage;
}

async function shutDown(storage: Storage): Promise<void> {
  opened.splice(opened.indexOf(storage), 1);
  await storage.close();
}

const startUp = (storage: Storage, now: number, recordRefunds: boolean) => storage.write((tx) => ensureDefaults(tx, now, { recordRefunds }));

beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await database.drop();
});

it('when defaults are ensured twice, then the same project and channels come back', async () => {
  const storage = await instance();
  const first = await startUp(storage, T0, true);
  expect(first).toEqual({ projectId: 1, channelId: 1, refundsChannelId: 2 });
  expect(await startUp(storage, T0 + 1, true)).toEqual(first);
});

it('when the service restarts on the same database, then the defaults made at the first start come back', async () => {
  const before = await instance();
  const first = await startUp(before, T0, true);
  await shutDown(before);
  const after = await instance();
  expect(await startUp(after, T0 + 60_000, true)).toEqual(first);
  const projects = await after.read.all(sql`SELECT id, name FROM projects ORDER BY id`);
  expect(projects).toEqual([{ id: first.projectId, name: 'Default' }]);
});

it('when the default project does not record refunds, then it has no Refunds channel', async () => {
  expect(await startUp(await instance(), T0, false)).toEqual({ projectId: 1, channelId: 1, refundsChannelId: null });
});

it('when the default project was renamed, then it is still the default (after a restart too)', async () => {
  const storage = await instance();
  const first = await startUp(storage, T0, false);
  await storage.write((tx) => tx.run(sql`UPDATE projects SET name = ${'My app'}`));
  expect(await startUp(storage, T0 + 1, false)).toEqual(first);
  await shutDown(storage);
  const restarted = await instance();
  expect(await startUp(restarted, T0 + 2, false)).toEqual(first);
  expect(await restarted.read.all(sql`SELECT name FROM projects ORDER BY id`)).toEqual([{ name: 'My app' }]);
});

it('when several instances start at once on one empty database, then they all get the same defaults, made once', async () => {
  // Each its own storage (connections of its own): on PostgreSQL their transactions overlap and the
  // lock in ensureDefaults orders them; on SQLite the second waits for the first's write lock.
  const instances = await Promise.all([instance(), instance(), instance(), instance()]);
  const defaults = await Promise.all(instances.map((storage, i) => startUp(storage, T0 + i, true)));
  expect(defaults[0]).toEqual({ projectId: expect.any(Number), channelId: expect.any(Number), refundsChannelId: expect.any(Number) });
  for (const got of defaults) expect(got).toEqual(defaults[0]);

  const read = instances[0].read;
  expect(await read.all(sql`SELECT id, name FROM projects ORDER BY id`)).toEqual([{ id: defaults[0].projectId, name: 'Default' }]);
  const channels = await read.all(sql`SELECT id, project_id AS "projectId", name FROM channels ORDER BY id`);
  expect(channels).toEqual([
    { id: defaults[0].channelId, projectId: defaults[0].projectId, name: 'Default' },
    { id: defaults[0].refundsChannelId, projectId: defaults[0].projectId, name: 'Refunds' },
  ]);
  const remembered = await read.all(sql`SELECT value FROM meta WHERE key = ${'feedback.defaultProjectId'}`);
  expect(remembered).toEqual([{ value: String(defaults[0].projectId) }]);
});
