import { ManualClock } from '../../src/shared/clock';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';
import { subscribersClosedAfterEach } from '../support/subscriber';
import { adminApi, settle } from './outbound-support';

// Auto-disable waits for a long run of failures, and a subscription disabled automatically loses
// nothing: its deliveries wait, paused, and are sent when it is ACTIVE again. Driven by a
// ManualClock: OUTBOUND_DISABLE_AFTER=3 and the default OUTBOUND_DISABLE_AFTER_MS of 24 hours.

const HOUR = 3_600_000;

let rt: TestRuntime;
let clock: ManualClock;
let api: ReturnType<typeof adminApi>;
const subscriber = subscribersClosedAfterEach();
let projects = 0;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  rt = await startRuntime({ OUTBOUND_DISABLE_AFTER: '3' }, { clock });
  api = adminApi(rt);
});
afterAll(() => rt.stop());

async function subscribed(url: string) {
  const project = await api.createProject(`pause-${++projects}`);
  const hook = await api.createWebhook(url, {}, project.id);
  return { projectId: project.id, webhookId: hook.id };
}

async function issue(name: string, projectId: number): Promise<void> {
  await api.createIssue(name, {}, projectId);
  await settle(rt);
}

const states = async (webhookId: number, projectId: number) => (await api.deliveries(webhookId, projectId)).map((d) => d.state);

/** Sends the webhook back as its own PUT body (everything the view shows that a PUT takes), with changes; the answer's body. */
async function put(projectId: number, webhookId: number, changes: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { id: _i, projectId: _p, signing: _s, health: _h, createdAt: _c, updatedAt: _u, token: _t, ...body } = await api.webhook(webhookId, projectId);
  return (await api.put(`/projects/${projectId}/webhooks/${webhookId}`, { ...body, ...changes }).expect(200)).body as Record<string, unknown>;
}

/**
 * Two refusals, a day passes, a delivery left waiting for its retry, a third refusal: disabled.
 * Then one more event while it is disabled. Newest first: while-paused, c, queued, b, a.
 */
async function pausedSubscription() {
  const sub = await subscriber({ status: 400, body: 'refused' });
  const { projectId, webhookId } = await subscribed(sub.url);
  await issue('a', projectId);
  await issue('b', projectId);
  clock.advance(25 * HOUR);
  sub.replyOnce({ status: 503 });
  await issue('queued', projectId);
  await issue('c', projectId);
  await issue('while paused', projectId);
  return { sub, projectId, webhookId };
}

describe('when auto-disable happens', () => {
  it('when a burst of deliveries fails within seconds, then the subscription stays ACTIVE and the next event goes through', async () => {
    const sub = await subscriber({ status: 503, body: 'restarting' });
    const { projectId, webhookId } = await subscribed(sub.url);
    for (const name of ['1', '2', '3', '4', '5']) await api.createIssue(name, {}, projectId);
    // The ABC schedule: the first try and 3 retries, 3 s apart; every delivery dies within 10 s.
    await settle(rt);
    for (let i = 0; i < 3; i++) {
      clock.advance(3000);
      await settle(rt);
    }
    expect(await states(webhookId, projectId)).toEqual(['dead', 'dead', 'dead', 'dead', 'dead']);
    expect(await api.webhook(webhookId, projectId)).toMatchObject({
      status: 'ACTIVE',
      health: { consecutiveFailures: 5, failingSince: expect.any(String), disabledReason: null, paused: false },
    });

    sub.reply({ status: 200 });
    await issue('6', projectId);
    expect(await states(webhookId, projectId)).toEqual(['succeeded', 'dead', 'dead', 'dead', 'dead', 'dead']);
    expect(await api.webhook(webhookId, projectId)).toMatchObject({ status: 'ACTIVE', health: { consecutiveFailures: 0, failingSince: null } });
  });

  it('when failures in a row span more than the window, then the subscription is disabled and what was queued is kept, paused', async () => {
    const { sub, projectId, webhookId } = await pausedSubscription();
    expect(await api.webhook(webhookId, projectId)).toMatchObject({
      status: 'INACTIVE',
      health: { consecutiveFailures: 3, disabledReason: '3 deliveries in a row failed over 25 h', paused: true },
    });
    expect(await states(webhookId, projectId)).toEqual(['paused', 'failed', 'paused', 'failed', 'failed']);
    const [whilePaused, , queued] = await api.deliveries(webhookId, projectId);
    expect(whilePaused).toMatchObject({ nextAttemptAt: null, attempts: [] });
    expect(queued).toMatchObject({ nextAttemptAt: null, attempts: [{ statusCode: 503 }] });

    // The retry that was due, and anything later: nothing is claimed while paused.
    clock.advance(60_000);
    await settle(rt);
    expect(sub.requests).toHaveLength(4);
    const listed = await api.get(`/projects/${projectId}/webhooks/${webhookId}/deliveries?state=paused`).expect(200);
    expect(listed.body.deliveries.map((d: { id: string }) => d.id)).toEqual([whilePaused.id, queued.id]);
    const [{ count }] = await rt.rows<{ count: number }>(sql`SELECT count(*) AS count FROM jobs WHERE state = 'paused'`);
    const metrics = await rt.http.get('/metrics').expect(200);
    expect(metrics.text).toContain(`iaphook_jobs_paused{kind="deliver-webhook"} ${Number(count)}`);
    expect(metrics.text).not.toContain('iaphook_jobs_queue_depth{kind="deliver-webhook",state="paused"}');
    expect(metrics.text).toMatch(/iaphook_outbound_webhooks_disabled_total\{reason="failing"\} [1-9]/);
    const refused = await api.post(`/deliveries/${queued.id}/redeliver`).expect(409);
    expect(refused.body.error.message).toMatch(/is paused/);
  });

  it('when the subscriber answers 410, then it is disabled at once and its queued delivery is kept, paused', async () => {
    const sub = await subscriber({ status: 410 });
    const { projectId, webhookId } = await subscribed(sub.url);
    sub.replyOnce({ status: 503 });
    await issue('queued', projectId);
    await issue('gone', projectId);
    expect(await api.webhook(webhookId, projectId)).toMatchObject({
      status: 'INACTIVE',
      health: { disabledReason: 'the endpoint answered 410 Gone', paused: true },
    });
    expect(await states(webhookId, projectId)).toEqual(['failed', 'paused']);
  });
});

describe('when a paused subscription is set ACTIVE again', () => {
  it('when its URL is fixed and it is set ACTIVE, then every paused delivery is sent once, with its own webhook-id', async () => {
    const { sub, projectId, webhookId } = await pausedSubscription();
    const paused = (await api.deliveries(webhookId, projectId)).filter((d) => d.state === 'paused');
    const fixed = await subscriber({ status: 200 });
    // Editing it while it stays INACTIVE keeps it paused.
    const edited = await put(projectId, webhookId, { url: fixed.url, status: 'INACTIVE' });
    expect(edited).toMatchObject({ status: 'INACTIVE', health: { paused: true } });
    await settle(rt);
    expect(fixed.requests).toHaveLength(0);

    const enabled = await put(projectId, webhookId, { status: 'ACTIVE' });
    expect(enabled).toMatchObject({ status: 'ACTIVE', health: { consecutiveFailures: 0, failingSince: null, disabledReason: null, paused: false } });
    await settle(rt);
    clock.advance(60_000);
    await settle(rt);
    expect(fixed.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(paused.map((d) => d.eventId).sort());
    expect(sub.requests).toHaveLength(4);
    expect(await states(webhookId, projectId)).toEqual(['succeeded', 'failed', 'succeeded', 'failed', 'failed']);
    const queued = (await api.deliveries(webhookId, projectId))[2];
    expect(queued.attempts.map((a) => a.statusCode)).toEqual([503, 200]);
  });

  it('when a delivery is claimed after its subscription was disabled, then it is parked unsent, and sent once on resume', async () => {
    const sub = await subscriber({ status: 200 });
    const { projectId, webhookId } = await subscribed(sub.url);
    sub.replyOnce({ status: 503 });
    await issue('in flight', projectId);
    // What a disable committing between the claim and the handler's read looks like: the job is
    // claimable, the subscription is already disabled automatically.
    await rt.storage.write((tx) =>
      tx.run(sql`UPDATE webhooks SET status = 'INACTIVE', disabled_reason = 'test', disabled_at = ${clock.now()} WHERE id = ${webhookId}`),
    );
    clock.advance(3000);
    await settle(rt);
    const [parked] = await api.deliveries(webhookId, projectId);
    expect(parked).toMatchObject({ state: 'paused', nextAttemptAt: null });
    expect(parked.attempts.map((a) => a.errorClass)).toEqual(['server_error', 'paused']);
    expect(sub.requests).toHaveLength(1);
    expect((await rt.http.get('/metrics')).text).toMatch(/iaphook_outbound_deliveries_total\{outcome="paused"\} [1-9]/);

    await put(projectId, webhookId, { status: 'ACTIVE' });
    await settle(rt);
    expect(sub.requests.map((r) => r.headers['webhook-id'])).toEqual([parked.eventId, parked.eventId]);
    expect(await states(webhookId, projectId)).toEqual(['succeeded']);
  });
});

describe('when an admin discards or stops', () => {
  it('when the paused deliveries are discarded, then they are listed as discarded and not sent on resume, but can be redelivered by hand', async () => {
    const { sub, projectId, webhookId } = await pausedSubscription();
    const path = `/projects/${projectId}/webhooks/${webhookId}/deliveries/discard-paused`;
    expect((await api.post(path).expect(200)).body).toEqual({ discarded: 2, status: 'INACTIVE', paused: true });
    expect(await states(webhookId, projectId)).toEqual(['discarded', 'failed', 'discarded', 'failed', 'failed']);
    expect((await api.post(path).expect(200)).body).toMatchObject({ discarded: 0 });

    sub.reply({ status: 200 });
    await put(projectId, webhookId, { status: 'ACTIVE' });
    await settle(rt);
    expect(sub.requests).toHaveLength(4);
    const [discarded] = await api.deliveries(webhookId, projectId);
    await api.post(`/deliveries/${discarded.id}/redeliver`).expect(202);
    await settle(rt);
    expect(sub.requests.map((r) => r.headers['webhook-id'])[4]).toBe(discarded.eventId);
  });

  it('when discarding with stopPausing, then later events are no longer kept for it', async () => {
    const { projectId, webhookId } = await pausedSubscription();
    const path = `/projects/${projectId}/webhooks/${webhookId}/deliveries/discard-paused`;
    await api.post(path, { stopPausing: 'yes' }).expect(422);
    expect((await api.post(path, { stopPausing: true }).expect(200)).body).toEqual({ discarded: 2, status: 'INACTIVE', paused: false });
    expect(await api.webhook(webhookId, projectId)).toMatchObject({ status: 'INACTIVE', health: { disabledReason: null, disabledAt: null, paused: false } });
    await issue('after', projectId);
    expect(await api.deliveries(webhookId, projectId)).toHaveLength(5);
  });

  it('when an admin sets a subscription INACTIVE by hand, then new events get no delivery and a queued one fails as webhook_inactive', async () => {
    const sub = await subscriber({ status: 200 });
    const { projectId, webhookId } = await subscribed(sub.url);
    sub.replyOnce({ status: 503 });
    await issue('queued', projectId);
    expect(await put(projectId, webhookId, { status: 'INACTIVE' })).toMatchObject({ health: { paused: false } });
    await issue('while inactive', projectId);
    clock.advance(3000);
    await settle(rt);
    const deliveries = await api.deliveries(webhookId, projectId);
    expect(deliveries.map((d) => d.state)).toEqual(['failed']);
    expect(deliveries[0].attempts.map((a) => a.errorClass)).toEqual(['server_error', 'webhook_inactive']);
    expect(sub.requests).toHaveLength(1);

    await put(projectId, webhookId, { status: 'ACTIVE' });
    await settle(rt);
    expect(sub.requests).toHaveLength(1);
  });
});
