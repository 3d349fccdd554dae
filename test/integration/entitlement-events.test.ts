import { Webhook as StandardWebhook } from 'standardwebhooks';
import { inboundApplyPolicy } from '../../src/delivery';
import { APPLY_EVENT_JOB } from '../../src/ledger';
import { sql } from '../../src/storage/sql';
import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { Subscriber, type Recorded } from '../support/subscriber';
import { adminApi, ALL_EVENTS, settle } from './outbound-support';

// entitlement.updated: every applied purchase, refund and consumption that moves an entitlement
// reaches the subscriptions that ask for it, through the delivery core, signed as Standard
// Webhooks define it and verified here with the standardwebhooks package an app backend would use.

const SECRET = 'whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==';
const ENTITLEMENTS = [{ type: 'entitlement.updated', status: 'ACTIVE' }];
const GEMS = 'com.example.app.gems10';
const PREMIUM = 'com.example.app.premium_unlock';

interface Body {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { sequence: number };
}

let rt: TestRuntime;
let sub: Subscriber;
let api: ReturnType<typeof adminApi>;
beforeEach(async () => {
  rt = await startRuntime();
  api = adminApi(rt);
  sub = await Subscriber.start();
});
afterEach(async () => {
  await sub.close();
  await rt.stop();
});

/** Applies what was received, then sends every delivery that is due. */
async function drain(): Promise<void> {
  await rt.worker.whenIdle();
  await settle(rt);
}

/** Each request's body, verified with the subscription's secret as a receiver would (throws when a signature is wrong). */
function verified(requests: Recorded[], secret = SECRET): Body[] {
  const wh = new StandardWebhook(secret);
  return requests.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as Body).sort((a, b) => a.data.sequence - b.data.sequence);
}

const consume = (quantity: number, idempotencyKey: string, userId = 'user-7f3a') =>
  api.post(`/users/${userId}/consumptions`, { environment: 'sandbox', productId: GEMS, quantity, idempotencyKey });

const state = (purchased: number, refunded: number, consumed: number, balance: number, active: boolean) => ({ purchased, refunded, consumed, balance, active });

describe('entitlement.updated', () => {
  it('when a purchase, a partial refund and a consumption are applied, then each is delivered signed with its before and after', async () => {
    await api.createWebhook(`${sub.url}/app`, { events: ENTITLEMENTS, signingSecret: SECRET });

    const purchase = await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
    await drain();
    const refund = await rt.post('/webhooks/nachocode', nacho.refundIosPartial()).expect(200);
    await drain();
    await consume(1, 'order-1').expect(201);
    await sub.waitFor(3);

    const [bought, refunded, spent] = verified(sub.requests);
    const subject = { userId: 'user-7f3a', environment: 'sandbox', productId: GEMS, nachoProductId: 'NP-NXGLSTOEXK-0003', productType: 'consumable' };
    expect(bought).toEqual({
      type: 'entitlement.updated',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        ...subject,
        cause: 'purchase',
        eventId: purchase.body.eventId,
        idempotencyKey: null,
        sequence: 1,
        before: state(0, 0, 0, 0, false),
        after: state(5, 0, 0, 5, true),
      },
    });
    expect(refunded.data).toEqual({
      ...subject,
      cause: 'refund',
      eventId: refund.body.eventId,
      idempotencyKey: null,
      sequence: 2,
      before: state(5, 0, 0, 5, true),
      after: state(5, 2, 0, 3, true),
    });
    expect(spent.data).toEqual({
      ...subject,
      cause: 'consumption',
      eventId: null,
      idempotencyKey: 'order-1',
      sequence: 3,
      before: state(5, 2, 0, 3, true),
      after: state(5, 2, 1, 2, true),
    });
    // What the app-user API reports is the last `after`.
    const me = await rt.http
      .get('/v1/me/entitlements?environment=sandbox')
      .set('Authorization', `Bearer ${rt.userToken('user-7f3a')}`)
      .expect(200);
    expect(me.body.entitlements).toEqual([{ productId: GEMS, nachoProductId: 'NP-NXGLSTOEXK-0003', productType: 'consumable', ...state(5, 2, 1, 2, true) }]);
    // Through the delivery core: one delivery each in the attempt log, each with its own webhook-id.
    const deliveries = await api.deliveries((await api.get(`/projects/${api.projectId}/webhooks`).expect(200)).body.webhooks[0].id);
    expect(deliveries.map((d) => [d.event, d.state, d.attempts.length])).toEqual([
      ['entitlement.updated', 'succeeded', 1],
      ['entitlement.updated', 'succeeded', 1],
      ['entitlement.updated', 'succeeded', 1],
    ]);
    expect(new Set(sub.requests.map((r) => r.headers['webhook-id'])).size).toBe(3);
  });

  it('when a refund arrives before its purchase, then nothing is sent while it is held and both changes are sent when the purchase arrives', async () => {
    await api.createWebhook(`${sub.url}/app`, { events: ENTITLEMENTS, signingSecret: SECRET });

    const refund = await rt.post('/webhooks/nachocode', nacho.refundAndroid()).expect(200);
    await drain();
    expect(sub.requests).toEqual([]);

    const purchase = await rt.post('/webhooks/nachocode', nacho.purchaseAndroid()).expect(200);
    await drain();
    await sub.waitFor(2);

    const subject = { userId: 'user-19c2', environment: 'production', productId: PREMIUM, nachoProductId: 'NP-NXGLSTOEXK-0002', productType: 'non-consumable' };
    expect(verified(sub.requests).map((b) => b.data)).toEqual([
      {
        ...subject,
        cause: 'purchase',
        eventId: purchase.body.eventId,
        idempotencyKey: null,
        sequence: 1,
        before: state(0, 0, 0, 0, false),
        after: state(1, 0, 0, 1, true),
      },
      {
        ...subject,
        cause: 'refund',
        eventId: refund.body.eventId,
        idempotencyKey: null,
        sequence: 2,
        before: state(1, 0, 0, 1, true),
        after: state(1, 1, 0, 0, false),
      },
    ]);
  });

  it('when a webhook or a consumption is sent again, or a refund takes back nothing, then nothing more is emitted', async () => {
    await api.createWebhook(`${sub.url}/app`, { events: ENTITLEMENTS, signingSecret: SECRET });
    await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
    await drain();
    await consume(2, 'order-1').expect(201);
    await sub.waitFor(2);

    const again = await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
    expect(again.body.duplicate).toBe(true);
    await consume(2, 'order-1').expect(200);
    // The purchase applied again after a reset of its status: its grant is there, nothing is written.
    await rt.storage.write(async (tx) => {
      await tx.run(sql`UPDATE events SET status = 'received' WHERE id = ${again.body.eventId as string}`);
      await rt.queue.enqueue(tx, { kind: APPLY_EVENT_JOB, payload: { eventId: again.body.eventId }, policy: inboundApplyPolicy }, Date.now());
    });
    rt.worker.notify();
    await drain();
    // Every unit refunded (a change), then one more: an over_refund anomaly, no change.
    await rt.post('/webhooks/nachocode', nacho.refundIosPartial({ refundQuantity: 5 })).expect(200);
    // Applied before the next one arrives: two refunds applied at the same moment take the
    // purchase's lock in whichever order they reach it, and the test is about the second.
    await drain();
    await rt.post('/webhooks/nachocode', nacho.refundIosPartial({ refundQuantity: 1, refundedAt: '2026-03-06T00:00:00.000Z' })).expect(200);
    await drain();

    const bodies = verified(sub.requests);
    expect(bodies.map((b) => [b.data.cause, b.data.after])).toEqual([
      ['purchase', state(5, 0, 0, 5, true)],
      ['consumption', state(5, 0, 2, 3, true)],
      ['refund', state(5, 5, 2, -2, false)],
    ]);
    expect(await rt.rows(sql`SELECT id FROM outbound_events WHERE type = 'entitlement.updated'`)).toHaveLength(3);
  });

  it('when no subscription asks for it, then no event is written, and one created later gets the next change', async () => {
    // The remembered "nobody" would outlive this test: only the save of the subscription can make the next change emit.
    await rt.stop();
    rt = await startRuntime({ WORKER_IDLE_POLL_MS: '60000' });
    api = adminApi(rt);
    const abc = await Subscriber.start();
    try {
      await api.createWebhook(`${abc.url}/abc`, { events: ALL_EVENTS });
      await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
      await drain();
      expect(await rt.rows(sql`SELECT id FROM outbound_events`)).toEqual([]);

      await api.createWebhook(`${sub.url}/app`, { events: ENTITLEMENTS, signingSecret: SECRET });
      await consume(1, 'order-1').expect(201);
      await sub.waitFor(1);
      expect(verified(sub.requests)[0].data).toMatchObject({ cause: 'consumption', sequence: 2, before: state(5, 0, 0, 5, true) });
      expect(abc.requests).toEqual([]);
    } finally {
      await abc.close();
    }
  });

  it('when subscriptions in two projects ask for it, one with a filter, then each gets what its filter lets through, in ABC envelopes for the rest', async () => {
    const other = await api.createProject('Mobile app');
    const production = await Subscriber.start();
    try {
      await api.createWebhook(`${sub.url}/all`, { events: [...ENTITLEMENTS, { type: 'ISSUE_CREATION', status: 'ACTIVE' }] });
      await api.createWebhook(`${production.url}/prod`, { events: ENTITLEMENTS, filter: { 'data.environment': ['production'] } }, other.id);
      await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
      await rt.post('/webhooks/nachocode', nacho.purchaseAndroid()).expect(200);
      await drain();
      await api.createIssue('Refund not granted');
      await settle(rt);

      const bodies = sub.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      expect(bodies.filter((b) => b.type === 'entitlement.updated')).toHaveLength(2);
      // ABC's events keep ABC's envelope, exactly.
      expect(bodies.filter((b) => b.event === 'ISSUE_CREATION').map((b) => Object.keys(b))).toEqual([['event', 'data']]);
      expect(production.requests.map((r) => (JSON.parse(r.body) as Body).data.productId)).toEqual([PREMIUM]);
    } finally {
      await production.close();
    }
  });
});

describe('subscribing to entitlement.updated', () => {
  it('when a subscription lists it, then it is accepted and shown; channelIds on it are refused', async () => {
    const created = await api.createWebhook(`${sub.url}/app`, { events: ENTITLEMENTS });
    expect((await api.webhook(created.id)).events).toEqual([{ type: 'entitlement.updated', status: 'ACTIVE', channelIds: [] }]);

    const refused = await api.post(`/projects/${api.projectId}/webhooks`, {
      name: 'with channels',
      url: `${sub.url}/x`,
      status: 'ACTIVE',
      events: [{ type: 'entitlement.updated', status: 'ACTIVE', channelIds: [api.channelId] }],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.fields).toEqual([
      { field: 'events.0.channelIds', message: expect.stringContaining('only allowed on FEEDBACK_CREATION') },
    ]);
  });

  it('when its entry is INACTIVE, then nothing is emitted for it', async () => {
    await api.createWebhook(`${sub.url}/app`, { events: [{ type: 'entitlement.updated', status: 'INACTIVE' }] });
    await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
    await drain();
    expect(await rt.rows(sql`SELECT id FROM outbound_events`)).toEqual([]);
  });
});
