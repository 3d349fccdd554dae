import { listDeliveries, outboundE2e, postFeedback, startWithDefaults, subscribeToFeedback, until } from '../support/outbound-e2e';
import { ScriptedSubscriber } from '../support/scripted-subscriber';
import { startServer } from '../support/server';

// SIGKILL in the middle of outbound retry schedules: deliveries whose first attempt failed and
// wait for their retry, deliveries in flight to a subscriber that has not answered, and deliveries
// not attempted yet. After a restart on the same data every one of them completes, at least once,
// and every attempt of a delivery carries the same webhook-id.

jest.setTimeout(90_000);

const FEEDBACKS = 15;
const ENV = { LOG_LEVEL: 'info', JOB_LEASE_MS: '2000', OUTBOUND_TIMEOUT_MS: '1500', WORKER_IDLE_POLL_MS: '200' };

describe('SIGKILL during outbound retry schedules', () => {
  const e2e = outboundE2e();

  test('when the server is killed with retries pending and attempts in flight, then after a restart every delivery completes with its webhook-id', async () => {
    // One subscriber fails every first attempt (its retry waits 3 s); the other hangs on every
    // request until the crash, so its attempts are in flight (and the rest queued behind its cap).
    let crashed = false;
    const failingFirst = e2e.closeAfter(await ScriptedSubscriber.start((_id, attempt) => (attempt === 1 ? 503 : 200)));
    const hanging = e2e.closeAfter(await ScriptedSubscriber.start(() => (crashed ? 200 : 'hang')));

    const { server: first, defaults } = await startWithDefaults({ database: e2e.database(), env: ENV });
    const project = defaults.defaultProjectId;
    const hooks: number[] = [];
    for (const [name, sub] of [
      ['retrying', failingFirst],
      ['hanging', hanging],
    ] as const) {
      const created = await subscribeToFeedback(first, project, name, sub.url);
      expect(created.status).toBe(201);
      hooks.push(created.body.id as number);
    }
    for (let i = 0; i < FEEDBACKS; i++) {
      const created = await postFeedback(first, defaults, `feedback ${i}`);
      expect(created.status).toBe(201);
    }
    // Crash once every first attempt has failed (retries scheduled) and some attempts hang in flight.
    await until(() => (failingFirst.seen.length >= FEEDBACKS && hanging.seen.length > 0 ? true : null), 20_000, 'first attempts');
    first.kill('SIGKILL');
    await first.waitForExit();
    crashed = true;
    hanging.dropHanging();
    const atCrash = { retrying: failingFirst.seen.length, hangingInFlight: hanging.seen.length };

    const second = await startServer({ database: e2e.database(), env: ENV });
    const states = async () => {
      const lists = await Promise.all(hooks.map((id) => listDeliveries(second, project, id, '?limit=200')));
      return lists.flatMap((l) => l.body.deliveries as Array<{ state: string }>);
    };
    const finalStates = await until(
      async () => {
        const all = await states();
        return all.length === 2 * FEEDBACKS && all.every((d) => d.state === 'succeeded') ? all : null;
      },
      45_000,
      'every delivery succeeded',
    );
    console.log(`at the crash: ${JSON.stringify(atCrash)}; after: ${JSON.stringify({ retrying: failingFirst.seen.length, hanging: hanging.seen.length })}`);

    expect(finalStates).toHaveLength(2 * FEEDBACKS);
    for (const sub of [failingFirst, hanging]) {
      const byId = sub.byWebhookId();
      // One webhook-id per event, every attempt of a delivery under it, at least one of them answered 200.
      expect(byId.size).toBe(FEEDBACKS);
      for (const [webhookId, attempts] of byId) {
        expect(webhookId).toMatch(/\S/);
        expect(new Set(attempts.map((a) => JSON.parse(a.body).data.feedback.id)).size).toBe(1);
        expect(attempts.some((a) => a.status === 200)).toBe(true);
      }
    }
    // The retried deliveries were retried, not re-sent under new ids.
    expect([...failingFirst.byWebhookId().values()].every((attempts) => attempts.length >= 2 && attempts[0].status === 503)).toBe(true);
    expect(second.exited).toBe(false);
  });
});
