import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { nacho } from '../support/fixtures';
import { JWT_SECRET, listen, sql, startRuntime, type TestRuntime } from '../support/runtime';

// Replay re-runs the stored raw bytes through the receiver: the same checks, the same dedupe key.

let rt: TestRuntime;
const PURCHASE = '/webhooks/nachocode/purchase';
const admin = () => `Bearer ${rt.adminToken()}`;
/** Rows in a table (its name is a constant of this file, never input). */
const count = async (table: 'events' | 'ledger_entries' | 'raw_requests') => (await rt.rows<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${table}`)))[0].n;

async function newestId(): Promise<string> {
  return (await rt.http.get('/api/inspector/requests?limit=1').set('Authorization', admin()).expect(200)).body.data[0].id as string;
}
const replay = (id: string) => rt.http.post(`/api/inspector/requests/${id}/replay`).set('Authorization', admin());
const detailOf = async (id: string) => (await rt.http.get(`/api/inspector/requests/${id}`).set('Authorization', admin()).expect(200)).body;

beforeEach(async () => {
  rt = await startRuntime();
});
afterEach(() => rt.stop());

describe('POST /api/inspector/requests/:id/replay', () => {
  it('when a stored purchase is replayed, then it stays a duplicate: same event, nothing applied twice', async () => {
    const first = await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const original = await newestId();
    await rt.worker.whenIdle();

    const res = await replay(original).expect(200);
    await rt.worker.whenIdle();

    expect(res.body).toEqual({
      replayOf: original,
      requestId: expect.stringMatching(/^req_/),
      status: 200,
      outcome: 'duplicate',
      reason: null,
      eventId: first.body.eventId,
      response: { received: true, duplicate: true, eventId: first.body.eventId },
      acceptedUnverified: false,
    });
    expect(await count('events')).toBe(1);
    expect(await count('ledger_entries')).toBe(1);
    const detail = await rt.http.get(`/api/inspector/requests/${res.body.requestId}`).set('Authorization', admin()).expect(200);
    expect(detail.body).toMatchObject({ source: 'replay', outcome: 'duplicate', replayOf: original, keyFingerprint: expect.any(String) });
    expect(detail.body.body.base64).toBe(Buffer.from(JSON.stringify(nacho.purchaseIos())).toString('base64'));
  });

  it('when the replay of a replay runs, then it is still a duplicate of the same event', async () => {
    const first = await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const again = await replay(await newestId()).expect(200);
    const twice = await replay(again.body.requestId).expect(200);
    expect(twice.body).toMatchObject({ outcome: 'duplicate', eventId: first.body.eventId, replayOf: again.body.requestId });
  });

  it('when a conflicting request is replayed, then it conflicts again and the first content is kept', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    await rt.post(PURCHASE, nacho.purchaseIos({ price: 1 })).expect(409);
    const res = await replay(await newestId()).expect(200);
    expect(res.body).toMatchObject({ status: 409, outcome: 'conflict', reason: 'conflict' });
    expect(await count('events')).toBe(1);
  });

  it.each<[string, () => PromiseLike<unknown>, number, string]>([
    ['invalid JSON', () => rt.post(PURCHASE, '{nope').expect(400), 400, 'invalid_json'],
    ['a schema violation', () => rt.post(PURCHASE, nacho.purchaseIos({ quantity: 0 })).expect(422), 422, 'validation_failed'],
    ['a refund sent to the purchase route', () => rt.post(PURCHASE, nacho.refundAndroid()).expect(422), 422, 'shape_mismatch'],
    ['a GET', () => rt.http.get(PURCHASE).expect(405), 405, 'method_not_allowed'],
  ])('when a request rejected for %s is replayed, then the receiver rejects it the same way', async (_name, send, status, reason) => {
    await send();
    const res = await replay(await newestId()).expect(200);
    expect(res.body).toMatchObject({ status, outcome: 'rejected', reason });
  });

  it('when a bin capture is replayed, then 400 says it is not a webhook', async () => {
    const bin = await rt.http.post('/api/bins').set('Authorization', admin()).send({}).expect(201);
    await rt.http.post(`/bins/${bin.body.id}`).send({ a: 1 }).expect(200);
    const res = await replay(await newestId()).expect(400);
    expect(res.body.error.message).toMatch(/captured by a bin/);
  });

  it.each<[string, number, (id: string) => ReturnType<typeof replay>]>([
    ['replaying an unknown request', 404, () => replay('req_01ARZ3NDEKTSV4RRFFQ69G5FAV')],
    ['replaying without an admin token', 401, (id) => rt.http.post(`/api/inspector/requests/${id}/replay`)],
  ])('when %s, then %i', async (_name, status, call) => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    await call(await newestId()).expect(status);
  });

  it('when filtering by source=replay, then only replays are listed', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const res = await replay(await newestId()).expect(200);
    const list = await rt.http.get('/api/inspector/requests?source=replay').set('Authorization', admin()).expect(200);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([res.body.requestId]);
  });
});

describe('replaying a request that failed the webhook key check', () => {
  const WRONG_KEY = 'wrong-key-wrong-key-wrong';

  it.each<[string, string | null, string, RegExp]>([
    ['a wrong key', WRONG_KEY, 'unknown_key', /not one of the configured keys/],
    ['no key', null, 'missing_authorization', /no Authorization header/],
  ])('when a purchase sent with %s is replayed without confirmation, then 409 names the problem and nothing is stored', async (_name, key, keyCheck, why) => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), key).expect(401);
    const original = await newestId();
    const requestsBefore = await count('raw_requests');

    const res = await replay(original).expect(409);

    expect(res.body).toEqual({
      error: {
        code: 'replay_of_unauthenticated_request',
        message: expect.stringMatching(new RegExp(`^request ${original} failed the webhook key check`)),
        details: { requestId: original, failedRequestId: original, keyCheck, confirmWith: { acceptUnverified: true } },
      },
    });
    expect(res.body.error.message).toMatch(why);
    expect(res.body.error.message).toMatch(/"acceptUnverified": true/);
    expect(await count('raw_requests')).toBe(requestsBefore);
    expect(await count('events')).toBe(0);
  });

  it('when the admin confirms with {"acceptUnverified": true}, then it is stored, applied and marked as accepted unverified', async () => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), WRONG_KEY).expect(401);
    const original = await newestId();

    const res = await replay(original).send({ acceptUnverified: true }).expect(200);
    await rt.worker.whenIdle();

    expect(res.body).toMatchObject({ replayOf: original, status: 200, outcome: 'stored', eventId: expect.stringMatching(/^evt_/), acceptedUnverified: true });
    const events = await rt.rows(sql`SELECT status, source, raw_request_id AS "rawRequestId" FROM events WHERE id = ${res.body.eventId}`);
    expect(events).toEqual([{ status: 'applied', source: 'replay', rawRequestId: res.body.requestId }]);
    const detail = await detailOf(res.body.requestId);
    expect(detail).toMatchObject({ source: 'replay', replayOf: original, acceptedUnverified: true, keyFingerprint: null });
    expect(detail.headers['x-iaphook-accepted-unverified']).toBe(original);
    expect((await detailOf(original)).acceptedUnverified).toBe(false);
  });

  it('when the confirmation comes as ?acceptUnverified=true, then 400 asks for it in a JSON body and nothing is replayed', async () => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), null).expect(401);
    const before = await count('raw_requests');
    const res = await rt.http
      .post(`/api/inspector/requests/${await newestId()}/replay?acceptUnverified=true`)
      .set('Authorization', admin())
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_query', message: expect.stringContaining('only in a JSON body') });
    expect(await count('raw_requests')).toBe(before);
    expect(await count('events')).toBe(0);
  });

  it('when a replay accepted unverified is replayed, then it asks again and names the request that failed the check', async () => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), WRONG_KEY).expect(401);
    const original = await newestId();
    const accepted = await replay(original).send({ acceptUnverified: true }).expect(200);

    const res = await replay(accepted.body.requestId).expect(409);
    expect(res.body.error).toMatchObject({
      code: 'replay_of_unauthenticated_request',
      message: expect.stringContaining(`request ${accepted.body.requestId} replays ${original}, which failed the webhook key check`),
      details: { requestId: accepted.body.requestId, failedRequestId: original, keyCheck: 'unknown_key' },
    });
    const again = await replay(accepted.body.requestId).send({ acceptUnverified: true }).expect(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', eventId: accepted.body.eventId, acceptedUnverified: true });
    expect((await detailOf(again.body.requestId)).headers['x-iaphook-accepted-unverified']).toBe(original);
  });

  it('when a request that passed the key check is replayed with the flag, then the flag changes nothing', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const res = await replay(await newestId())
      .send({ acceptUnverified: true })
      .expect(200);
    expect(res.body).toMatchObject({ outcome: 'duplicate', acceptedUnverified: false });
  });

  it('when a sender adds the marker header itself, then it is not taken for an accepted unverified replay', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).set('x-iaphook-accepted-unverified', 'req_01ARZ3NDEKTSV4RRFFQ69G5FAV').expect(200);
    const original = await newestId();
    expect((await detailOf(original)).acceptedUnverified).toBe(false);
    const res = await replay(original).expect(200);
    expect(res.body.acceptedUnverified).toBe(false);
    expect((await detailOf(res.body.requestId)).headers['x-iaphook-accepted-unverified']).toBeUndefined();
  });

  it.each<[string, (id: string) => ReturnType<typeof replay>, number]>([
    ['a flag that is not a boolean', (id) => replay(id).send({ acceptUnverified: 'yes' }), 422],
    ['an unknown body field', (id) => replay(id).send({ acceptUnverifed: true }), 422],
    ['an unknown query parameter', (id) => rt.http.post(`/api/inspector/requests/${id}/replay?force=1`).set('Authorization', admin()), 400],
  ])('when the replay is asked for with %s, then %i and nothing is replayed', async (_name, call, status) => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), WRONG_KEY).expect(401);
    const before = await count('raw_requests');
    await call(await newestId()).expect(status);
    expect(await count('raw_requests')).toBe(before);
  });
});

describe('npm run replay', () => {
  const root = path.join(__dirname, '..', '..');
  const cli = (url: string, ...args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/replay.ts', ...args, '--url', url], {
      cwd: root,
      env: { ...process.env, JWT_SECRET, ...rt.database.env, NODE_ENV: 'test' },
      timeout: 20_000,
    });

  it('when the CLI replays a stored purchase on a running server, then it prints the duplicate', async () => {
    await rt.post(PURCHASE, nacho.purchaseIos()).expect(200);
    const id = await newestId();
    const server = await listen(rt.app);
    try {
      const { stdout } = await cli(server.url, id);
      expect(stdout).toMatch(new RegExp(`^replayed ${id} as req_\\w+: 200 duplicate, event evt_`));
    } finally {
      await server.close();
    }
  }, 30_000);

  it('when the request failed the key check, then the CLI refuses without --accept-unverified and replays it with the flag', async () => {
    await rt.post(PURCHASE, nacho.purchaseAndroid(), 'wrong-key-wrong-key-wrong').expect(401);
    const id = await newestId();
    const server = await listen(rt.app);
    try {
      const refused = await cli(server.url, id).then(
        () => null,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(refused?.code).toBe(1);
      expect(refused?.stderr).toMatch(/replay refused \(409\).*webhook key check[\s\S]*--accept-unverified/);
      expect(await count('events')).toBe(0);
      const { stdout } = await cli(server.url, id, '--accept-unverified');
      expect(stdout).toMatch(new RegExp(`^replayed ${id} as req_\\w+: 200 stored, event evt_`));
      expect(await count('events')).toBe(1);
    } finally {
      await server.close();
    }
  }, 60_000);
});
