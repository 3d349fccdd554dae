import { ManualClock } from '../../src/shared/clock';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { Subscriber } from '../support/subscriber';
import { adminApi, settle } from './outbound-support';

// Redelivery by hand, in bulk, and the endpoint health that disables a failing subscription.

let rt: TestRuntime;
let clock: ManualClock;
let api: ReturnType<typeof adminApi>;
let sub: Subscriber;
let projects = 0;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  rt = await startRuntime({ OUTBOUND_DISABLE_AFTER: '4' }, { clock });
  api = adminApi(rt);
});
beforeEach(async () => {
  sub = await Subscriber.start();
});
afterEach(() => sub.close());
afterAll(() => rt.stop());

async function failingSubscription() {
  sub.reply({ status: 400, body: 'rejected' });
  const project = await api.createProject(`redelivery-${++projects}`);
  const hook = await api.createWebhook(sub.url, {}, project.id);
  return { projectId: project.id, webhookId: hook.id };
}

describe('redelivery', () => {
  it('when a failed delivery is redelivered, then it is sent again with the same webhook-id and a new attempt', async () => {
    const { projectId, webhookId } = await failingSubscription();
    await api.createIssue('Refused', {}, projectId);
    await settle(rt);
    const [failed] = await api.deliveries(webhookId, projectId);
    expect(failed.state).toBe('failed');

    sub.reply({ status: 200 });
    const res = await api.post(`/deliveries/${failed.id}/redeliver`).expect(202);
    expect(res.body).toEqual({ id: failed.id, state: 'pending' });
    await settle(rt);
    const [again] = await api.deliveries(webhookId, projectId);
    expect(again).toMatchObject({ id: failed.id, state: 'succeeded' });
    expect(again.attempts.map((a) => a.statusCode)).toEqual([400, 200]);
    expect(sub.requests.map((r) => r.headers['webhook-id'])).toEqual([failed.eventId, failed.eventId]);
  });

  it.each<[string, string, number]>([
    ['an unknown delivery', 'dlv_01JZZZZZZZZZZZZZZZZZZZZZZZ', 404],
    ['a malformed id', 'nope', 404],
  ])('when redelivering %s (%s), then %i', async (_label, id, status) => {
    const res = await api.post(`/deliveries/${id}/redeliver`).expect(status);
    expect(res.body.error.code).toBe('not_found');
  });

  it('when a delivery is still pending, then redelivering it is a 409', async () => {
    sub.reply({ status: 503 });
    const project = await api.createProject(`redelivery-${++projects}`);
    const hook = await api.createWebhook(sub.url, {}, project.id);
    await api.createIssue('Retrying', {}, project.id);
    await settle(rt);
    const [pending] = await api.deliveries(hook.id, project.id);
    const res = await api.post(`/deliveries/${pending.id}/redeliver`).expect(409);
    expect(res.body.error.message).toMatch(/still pending/);
  });

  it('when failed deliveries are redelivered in bulk since a time, then only those since then are sent again', async () => {
    const { projectId, webhookId } = await failingSubscription();
    await api.createIssue('Old', {}, projectId);
    await settle(rt);
    clock.advance(60_000);
    const since = new Date(clock.now()).toISOString();
    await api.createIssue('New 1', {}, projectId);
    await api.createIssue('New 2', {}, projectId);
    await settle(rt);

    sub.reply({ status: 200 });
    const path = `/projects/${projectId}/webhooks/${webhookId}/deliveries/redeliver`;
    const res = await api.post(path, { since }).expect(202);
    expect(res.body).toMatchObject({ redelivered: 2, more: false });
    await settle(rt);
    const states = (await api.deliveries(webhookId, projectId)).map((d) => d.state);
    expect(states).toEqual(['succeeded', 'succeeded', 'failed']);
    await api.post(path, { since: 'yesterday' }).expect(422);
  });
});

describe('endpoint health', () => {
  it('when deliveries keep failing for more than a day, then the subscription is disabled, logged, counted, and PUT re-enables it', async () => {
    const { projectId, webhookId } = await failingSubscription();
    for (const name of ['a', 'b', 'c']) await api.createIssue(name, {}, projectId);
    await settle(rt);
    clock.advance(24 * 3600 * 1000 + 60_000);
    await api.createIssue('d', {}, projectId);
    await settle(rt);
    const hook = await api.webhook(webhookId, projectId);
    expect(hook).toMatchObject({
      status: 'INACTIVE',
      health: { consecutiveFailures: 4, disabledReason: '4 deliveries in a row failed over 24 h', paused: true },
    });

    // Disabled automatically: a later event is kept, paused, not sent.
    await api.createIssue('e', {}, projectId);
    await settle(rt);
    expect(sub.requests).toHaveLength(4);
    expect((await api.deliveries(webhookId, projectId)).map((d) => d.state)).toEqual(['paused', 'failed', 'failed', 'failed', 'failed']);
    const metrics = await rt.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/iaphook_outbound_webhooks_disabled_total\{reason="failing"\} 1/);
    expect(metrics.text).toMatch(/iaphook_outbound_deliveries_total\{outcome="failed"\} \d+/);
    expect(metrics.text).toMatch(/iaphook_outbound_attempt_duration_seconds_count\{status_class="4xx"\} \d+/);
    expect(metrics.text).toMatch(/iaphook_jobs_dead\{kind="deliver-webhook"\} \d+/);

    const [, latestFailed] = await api.deliveries(webhookId, projectId);
    await api.post(`/deliveries/${latestFailed.id}/redeliver`).expect(409);

    const { id: _id, projectId: _p, signing: _s, health: _h, createdAt: _c, updatedAt: _u, ...body } = hook;
    sub.reply({ status: 200 });
    const enabled = await api.put(`/projects/${projectId}/webhooks/${webhookId}`, { ...body, status: 'ACTIVE' }).expect(200);
    expect(enabled.body).toMatchObject({
      status: 'ACTIVE',
      health: { consecutiveFailures: 0, failingSince: null, disabledReason: null, disabledAt: null, paused: false },
    });
    await settle(rt);
    expect(sub.requests).toHaveLength(5);
    await api.post(`/deliveries/${latestFailed.id}/redeliver`).expect(202);
    await settle(rt);
    expect(sub.requests).toHaveLength(6);
  });

  it('when a success comes between failures, then the count starts again', async () => {
    const { projectId, webhookId } = await failingSubscription();
    sub.replyOnce({ status: 400 }, { status: 400 }, { status: 400 }, { status: 200 }, { status: 400 }, { status: 400 });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await api.createIssue(name, {}, projectId);
      await settle(rt);
    }
    expect(await api.webhook(webhookId, projectId)).toMatchObject({ status: 'ACTIVE', health: { consecutiveFailures: 2 } });
  });
});
