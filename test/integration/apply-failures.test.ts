import { ManualClock } from '../../src/shared/clock';
import { inboundApplyPolicy } from '../../src/delivery';
import { nacho } from '../support/fixtures';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;
const clock = new ManualClock(Date.UTC(2026, 2, 2, 12));

beforeEach(async () => {
  rt = await startRuntime({}, { clock, startWorker: false });
});
afterEach(() => rt.stop());

const event = async (id: string) =>
  (await rt.http.get(`/api/events/${id}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(200)).body as {
    status: string;
    error: string | null;
  };

/** Corrupts the stored payload so the ledger cannot apply it: a stand-in for any apply bug. */
const breakPayload = (eventId: string) => rt.storage.write((tx) => tx.run(sql`UPDATE events SET payload = '{"broken":true}' WHERE id = ${eventId}`));

/** Moves the clock past every scheduled retry, one attempt at a time. */
async function runAttempts(n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    clock.advance(10 * 60 * 1000);
    rt.worker.notify();
    await rt.worker.whenIdle();
  }
}

describe('when applying an event keeps failing', () => {
  it('then it is retried with back-off as failed, and finally dead with the error visible in the API', async () => {
    const { eventId } = (await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200)).body;
    await breakPayload(eventId);
    rt.worker.start();
    await rt.worker.whenIdle();

    const afterFirst = await event(eventId);
    expect(afterFirst.status).toBe('failed');
    expect(afterFirst.error).toEqual(expect.any(String));
    const [job] = await rt.rows<{ state: string; run_at: number; attempts: number }>(sql`SELECT * FROM jobs`);
    expect(job).toMatchObject({ state: 'pending', attempts: 1 });
    expect(job.run_at).toBeGreaterThan(clock.now());

    await runAttempts(inboundApplyPolicy.maxAttempts - 1);
    const dead = await event(eventId);
    expect(dead.status).toBe('dead');
    expect(dead.error).toBe(afterFirst.error);
    const [finalJob] = await rt.rows(sql`SELECT state, attempts, last_error FROM jobs`);
    expect(finalJob).toEqual({ state: 'dead', attempts: inboundApplyPolicy.maxAttempts, last_error: expect.any(String) });
    const [attempts] = await rt.rows(sql`SELECT count(*) AS n FROM job_attempts WHERE outcome = 'failed'`);
    expect(attempts).toEqual({ n: inboundApplyPolicy.maxAttempts });
  });

  it('then other events are still answered and applied meanwhile', async () => {
    const { eventId: broken } = (await rt.post('/webhooks/nachocode', nacho.purchaseIos()).expect(200)).body;
    await breakPayload(broken);
    rt.worker.start();
    const { eventId: healthy } = (await rt.post('/webhooks/nachocode', nacho.purchaseAndroid()).expect(200)).body;
    await rt.worker.whenIdle();
    expect((await event(healthy)).status).toBe('applied');
    expect((await event(broken)).status).toBe('failed');
  });
});
