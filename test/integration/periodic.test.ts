import { claimPeriodicRun } from '../../src/runtime/periodic';
import type { Storage } from '../../src/storage/port';
import { freshStorage, openStorageOn, type TestStorage } from '../support/backend';

// Periodic work (retention pruning) runs once per cluster: every instance's timer fires, one runs it.

const T0 = Date.UTC(2026, 2, 1);
const EVERY = 10 * 60 * 1000;

let db: TestStorage;
let other: Storage;

beforeEach(async () => {
  db = await freshStorage();
  other = await openStorageOn(db.database);
});
afterEach(async () => {
  await other.close();
  await db.remove();
});

const fireAll = (now: number) =>
  Promise.all(Array.from({ length: 10 }, (_, i) => claimPeriodicRun(i % 2 === 0 ? db.storage : other, 'prune', EVERY, now, `instance-${i}`)));

it('when every instance fires at the same moment, then exactly one runs the task', async () => {
  expect((await fireAll(T0)).filter(Boolean)).toHaveLength(1);
});

it('when instances fire within the interval, then none runs it again; once it has passed, one does', async () => {
  await fireAll(T0);
  expect((await fireAll(T0 + EVERY / 2)).filter(Boolean)).toHaveLength(0);
  expect((await fireAll(T0 + EVERY)).filter(Boolean)).toHaveLength(1);
});

it('when another task is due, then it is tracked apart', async () => {
  await fireAll(T0);
  expect(await claimPeriodicRun(db.storage, 'sweep', EVERY, T0 + 1, 'instance-0')).toBe(true);
});
