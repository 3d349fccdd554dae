import fs from 'node:fs';
import { openApiDocument } from '../../src/openapi';
import { nacho } from '../support/fixtures';
import { AnswerRecorder, undocumentedAnswers } from '../support/openapi';
import { listen, startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// Real answers of a running server, recorded along a newcomer's path through every capability,
// each checked against the response schema /openapi.json gives for its route and status.

let rt: TestRuntime;
let server: { url: string; close(): Promise<void> };
let api: AnswerRecorder;

beforeAll(async () => {
  rt = await startRuntime();
  server = await listen(rt.app);
  api = new AnswerRecorder(server.url);
});
afterAll(async () => {
  await server.close();
  await rt.stop();
});

const json = <T = Record<string, unknown>>(answer: { body: unknown }) => answer.body as T;

async function webhooks(admin: string) {
  const key = { token: WEBHOOK_KEY };
  const purchase = json(await api.call('POST', '/webhooks/nachocode/purchase', { ...key, body: nacho.purchaseIosMulti() }));
  await api.call('POST', '/webhooks/nachocode/purchase', { ...key, body: nacho.purchaseIosMulti() });
  await api.call('POST', '/webhooks/nachocode/refund', { ...key, body: nacho.refundIosPartial() });
  await api.call('POST', '/webhooks/nachocode/unavailable-users', { ...key, body: nacho.unavailableUsers() });
  await api.call('POST', '/webhooks/nachocode', { ...key, body: nacho.purchaseAndroid() });
  await api.call('POST', '/webhooks/nachocode', { ...key, body: nacho.purchaseIosMulti({ environment: 'production' }) });
  await api.call('POST', '/webhooks/nachocode/purchase', { token: 'wrong-key-0000000000000000', body: nacho.purchaseIos() });
  await api.call('POST', '/webhooks/nachocode/purchase', { ...key, body: { userId: 'u' } });
  await api.call('POST', '/webhooks/nachocode/refund', { ...key, body: nacho.purchaseIos() });
  await api.call('POST', '/webhooks/nachocode/purchase', { ...key, body: '{"not json' });
  await api.call('POST', '/webhooks/nachocode/purchase', { ...key, body: nacho.purchaseIosMulti({ price: 1 }) });
  await rt.worker.whenIdle();
  const eventId = purchase.eventId as string;
  await api.call('GET', '/api/events', { token: admin });
  await api.call('GET', '/api/events', { token: admin, query: { type: 'refund', limit: '1' } });
  await api.call('GET', '/api/events', { token: admin, query: { limit: 'many' } });
  await api.call('GET', '/api/events/:eventId', { token: admin, params: { eventId } });
  await api.call('GET', '/api/events/:eventId', { token: admin, params: { eventId: 'evt_none' } });
  await api.call('GET', '/api/events', {});
  return eventId;
}

async function ledger(admin: string) {
  await api.call('GET', '/api/users/:userId/entitlements', { token: admin, params: { userId: 'user-7f3a' }, query: { environment: 'sandbox' } });
  await api.call('GET', '/v1/me/entitlements', { token: rt.userToken('user-7f3a'), query: { environment: 'sandbox' } });
  const spend = { environment: 'sandbox', productId: 'com.example.app.gems10', quantity: 1, idempotencyKey: 'order-1' };
  await api.call('POST', '/api/users/:userId/consumptions', { token: admin, params: { userId: 'user-7f3a' }, body: spend });
  await api.call('POST', '/api/users/:userId/consumptions', { token: admin, params: { userId: 'user-7f3a' }, body: spend });
  await api.call('POST', '/api/users/:userId/consumptions', {
    token: admin,
    params: { userId: 'user-7f3a' },
    body: { ...spend, quantity: 99, idempotencyKey: 'order-2' },
  });
  await api.call('POST', '/api/users/:userId/consumptions', { token: admin, params: { userId: 'user-7f3a' }, body: { quantity: 'x' } });
}

async function bins(admin: string) {
  const bin = json(await api.call('POST', '/api/bins', { token: admin, body: { name: 'subscriber', status: 202 } }));
  await api.call('GET', '/api/bins', { token: admin });
  await api.call('GET', '/api/bins/:binId', { token: admin, params: { binId: bin.id as string } });
  await api.call('POST', '/bins/:binId', { params: { binId: bin.id as string }, body: { hello: 'bin' } });
  await api.call('POST', '/api/bins', { token: admin, body: { status: 99 } });
  const spare = json(await api.call('POST', '/api/bins', { token: admin, body: {} }));
  await api.call('DELETE', '/api/bins/:binId', { token: admin, params: { binId: spare.id as string } });
  return bin;
}

async function feedbackAndSubscriptions(admin: string, binUrl: string) {
  const { projectId, channelId } = rt.feedbackDefaults;
  const p = { projectId };
  const project = json(await api.call('POST', '/api/projects', { token: admin, body: { name: 'Second' } }));
  await api.call('PATCH', '/api/projects/:projectId', { token: admin, params: { projectId: project.id as number }, body: { recordRefunds: false } });
  await api.call('GET', '/api/projects', { token: admin });
  const events = ['FEEDBACK_CREATION', 'ISSUE_CREATION', 'ISSUE_STATUS_CHANGE', 'ISSUE_ADDITION'].map((type) => ({ type, status: 'ACTIVE' }));
  const hook = json(
    await api.call('POST', '/api/projects/:projectId/webhooks', {
      token: admin,
      params: p,
      body: { name: 'bin', url: binUrl, status: 'ACTIVE', events, token: 'a-token-of-16-chars' },
    }),
  );
  const w = { projectId, webhookId: hook.id as number };
  await api.call('GET', '/api/projects/:projectId/webhooks', { token: admin, params: p });
  await api.call('GET', '/api/projects/:projectId/webhooks/:webhookId', { token: admin, params: w });
  await api.call('PUT', '/api/projects/:projectId/webhooks/:webhookId', {
    token: admin,
    params: w,
    body: { name: 'bin', url: binUrl, status: 'ACTIVE', events, template: null, filter: null },
  });
  await api.call('POST', '/api/projects/:projectId/webhooks', { token: admin, params: p, body: { name: 'bin', url: 'ftp://x' } });

  const channel = json(await api.call('POST', '/api/projects/:projectId/channels', { token: admin, params: p, body: { name: 'App' } }));
  const c = { projectId, channelId: channel.id as number };
  await api.call('GET', '/api/projects/:projectId/channels/:channelId', { token: admin, params: c });
  await api.call('PUT', '/api/projects/:projectId/channels/:channelId/fields', {
    token: admin,
    params: c,
    body: {
      fields: [
        { key: 'message', type: 'text', required: true },
        { key: 'rating', type: 'number' },
      ],
    },
  });
  const issue = json(await api.call('POST', '/api/projects/:projectId/issues', { token: admin, params: p, body: { name: 'Crash on launch' } }));
  await api.call('GET', '/api/projects/:projectId/issues', { token: admin, params: p });
  await api.call('PATCH', '/api/projects/:projectId/issues/:issueId', {
    token: admin,
    params: { projectId, issueId: issue.id as number },
    body: { status: 'IN_PROGRESS' },
  });
  const d = { projectId, channelId };
  const feedback = json(
    await api.call('POST', '/api/projects/:projectId/channels/:channelId/feedbacks', {
      token: admin,
      params: d,
      body: { message: 'it crashed', issueNames: ['Slow'] },
    }),
  );
  const f = { ...d, feedbackId: feedback.id as number };
  await api.call('GET', '/api/projects/:projectId/channels/:channelId/feedbacks/:feedbackId', { token: admin, params: f });
  await api.call('POST', '/api/projects/:projectId/channels/:channelId/feedbacks/:feedbackId/issues', {
    token: admin,
    params: f,
    body: { issueId: issue.id as number },
  });
  await api.call('POST', '/api/projects/:projectId/channels/:channelId/feedbacks', { token: admin, params: d, body: { message: 7 } });
  await rt.outboundWorker.whenIdle();

  const deliveries = json<{ deliveries: Array<{ id: string }> }>(
    await api.call('GET', '/api/projects/:projectId/webhooks/:webhookId/deliveries', { token: admin, params: w }),
  );
  await api.call('POST', '/api/deliveries/:deliveryId/redeliver', { token: admin, params: { deliveryId: deliveries.deliveries[0].id } });
  await rt.outboundWorker.whenIdle();
  await api.call('POST', '/api/projects/:projectId/webhooks/:webhookId/deliveries/redeliver', {
    token: admin,
    params: w,
    body: { since: '2020-01-01T00:00:00Z', states: ['failed', 'dead'] },
  });
  await api.call('POST', '/api/projects/:projectId/webhooks/:webhookId/deliveries/discard-paused', { token: admin, params: w, body: {} });
  await rt.outboundWorker.whenIdle();
  await api.call('GET', '/api/projects/:projectId/webhooks/:webhookId/deliveries', { token: admin, params: w, query: { state: 'succeeded', limit: '2' } });
  return w;
}

async function inspector(admin: string, binId: string, eventId: string) {
  const list = json<{ data: Array<{ id: string }> }>(await api.call('GET', '/api/inspector/requests', { token: admin }));
  await api.call('GET', '/api/inspector/requests', { token: admin, query: { outcome: 'rejected,stored', limit: '3' } });
  const captured = json<{ data: Array<{ id: string }> }>(await api.call('GET', '/api/inspector/requests', { token: admin, query: { binId } }));
  for (const { id } of [...list.data.slice(0, 12), ...captured.data]) await api.call('GET', '/api/inspector/requests/:id', { token: admin, params: { id } });
  const stored = json<{ data: Array<{ id: string }> }>(await api.call('GET', '/api/inspector/requests', { token: admin, query: { outcome: 'stored' } }));
  await api.call('GET', '/api/inspector/requests/:id/body', { token: admin, params: { id: stored.data[0].id } });
  await api.call('POST', '/api/inspector/requests/:id/replay', { token: admin, params: { id: stored.data[0].id }, body: {} });
  const keyless = json<{ data: Array<{ id: string }> }>(await api.call('GET', '/api/inspector/requests', { token: admin, query: { reason: 'unauthorized' } }));
  await api.call('POST', '/api/inspector/requests/:id/replay', { token: admin, params: { id: keyless.data[0].id }, body: {} });
  await api.call('GET', '/api/inspector/requests/export', { token: admin, query: { format: 'json' } });
  await api.call('GET', '/api/inspector/requests/export', { token: admin, query: { format: 'csv' } });
  await api.call('GET', '/api/inspector/requests/:id', { token: admin, params: { id: 'req_nothing' } });
  await api.call('GET', '/api/events/:eventId', { token: admin, params: { eventId } });
}

async function reconciliation(admin: string, eventId: string) {
  await api.call('GET', '/api/reconciliation', { token: admin, query: { environment: 'sandbox' } });
  await api.call('GET', '/api/reconciliation', { token: admin, query: { environment: 'sandbox', from: 'yesterday' } });
  await api.call('POST', '/api/reconciliation/lookup', {
    token: admin,
    body: {
      keys: [
        { environment: 'sandbox', iapLogId: 5020 },
        { environment: 'sandbox', iapLogId: 1 },
      ],
    },
  });
  await api.call('POST', '/api/reconciliation/lookup', { token: admin, body: { eventIds: [eventId] } });
  await api.call('GET', '/api/reconciliation/events', { token: admin, query: { environment: 'sandbox', type: 'purchase' } });
  const row = nacho.purchaseIos({ iapLogId: 9001, environment: 'sandbox' });
  await api.call('POST', '/api/reconciliation/ingest', {
    token: admin,
    body: {
      rows: [
        { ref: 'line-1', body: row },
        { ref: 'line-2', body: { userId: 'x' } },
      ],
    },
  });
  await api.call('GET', '/reconciliation', { headers: { cookie: `iaphook_admin=${admin}` } });
  await api.call('GET', '/reconciliation', {});
  await api.call('GET', '/reconciliation/style.css', {});
}

/** Routes added with the held events, acknowledgements, test events and the inspector's setup. */
async function later(admin: string, w: { projectId: number; webhookId: number }, binId: string) {
  await api.call('POST', '/api/projects/:projectId/webhooks/:webhookId/test', { token: admin, params: w, body: {} });
  await api.call('POST', '/api/projects/:projectId/webhooks/:webhookId/test', { token: admin, params: w, body: { event: 'nope' } });
  await rt.outboundWorker.whenIdle();
  await api.call('GET', '/api/projects/:projectId/webhooks/:webhookId/deliveries', { token: admin, params: w, query: { limit: '1' } });

  const held = json(
    await api.call('POST', '/webhooks/nachocode/purchase', {
      token: WEBHOOK_KEY,
      body: nacho.purchaseAndroid({ productType: 'subscription', iapLogId: 7701 }),
    }),
  );
  await rt.worker.whenIdle();
  const e = { eventId: held.eventId as string };
  await api.call('GET', '/api/events/:eventId', { token: admin, params: e });
  await api.call('POST', '/api/events/:eventId/apply', { token: admin, params: e });
  await api.call('POST', '/api/events/:eventId/apply', { token: admin, params: { eventId: 'evt_none' } });
  const m = { field: 'productType', value: 'subscription' };
  await api.call('PUT', '/api/value-mappings/:field/:value', { token: admin, params: m, body: { meaning: 'sometimes' } });
  await api.call('PUT', '/api/value-mappings/:field/:value', { token: admin, params: { field: 'environment', value: 'x' }, body: { meaning: 'consumable' } });
  await api.call('PUT', '/api/value-mappings/:field/:value', { token: admin, params: m, body: { meaning: 'non-consumable' } });
  await rt.worker.whenIdle();
  await api.call('GET', '/api/value-mappings', { token: admin });
  await api.call('DELETE', '/api/value-mappings/:field/:value', { token: admin, params: m });
  await api.call('DELETE', '/api/value-mappings/:field/:value', { token: admin, params: m });

  for (const environment of ['sandbox', 'production']) {
    const report = json<{ anomalies: Array<{ id: string }> }>(await api.call('GET', '/api/reconciliation', { token: admin, query: { environment } }));
    for (const { id } of report.anomalies.slice(0, 2)) {
      await api.call('POST', '/api/reconciliation/anomalies/:id/acknowledge', { token: admin, params: { id }, body: { reason: 'looked at it' } });
    }
    await api.call('GET', '/api/reconciliation', { token: admin, query: { environment, include: 'acknowledged' } });
  }
  await api.call('POST', '/api/reconciliation/anomalies/:id/acknowledge', { token: admin, params: { id: 'stuck_event:evt_none' }, body: { reason: 'x' } });
  await api.call('POST', '/api/reconciliation/anomalies/:id/acknowledge', { token: admin, params: { id: 'stuck_event:evt_none' }, body: {} });
  await api.call('GET', '/reconciliation/acknowledge.js', {});

  await api.call('PATCH', '/api/bins/:binId', { token: admin, params: { binId }, body: { name: 'renamed', delayMs: 0 } });
  await api.call('PATCH', '/api/bins/:binId', { token: admin, params: { binId }, body: { status: 1 } });
  const setup = json<{ keys: Array<{ fingerprint: string }> }>(await api.call('GET', '/api/inspector/setup', { token: admin }));
  await api.call('GET', '/api/inspector/webhook-keys/:fingerprint', { token: admin, params: { fingerprint: setup.keys[0].fingerprint } });
  await api.call('GET', '/api/inspector/webhook-keys/:fingerprint', { token: admin, params: { fingerprint: 'none' } });
}

async function operations(admin: string) {
  await api.call('GET', '/healthz');
  await api.call('GET', '/readyz');
  await api.call('GET', '/metrics');
  await api.call('GET', '/openapi.json');
  await api.call('GET', '/');
  await api.call('GET', '/inspector/signin');
  await api.call('GET', '/inspector', { headers: { cookie: `iaphook_admin=${admin}` } });
  await api.call('GET', '/inspector/assets/:name', { params: { name: 'inspector.js' } });
  const origin = { origin: server.url, 'x-iaphook-csrf': '1' };
  await api.call('POST', '/inspector/session', { headers: origin, body: { token: admin } });
  await api.call('POST', '/inspector/session', { headers: origin, body: { token: 'nope' } });
  await api.call('DELETE', '/inspector/session', { headers: { ...origin, cookie: `iaphook_admin=${rt.adminToken()}` } });
}

describe('the OpenAPI document against real answers', () => {
  it('when a newcomer walks every capability over HTTP, then every answer is documented and matches its schema', async () => {
    const admin = rt.adminToken();
    const eventId = await webhooks(admin);
    await ledger(admin);
    const bin = await bins(admin);
    const subscription = await feedbackAndSubscriptions(admin, bin.url as string);
    await inspector(admin, bin.id as string, eventId);
    await reconciliation(admin, eventId);
    await later(admin, subscription, bin.id as string);
    await operations(admin);
    await api.call('DELETE', '/api/projects/:projectId/webhooks/:webhookId', {
      token: admin,
      params: { projectId: rt.feedbackDefaults.projectId, webhookId: 1 },
    });

    if (process.env.OPENAPI_DUMP !== undefined) fs.writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(api.answers, null, 1));
    expect(undocumentedAnswers(openApiDocument(), api.answers)).toEqual([]);
    // The walk reached the main routes with a success, not only with errors.
    const succeeded = new Set(api.answers.filter((a) => a.status < 300).map((a) => `${a.method} ${a.route}`));
    for (const route of [
      'post /webhooks/nachocode/purchase',
      'get /api/events/:eventId',
      'post /api/users/:userId/consumptions',
      'get /api/inspector/requests/:id',
      'get /api/reconciliation',
      'post /api/projects/:projectId/webhooks/:webhookId/test',
      'put /api/value-mappings/:field/:value',
      'get /api/value-mappings',
      'post /api/reconciliation/anomalies/:id/acknowledge',
      'patch /api/bins/:binId',
      'get /api/inspector/setup',
    ]) {
      expect(succeeded).toContain(route);
    }
    expect(api.answers.some((a) => a.route === '/api/inspector/requests/:id' && (a.body as { deliveryAttempts?: unknown[] }).deliveryAttempts?.length)).toBe(
      true,
    );
  });
});
