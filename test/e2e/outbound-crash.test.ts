import { listDeliveries, outboundE2e, postFeedback, startWithDefaults, subscribeToFeedback, until } from '../support/outbound-e2e';
import { startServer } from '../support/server';
import { Subscriber } from '../support/subscriber';

// The built server as a process, killed with SIGKILL while a delivery waits for its retry: after a
// restart on the same data the retry is sent, with the same webhook-id. And the start-up log names
// the default project and channel, so the quick start needs no set-up.

jest.setTimeout(60_000);

describe('outbound webhooks across a crash', () => {
  const e2e = outboundE2e();
  let sub: Subscriber;

  beforeEach(async () => {
    sub = e2e.closeAfter(await Subscriber.start());
  });

  test('when the server is killed while a retry is pending, then the restarted server sends it', async () => {
    const env = { LOG_LEVEL: 'info' };
    const { server: first, defaults } = await startWithDefaults({ database: e2e.database(), env });
    expect(defaults).toMatchObject({ defaultProjectId: expect.any(Number), defaultChannelId: expect.any(Number) });

    sub.reply({ status: 200 }).replyOnce({ status: 503 });
    const project = defaults.defaultProjectId;
    const hook = await subscribeToFeedback(first, project, 'crash', sub.url);
    expect(hook.status).toBe(201);
    const feedback = await postFeedback(first, defaults, 'It crashed');
    expect(feedback.status).toBe(201);
    // Wait until the failed attempt is on disk, then crash before the retry (due 3 s later).
    await until(async () => {
      const list = await listDeliveries(first, project, hook.body.id);
      return list.body.deliveries[0]?.attempts.length === 1 ? true : null;
    });
    first.kill('SIGKILL');
    await first.waitForExit();
    expect(sub.requests).toHaveLength(1);

    const second = await startServer({ database: e2e.database(), env });
    await sub.waitFor(2, 15_000);
    expect(sub.requests[1].headers['webhook-id']).toBe(sub.requests[0].headers['webhook-id']);
    const done = await until(async () => {
      const list = await listDeliveries(second, project, hook.body.id);
      return list.body.deliveries[0]?.state === 'succeeded' ? list.body.deliveries[0] : null;
    });
    expect(done.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 200]);
  });
});
