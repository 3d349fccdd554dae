import { abcPolicy, SqliteJobQueue } from '../../src/delivery';
import { GroupCommitter } from '../../src/storage/sqlite/group-commit';
import { freshDatabase } from '../support/db';

// The claim's cap per concurrency key: what keeps one slow endpoint from taking every slot.

const T0 = Date.UTC(2026, 2, 1);
const LEASE = 30_000;

let database: ReturnType<typeof freshDatabase>;
let committer: GroupCommitter;
const queue = new SqliteJobQueue();

beforeEach(() => {
  database = freshDatabase();
  committer = new GroupCommitter(database);
});
afterEach(() => {
  committer.close();
  database.remove();
});

const enqueue = (key: string | null, runAt = T0, kind = 'deliver') =>
  committer.run((db) => queue.enqueue(db, { kind, payload: {}, policy: abcPolicy, concurrencyKey: key, runAt }, T0));
const claim = (limit: number, perKeyLimit: number | undefined, now = T0, kinds?: string[]) =>
  committer.run((db) => queue.claim(db, { workerId: 'w', limit, now, leaseMs: LEASE, kinds, perKeyLimit }));
const keysOf = (jobs: Array<{ concurrencyKey: string | null }>) => jobs.map((j) => j.concurrencyKey);

it('when one key has a backlog, then a capped claim takes at most the cap of it and still serves the other keys', async () => {
  for (let i = 0; i < 10; i++) await enqueue('webhook:slow');
  await enqueue('webhook:fast');
  await enqueue(null);
  const claimed = await claim(50, 2);
  expect(keysOf(claimed)).toEqual(['webhook:slow', 'webhook:slow', 'webhook:fast', null]);
});

it('when a key already has jobs running, then they count against its cap', async () => {
  for (let i = 0; i < 5; i++) await enqueue('webhook:a');
  expect(await claim(1, 3)).toHaveLength(1);
  expect(await claim(50, 3)).toHaveLength(2);
  expect(await claim(50, 3)).toHaveLength(0);
});

it('when a running job\'s lease has expired, then its slot is free again and the job itself is claimable', async () => {
  await enqueue('webhook:a');
  await enqueue('webhook:a');
  expect(await claim(50, 1)).toHaveLength(1);
  expect(await claim(50, 1, T0 + LEASE - 1)).toHaveLength(0);
  const again = await claim(50, 1, T0 + LEASE);
  expect(again).toHaveLength(1);
  expect(again[0].attempt).toBe(2);
});

it('when kinds are given, then the capped claim takes only those kinds', async () => {
  await enqueue('k', T0, 'apply');
  await enqueue('k', T0, 'deliver');
  expect((await claim(50, 4, T0, ['deliver'])).map((j) => j.kind)).toEqual(['deliver']);
});

it('when every due job belongs to a saturated key, then the capped wake-up time ignores them', async () => {
  await enqueue('webhook:a');
  await enqueue('webhook:a');
  await enqueue('webhook:b', T0 + 5000);
  await claim(50, 1);
  const capped = queue.nextWakeAt(database.db, ['deliver'], { now: T0, perKeyLimit: 1 });
  expect(capped).toBe(T0 + 5000);
  // Uncapped, the due backlog of the saturated key would make the worker spin.
  expect(queue.nextWakeAt(database.db, ['deliver'])).toBe(T0);
});
