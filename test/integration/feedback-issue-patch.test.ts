import { ManualClock } from '../../src/shared/clock';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { adminApi } from './outbound-support';

// PATCH of an issue changes updatedAt only when it changes something: an edit that repeats what
// is stored (the same status, name, description or external id) leaves the issue as it was, so
// its updatedAt in later answers and events still says when it last really changed.

let rt: TestRuntime;
let api: ReturnType<typeof adminApi>;
const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));

beforeEach(async () => {
  rt = await startRuntime({}, { clock });
  api = adminApi(rt);
});
afterEach(() => rt.stop());

interface IssueView {
  id: number;
  status: string;
  description: string | null;
  updatedAt: string;
}

async function listed(id: number): Promise<IssueView> {
  const res = await api.get(`/projects/${api.projectId}/issues`).expect(200);
  return (res.body.issues as IssueView[]).find((i) => i.id === id)!;
}

it.each<[string, Record<string, unknown>]>([
  ['the same status', { status: 'IN_PROGRESS' }],
  ['the same name, description and external id', { name: 'Login fails', description: 'on iOS', externalIssueId: 'T-1' }],
])('when a PATCH sets %s, then updatedAt stays what it was and no event is emitted', async (_label, body) => {
  const created = await api.createIssue('Login fails', { description: 'on iOS', externalIssueId: 'T-1' });
  const path = `/projects/${api.projectId}/issues/${created.id}`;
  clock.advance(60_000);
  const moved = (await api.patch(path, { status: 'IN_PROGRESS' }).expect(200)).body as IssueView & { eventId: string | null };
  expect(moved.updatedAt).toBe(new Date(clock.now()).toISOString());

  clock.advance(60_000);
  const again = (await api.patch(path, body).expect(200)).body as IssueView & { eventId: string | null };
  expect(again).toMatchObject({ status: 'IN_PROGRESS', updatedAt: moved.updatedAt, eventId: null });
  expect((await listed(created.id)).updatedAt).toBe(moved.updatedAt);
});

it('when a PATCH repeats the status but changes the description, then updatedAt moves', async () => {
  const created = await api.createIssue('Crash on start');
  const path = `/projects/${api.projectId}/issues/${created.id}`;
  clock.advance(60_000);
  const changed = (await api.patch(path, { status: 'INIT', description: 'after update 2.1' }).expect(200)).body as IssueView & { eventId: string | null };
  expect(changed).toMatchObject({ status: 'INIT', description: 'after update 2.1', updatedAt: new Date(clock.now()).toISOString(), eventId: null });
  expect((await listed(created.id)).updatedAt).toBe(changed.updatedAt);
});
