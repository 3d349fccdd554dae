import { Webhook as StandardWebhook } from 'standardwebhooks';
import { nacho } from '../support/fixtures';
import { api, outboundE2e, startWithDefaults, until } from '../support/outbound-e2e';
import { Subscriber } from '../support/subscriber';
import { postWebhook } from '../support/webhooks';

// The built server as `npm start` runs it: on SQLite the applies happen on the database thread,
// which keeps its own answer to "does anyone want entitlement.updated?". A subscription saved on
// the HTTP thread must reach it before the next webhook is applied, long before its own re-check
// (WORKER_IDLE_POLL_MS, set far out here).

jest.setTimeout(120_000);

const SECRET = 'whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==';

describe('entitlement.updated from the built server', () => {
  const e2e = outboundE2e();

  test('when a subscription is saved after the applier found nobody listening, then the next purchase is delivered, signed', async () => {
    const sub = e2e.closeAfter(await Subscriber.start());
    const { server, defaults } = await startWithDefaults({ database: e2e.database(), env: { LOG_LEVEL: 'info', WORKER_IDLE_POLL_MS: '60000' } });
    // The database thread has started (readyz says so), so the first purchase is applied at once, not at the next poll.
    await until(async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : null), 30_000, 'the server ready');
    const first = await postWebhook(server.url, nacho.purchaseIosMulti(), { path: '/webhooks/nachocode' });
    expect(first.status).toBe(200);
    const firstId = (first.body as { eventId: string }).eventId;
    await until(async () => ((await api(server, 'GET', `/events/${firstId}`)).body.status === 'applied' ? true : null), 30_000, 'the first purchase applied');

    const hook = await api(server, 'POST', `/projects/${defaults.defaultProjectId}/webhooks`, {
      name: 'app backend',
      url: `${sub.url}/iaphook`,
      status: 'ACTIVE',
      events: [{ type: 'entitlement.updated', status: 'ACTIVE' }],
      signingSecret: SECRET,
    });
    expect(hook.status).toBe(201);
    const second = await postWebhook(server.url, nacho.purchaseIosMulti({ iapLogId: 5021, data: { transactionId: 'tx-5021' } }), {
      path: '/webhooks/nachocode',
    });
    expect(second.status).toBe(200);

    const [request] = await sub.waitFor(1, 30_000);
    const body = new StandardWebhook(SECRET).verify(request.body, request.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(body).toMatchObject({
      type: 'entitlement.updated',
      data: {
        cause: 'purchase',
        eventId: (second.body as { eventId: string }).eventId,
        before: { purchased: 5, balance: 5 },
        after: { purchased: 10, balance: 10 },
      },
    });
    expect(sub.requests).toHaveLength(1);
  });
});
