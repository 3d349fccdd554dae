import { ManualClock } from '../../src/shared/clock';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { Subscriber } from '../support/subscriber';
import { adminApi, settle } from './outbound-support';

// Pending retries survive a restart: ABC's own sender keeps them in memory and loses them.

let sub: Subscriber;
let database: TestDatabase;
const open: TestRuntime[] = [];

beforeEach(async () => {
  sub = await Subscriber.start();
  database = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((rt) => rt.close()));
  await sub.close();
  await database.drop();
});

/** The service on the test's database: each boot after the first is a restart. */
async function boot(clock: ManualClock): Promise<TestRuntime> {
  const rt = await startRuntime({}, { clock, database });
  open.push(rt);
  return rt;
}

it('when the service restarts in the middle of a retry schedule, then the schedule resumes where it was', async () => {
  const t0 = Date.now();
  sub.reply({ status: 500, body: 'deploying' });
  const clock1 = new ManualClock(t0);
  const first = await boot(clock1);
  const api1 = adminApi(first);
  const hook = await api1.createWebhook(sub.url);
  const issue = await api1.createIssue('Survives');
  await settle(first);
  clock1.advance(3000);
  await settle(first);
  expect(sub.requests).toHaveLength(2);
  // Stopped between attempt 2 and attempt 3 (due at t0 + 6 s), as a deploy would.
  await first.close();
  open.splice(open.indexOf(first), 1);

  sub.reply({ status: 200 });
  const clock = new ManualClock(t0 + 5000);
  const second = await boot(clock);
  const api2 = adminApi(second);
  await settle(second);
  expect(sub.requests).toHaveLength(2);
  const [waiting] = await api2.deliveries(hook.id);
  expect(waiting).toMatchObject({ state: 'pending', nextAttemptAt: new Date(t0 + 6000).toISOString() });

  clock.set(t0 + 6000);
  await settle(second);
  expect(sub.requests).toHaveLength(3);
  expect(new Set(sub.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([issue.eventId]));
  const [done] = await api2.deliveries(hook.id);
  expect(done.state).toBe('succeeded');
  expect(done.attempts.map((a) => [a.attempt, a.statusCode, Date.parse(a.at) - t0])).toEqual([
    [1, 500, 0],
    [2, 500, 3000],
    [3, 200, 6000],
  ]);
});
