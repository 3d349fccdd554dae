import { ACCEPTED_UNVERIFIED_HEADER, planReplay, REPLAY_OF_HEADER, routeForPath } from '../../src/inspector/replay';
import { failedKeyCheck, unverifiedOrigin } from '../../src/inspector/replay-unverified';
import type { RawRequestRow } from '../../src/inspector/repository';
import { bodyView } from '../../src/inspector/views';

const row = (overrides: Partial<RawRequestRow> = {}): RawRequestRow => ({
  id: 'req_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  receivedAt: 0,
  method: 'POST',
  path: '/webhooks/nachocode/purchase',
  query: null,
  headers: JSON.stringify({ 'content-type': 'application/json', authorization: 'Bearer ****abcd', cookie: '****', 'x-tag': ['a', 'b'] }),
  body: Buffer.from('{"a":1}'),
  bodySize: 7,
  bodySha256: null,
  contentType: 'application/json',
  remoteAddr: '10.0.0.1',
  requestId: 'r-1',
  keyFingerprint: 'f1',
  status: 200,
  outcome: 'stored',
  reason: null,
  response: '{}',
  durationMs: 1,
  eventId: null,
  source: 'webhook',
  binId: null,
  ...overrides,
});
const context = { newId: 'req_01ARZ3NDEKTSV4RRFFQ69G5FAW', remoteAddr: '127.0.0.1', requestId: 'admin-1' };

describe('routeForPath', () => {
  it.each([
    ['/webhooks/nachocode', 'auto'],
    ['/webhooks/nachocode/purchase', 'purchase'],
    ['/webhooks/nachocode/refund/', 'refund'],
    ['/WEBHOOKS/nachocode/Unavailable-Users', 'unavailable-users'],
    ['/webhooks/nachocode/other', null],
    ['/bins/bin_x', null],
  ])('when the stored path is %s, then the route is %p', (path, route) => {
    expect(routeForPath(path)).toBe(route);
  });
});

describe('planReplay', () => {
  it('when a webhook request is replayed, then the same bytes, method and path go to its route as a replay', () => {
    const plan = planReplay(row(), context);
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.route).toBe('purchase');
    expect(plan.request).toMatchObject({
      method: 'POST',
      path: '/webhooks/nachocode/purchase',
      body: Buffer.from('{"a":1}'),
      source: 'replay',
      remoteAddr: '127.0.0.1',
      requestId: 'admin-1',
      replay: { id: context.newId, keyFingerprint: 'f1' },
    });
    expect(plan.request.bodyError).toBeUndefined();
  });

  it('when headers are rebuilt, then masked secrets are left out, repeats kept and the original is named', () => {
    const plan = planReplay(row(), context);
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.request.rawHeaders).toEqual(['content-type', 'application/json', 'x-tag', 'a', 'x-tag', 'b', REPLAY_OF_HEADER, row().id]);
  });

  it('when a replay is replayed, then it names only the request it replays', () => {
    const plan = planReplay(row({ id: 'req_01ARZ3NDEKTSV4RRFFQ69G5FB0', headers: JSON.stringify({ [REPLAY_OF_HEADER]: 'req_old' }) }), context);
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.request.rawHeaders).toEqual([REPLAY_OF_HEADER, 'req_01ARZ3NDEKTSV4RRFFQ69G5FB0']);
  });

  it('when the admin accepts a request that failed the key check, then the replay names it in its marker header', () => {
    const plan = planReplay(row({ headers: JSON.stringify({ [ACCEPTED_UNVERIFIED_HEADER]: 'req_forged' }) }), { ...context, unverifiedOf: 'req_failed' });
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.request.rawHeaders).toEqual([REPLAY_OF_HEADER, row().id, ACCEPTED_UNVERIFIED_HEADER, 'req_failed']);
  });

  it('when the original was not a POST, then the replay meets the same 405', () => {
    const plan = planReplay(row({ method: 'GET' }), context);
    expect(plan.ok && plan.request.bodyError?.code).toBe('method_not_allowed');
  });

  it.each<[string, Partial<RawRequestRow>, RegExp]>([
    ['a bin capture', { binId: 'bin_01ARZ3NDEKTSV4RRFFQ69G5FAV', source: 'bin', path: '/bins/bin_01ARZ3NDEKTSV4RRFFQ69G5FAV' }, /captured by a bin/],
    ['an unknown webhook path', { path: '/webhooks/other' }, /not a webhook route/],
    ['a body too large to be stored', { body: null, reason: 'payload_too_large' }, /larger than the limit/],
  ])('when the request is %s, then it cannot be replayed and the reason says why', (_name, overrides, reason) => {
    const plan = planReplay(row(overrides), context);
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.reason).toMatch(reason);
  });
});

describe('unverifiedOrigin', () => {
  const marked = JSON.stringify({ [ACCEPTED_UNVERIFIED_HEADER]: 'req_failed' });
  it.each<[string, Partial<RawRequestRow>, string | null]>([
    ['a webhook refused for its key', { outcome: 'rejected', reason: 'unauthorized', keyFingerprint: null }, row().id],
    ['a webhook refused for its body', { outcome: 'rejected', reason: 'validation_failed' }, null],
    ['a stored webhook', {}, null],
    ['a replay accepted unverified', { source: 'replay', keyFingerprint: null, headers: marked }, 'req_failed'],
    ['a replay of a verified request', { source: 'replay' }, null],
    ['a webhook carrying the marker header itself', { headers: marked }, null],
  ])('when the request is %s, then the request that failed the key check is %p', (_name, overrides, expected) => {
    expect(unverifiedOrigin(row(overrides))).toBe(expected);
  });
});

describe('failedKeyCheck', () => {
  it.each<[string, RawRequestRow | undefined, string | null]>([
    ['a stored 401', row({ response: JSON.stringify({ error: { code: 'unauthorized', message: 'm', details: { reason: 'unknown_key' } } }) }), 'unknown_key'],
    ['an answer without details', row({ response: '{"received":true}' }), null],
    ['a pruned request', undefined, null],
  ])('when the request is %s, then the key check reads %p', (_name, request, expected) => {
    expect(failedKeyCheck(request)).toBe(expected);
  });
});

describe('bodyView', () => {
  it.each<[string, Buffer | null, unknown]>([
    ['no body', null, null],
    ['JSON', Buffer.from(' {"a": 1} '), { text: ' {"a": 1} ', base64: Buffer.from(' {"a": 1} ').toString('base64'), size: 10, json: true, truncated: null }],
    ['text that is not JSON', Buffer.from('{bad'), { text: '{bad', base64: 'e2JhZA==', size: 4, json: false, truncated: null }],
    ['bytes that are not UTF-8', Buffer.from([0xc3, 0x28]), { text: null, base64: 'wyg=', size: 2, json: false, truncated: null }],
  ])('when the body is %s, then the view keeps the exact bytes', (_name, body, expected) => {
    expect(bodyView(body)).toEqual(expected);
  });

  it('when only the first bytes were kept and the cut fell inside a character, then the text stops before it and the whole size and hash are shown', () => {
    const kept = Buffer.from('{"name":"é', 'utf8').subarray(0, 10); // the é cut after its first byte
    expect(bodyView(kept, { bodySize: 5000, bodySha256: 'ab'.repeat(32) })).toEqual({
      text: '{"name":"',
      base64: kept.toString('base64'),
      size: 10,
      json: false,
      truncated: { receivedSize: 5000, sha256: 'ab'.repeat(32) },
    });
  });
});

describe('planReplay of a cut body', () => {
  it('when only the first bytes of the body were kept, then it cannot be replayed', () => {
    const plan = planReplay(row({ reason: 'unauthorized', outcome: 'rejected', bodySize: 300_000, bodySha256: 'cd'.repeat(32) }), {
      newId: 'req_x',
      remoteAddr: null,
      requestId: null,
    });
    expect(plan).toEqual({ ok: false, reason: 'only the first 7 of 300000 body bytes were kept (the request failed the webhook key check)' });
  });
});
