import { ManualClock } from '../../src/shared/clock';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';
import { refusedUrl, subscribersClosedAfterEach, type Reply } from '../support/subscriber';
import feedbackCreation from '../fixtures/abc/feedback-creation.json';
import { adminApi, settle, type DeliveryView } from './outbound-support';

// Every status class through a real subscriber, with the retry schedule driven by a ManualClock:
// the ABC policy is the first try plus 3 retries, 3 s apart.

let rt: TestRuntime;
let clock: ManualClock;
let api: ReturnType<typeof adminApi>;
const subscriber = subscribersClosedAfterEach();

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  rt = await startRuntime({ OUTBOUND_TIMEOUT_MS: '300' }, { clock });
  api = adminApi(rt);
});
afterAll(() => rt.stop());

let projects = 0;
/** A project of its own with one subscription, so cases do not see each other's events. */
async function subscribed(url: string, overrides: Record<string, unknown> = {}) {
  const project = await api.createProject(`delivery-${++projects}`);
  const hook = await api.createWebhook(url, { token: 'token-0123456789abcdef', ...overrides }, project.id);
  return { projectId: project.id, webhookId: hook.id };
}

/** Runs the first attempt and then every retry the schedule has, 3 s apart. */
async function runSchedule(): Promise<void> {
  await settle(rt);
  for (let i = 0; i < 3; i++) {
    clock.advance(3000);
    await settle(rt);
  }
}

async function onlyDelivery(projectId: number, webhookId: number): Promise<DeliveryView> {
  const list = await api.deliveries(webhookId, projectId);
  expect(list).toHaveLength(1);
  return list[0];
}

describe('the outbox', () => {
  it('when events are emitted to several subscriptions in one transaction, then each delivery is carried by the job made for it', async () => {
    const sub = await subscriber({ status: 200 });
    const { projectId } = await subscribed(sub.url);
    await api.createWebhook(sub.url, {}, projectId);
    await api.createWebhook(sub.url, {}, projectId);
    const emitted = await rt.storage.write(async (tx) => {
      const out = [];
      for (let i = 0; i < 3; i++) out.push(await rt.outbound.emit(tx, { projectId, envelope: feedbackCreation as never }, clock.now()));
      return out;
    });
    const deliveryIds = emitted.flatMap((e) => e.deliveryIds);
    expect(deliveryIds).toHaveLength(9);
    const rows = await rt.rows<{ id: string; payload: string; kind: string }>(
      sql`SELECT d.id, j.payload, j.kind FROM deliveries d JOIN jobs j ON j.id = d.job_id WHERE d.id IN (${sql.join(deliveryIds.map((id) => sql`${id}`))})`,
    );
    expect(rows).toHaveLength(9);
    for (const row of rows)
      expect({ kind: row.kind, payload: JSON.parse(row.payload) as unknown }).toEqual({ kind: 'deliver-webhook', payload: { deliveryId: row.id } });
    await settle(rt);
    sub.release();
    expect(sub.requests).toHaveLength(9);
  });
});

describe('status classes', () => {
  it.each<[string, Reply | 'refused', number, string, string | null, number | null]>([
    ['200', { status: 200 }, 1, 'succeeded', null, 200],
    ['204', { status: 204 }, 1, 'succeeded', null, 204],
    ['302 (not followed)', { status: 302, headers: { location: '/elsewhere' } }, 1, 'failed', 'redirect', 302],
    ['400', { status: 400, body: 'bad' }, 1, 'failed', 'client_error', 400],
    ['408', { status: 408 }, 4, 'dead', 'request_timeout', 408],
    ['410', { status: 410 }, 1, 'failed', 'gone', 410],
    ['500', { status: 500, body: 'down' }, 4, 'dead', 'server_error', 500],
    ['a timeout', { hang: true }, 4, 'dead', 'timeout', null],
    ['connection refused', 'refused', 0, 'dead', 'connection_refused', null],
  ])('when the subscriber answers %s, then the delivery is attempted as ABC documents', async (_label, reply, requests, state, errorClass, statusCode) => {
    const sub = await subscriber(reply === 'refused' ? {} : reply);
    const { projectId, webhookId } = await subscribed(reply === 'refused' ? await refusedUrl() : sub.url);
    await api.createIssue('Checkout fails', {}, projectId);
    await runSchedule();
    sub.release();

    expect(sub.requests).toHaveLength(requests);
    expect(sub.requests.every((r) => r.path === '/')).toBe(true);
    const delivery = await onlyDelivery(projectId, webhookId);
    const attempts = requests === 1 ? 1 : 4;
    expect(delivery).toMatchObject({ event: 'ISSUE_CREATION', state, nextAttemptAt: null });
    expect(delivery.attempts).toHaveLength(attempts);
    expect(delivery.attempts[attempts - 1]).toMatchObject({ statusCode, errorClass, latencyMs: expect.any(Number) });
    const times = delivery.attempts.map((a) => Date.parse(a.at));
    expect(times.slice(1).map((t, i) => t - times[i])).toEqual(Array(attempts - 1).fill(3000));
  });

  it('when the subscriber answers 410, then the subscription is set INACTIVE at once', async () => {
    const sub = await subscriber({ status: 410 });
    const { projectId, webhookId } = await subscribed(sub.url);
    await api.createIssue('Gone', {}, projectId);
    await settle(rt);
    expect(await api.webhook(webhookId, projectId)).toMatchObject({
      status: 'INACTIVE',
      health: { disabledReason: 'the endpoint answered 410 Gone', consecutiveFailures: 1 },
    });
  });

  it('when the subscriber answers 429 with Retry-After, then the retry waits that long instead of 3 s', async () => {
    const sub = (await subscriber({ status: 200 })).replyOnce({ status: 429, headers: { 'retry-after': '10' } });
    const { projectId, webhookId } = await subscribed(sub.url);
    await api.createIssue('Rate limited', {}, projectId);
    await settle(rt);
    const waiting = await onlyDelivery(projectId, webhookId);
    expect(waiting).toMatchObject({ state: 'pending', attempts: [{ statusCode: 429, errorClass: 'rate_limited' }] });
    expect(Date.parse(waiting.nextAttemptAt as string) - Date.parse(waiting.attempts[0].at)).toBe(10_000);
    clock.advance(3000);
    await settle(rt);
    expect(sub.requests).toHaveLength(1);
    clock.advance(7000);
    await settle(rt);
    expect(sub.requests).toHaveLength(2);
    expect((await onlyDelivery(projectId, webhookId)).state).toBe('succeeded');
  });

  it('when a retry is pending, then nothing is sent before its time', async () => {
    const sub = (await subscriber({ status: 200 })).replyOnce({ status: 503 });
    const { projectId } = await subscribed(sub.url);
    await api.createIssue('Early', {}, projectId);
    await settle(rt);
    clock.advance(2999);
    await settle(rt);
    expect(sub.requests).toHaveLength(1);
    clock.advance(1);
    await settle(rt);
    expect(sub.requests).toHaveLength(2);
  });
});

describe('the exponential policy', () => {
  it('when a subscription uses it, then the first retry comes 2.5–5 s later and 16 retries are allowed', async () => {
    const sub = await subscriber({ status: 502 });
    const { projectId, webhookId } = await subscribed(sub.url, { retryPolicy: 'exponential' });
    await api.createIssue('Backing off', {}, projectId);
    await settle(rt);
    const delivery = await onlyDelivery(projectId, webhookId);
    const delay = Date.parse(delivery.nextAttemptAt as string) - Date.parse(delivery.attempts[0].at);
    expect(delay).toBeGreaterThanOrEqual(2500);
    expect(delay).toBeLessThanOrEqual(5000);
    const jobs = await rt.rows(
      sql`SELECT jobs.max_attempts AS n FROM jobs JOIN deliveries ON deliveries.job_id = jobs.id WHERE deliveries.id = ${delivery.id}`,
    );
    expect(jobs).toEqual([{ n: 17 }]);
  });
});

describe('what the subscriber receives', () => {
  it('when a delivery is retried, then every attempt carries the same headers and webhook-id', async () => {
    const sub = await subscriber({ status: 500, body: 'x'.repeat(10_000) });
    const { projectId, webhookId } = await subscribed(sub.url);
    const issue = await api.createIssue('Headers', {}, projectId);
    await runSchedule();
    expect(sub.requests).toHaveLength(4);
    for (const request of sub.requests) {
      expect(request.method).toBe('POST');
      expect(request.headers).toMatchObject({
        'content-type': 'application/json',
        'x-webhook-token': 'token-0123456789abcdef',
        'user-agent': expect.stringMatching(/^iaphook\/\d+\.\d+\.\d+/),
        'webhook-id': issue.eventId,
      });
      expect(request.headers['webhook-signature']).toBeUndefined();
      expect(JSON.parse(request.body)).toMatchObject({ event: 'ISSUE_CREATION', data: { issue: { id: issue.id, name: 'Headers' } } });
    }
    const delivery = await onlyDelivery(projectId, webhookId);
    expect(delivery.eventId).toBe(issue.eventId);
    expect(delivery.attempts[0].responseSnippet).toHaveLength(2048);
  });
});
