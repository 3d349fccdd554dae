import { Webhook as StandardWebhook } from 'standardwebhooks';
import { EXAMPLE_EVENTS } from '../../src/outbound/examples';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { Subscriber } from '../support/subscriber';
import { adminApi, bodyOf, settle } from './outbound-support';

// POST /api/projects/:projectId/webhooks/:webhookId/test: an example event of the subscription's
// type, delivered through the normal path (queue, template, signing, attempt log), marked as a test.

let rt: TestRuntime;
let sub: Subscriber;
beforeAll(async () => {
  rt = await startRuntime();
  sub = await Subscriber.start();
});
afterAll(async () => {
  await sub.close();
  await rt.stop();
});
beforeEach(() => sub.requests.splice(0));

const SECRET = 'whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==';

describe('test events', () => {
  it('when a test is asked for, then the subscriber gets the example of its type, signed and marked, and the attempt log shows it', async () => {
    const api = adminApi(rt);
    const hook = await api.createWebhook(`${sub.url}/t1`, {
      name: 'test-1',
      signingSecret: SECRET,
      events: [{ type: 'ISSUE_STATUS_CHANGE', status: 'ACTIVE' }],
      // A filter that no example matches: a test is sent anyway.
      filter: { 'data.issue.status': ['RESOLVED'] },
    });
    const res = await api.post(`/projects/${api.projectId}/webhooks/${hook.id}/test`, {}).expect(202);
    expect(res.body).toMatchObject({ event: 'ISSUE_STATUS_CHANGE', webhookId: hook.id, projectId: api.projectId, test: true });
    await settle(rt);

    expect(sub.requests).toHaveLength(1);
    const [received] = sub.requests;
    expect(bodyOf(received)).toEqual(EXAMPLE_EVENTS.ISSUE_STATUS_CHANGE);
    expect(received.headers['x-iaphook-test']).toBe('true');
    expect(received.headers['webhook-id']).toBe(res.body.eventId);
    expect(new StandardWebhook(SECRET).verify(received.body, received.headers as Record<string, string>)).toEqual(EXAMPLE_EVENTS.ISSUE_STATUS_CHANGE);
    const [delivery] = await api.deliveries(hook.id);
    expect(delivery).toMatchObject({ id: res.body.deliveryId, event: 'ISSUE_STATUS_CHANGE', state: 'succeeded', test: true });
    expect(delivery.attempts).toHaveLength(1);
  });

  it('when a type is named, then its example goes; real events of the subscription are not marked', async () => {
    const api = adminApi(rt);
    const hook = await api.createWebhook(`${sub.url}/t2`, { name: 'test-2', events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }] });
    await api.post(`/projects/${api.projectId}/webhooks/${hook.id}/test`, { event: 'FEEDBACK_CREATION' }).expect(202);
    await api.createIssue('A real one');
    await settle(rt);
    const byEvent = Object.fromEntries(sub.requests.filter((r) => r.path === '/t2').map((r) => [bodyOf(r).event, r]));
    expect(bodyOf(byEvent.FEEDBACK_CREATION)).toEqual(EXAMPLE_EVENTS.FEEDBACK_CREATION);
    expect(byEvent.FEEDBACK_CREATION.headers['x-iaphook-test']).toBe('true');
    expect(byEvent.ISSUE_CREATION.headers['x-iaphook-test']).toBeUndefined();
    const deliveries = await api.deliveries(hook.id);
    expect(deliveries.map((d) => [d.event, (d as unknown as { test: boolean }).test]).sort()).toEqual([
      ['FEEDBACK_CREATION', true],
      ['ISSUE_CREATION', false],
    ]);
  });

  it.each<[string, (api: ReturnType<typeof adminApi>, id: number) => Promise<unknown>, number, string]>([
    ['an unknown subscription', async () => undefined, 404, 'not_found'],
    [
      'an INACTIVE subscription',
      (api, id) =>
        api.put(`/projects/${api.projectId}/webhooks/${id}`, { name: `inactive-${id}`, url: `${sub.url}/x`, status: 'INACTIVE', events: [] }).expect(200),
      409,
      'conflict',
    ],
  ])('when the test is for %s, then it is refused', async (_name, arrange, status, code) => {
    const api = adminApi(rt);
    const hook = await api.createWebhook(`${sub.url}/t3`, { name: `refused-${status}` });
    await arrange(api, hook.id);
    const id = status === 404 ? hook.id + 1000 : hook.id;
    const res = await api.post(`/projects/${api.projectId}/webhooks/${id}/test`, {}).expect(status);
    expect(res.body.error.code).toBe(code);
  });

  it('when the body names an unknown type or field, then it is a 422 naming it', async () => {
    const api = adminApi(rt);
    const hook = await api.createWebhook(`${sub.url}/t4`, { name: 'test-4' });
    const res = await api.post(`/projects/${api.projectId}/webhooks/${hook.id}/test`, { event: 'GIFT', extra: 1 }).expect(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['(body)', 'event']);
  });
});
