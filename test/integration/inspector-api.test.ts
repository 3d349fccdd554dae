import { parse } from 'csv-parse/sync';
import { nacho } from '../support/fixtures';
import { startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// The inspector API over a fixed set of requests: every outcome, both environments, several
// users, a rejected request with a body and one without.

let rt: TestRuntime;
/** label → raw request id, in the order sent. */
const sent = new Map<string, string>();
const PURCHASE = '/webhooks/nachocode/purchase';
const BAD_JSON = '{"userId": "user-7f3a", "note": "50% off_sale",';

const admin = () => `Bearer ${rt.adminToken()}`;
const get = (path: string) => rt.http.get(path).set('Authorization', admin());
type Summary = { id: string; receivedAt: string; outcome: string; reason: string | null; path: string };

async function newestId(): Promise<string> {
  const res = await get('/api/inspector/requests?limit=1').expect(200);
  return (res.body.data as Summary[])[0].id;
}

async function send(label: string, request: () => PromiseLike<unknown>): Promise<void> {
  await request();
  sent.set(label, await newestId());
}

beforeAll(async () => {
  rt = await startRuntime();
  await send('ios', () => rt.post(PURCHASE, nacho.purchaseIos()).expect(200));
  await send('ios-again', () => rt.post(PURCHASE, nacho.purchaseIos()).expect(200));
  await send('android', () => rt.post(PURCHASE, nacho.purchaseAndroid()).expect(200));
  await send('sandbox-multi', () => rt.post(PURCHASE, nacho.purchaseIosMulti()).expect(200));
  await send('refund', () => rt.post('/webhooks/nachocode/refund', nacho.refundAndroid()).expect(200));
  await send('unavailable', () => rt.post('/webhooks/nachocode', nacho.unavailableUsers()).expect(200));
  await send('conflict', () => rt.post(PURCHASE, nacho.purchaseIos({ price: 9999 })).expect(409));
  await send('no-key', () => rt.post(PURCHASE, nacho.purchaseIos({ iapLogId: 7001 }), null).expect(401));
  await send('bad-json', () => rt.post(PURCHASE, BAD_JSON).expect(400));
  await send('get', () => rt.http.get(PURCHASE).expect(405));
  await send('unknown-path', () => rt.post('/webhooks/elsewhere', { note: 'lost' }).expect(404));
  await rt.worker.whenIdle();
});
afterAll(() => rt.stop());

const labelsOf = (rows: Summary[]) => rows.map((r) => [...sent].find(([, id]) => id === r.id)?.[0] ?? r.id);
const allLabels = () => [...sent.keys()].reverse();
/** Table rows are built before beforeAll runs: ALL stands for every label, newest first. */
const ALL = ['*all*'];
const ALL_BUT_UNKNOWN_PATH = ['*all but unknown-path*'];
const expand = (labels: string[]) =>
  labels === ALL ? allLabels() : labels === ALL_BUT_UNKNOWN_PATH ? allLabels().filter((l) => l !== 'unknown-path') : labels;

describe('GET /api/inspector/requests', () => {
  it('when listing without filters, then every request comes newest first with its list fields', async () => {
    const res = await get('/api/inspector/requests').expect(200);
    expect(labelsOf(res.body.data)).toEqual(allLabels());
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.find((r: Summary) => r.id === sent.get('no-key'))).toEqual({
      id: sent.get('no-key'),
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      method: 'POST',
      path: PURCHASE,
      query: null,
      status: 401,
      outcome: 'rejected',
      reason: 'unauthorized',
      size: Buffer.byteLength(JSON.stringify(nacho.purchaseIos({ iapLogId: 7001 }))),
      durationMs: expect.any(Number),
      eventId: null,
      source: 'webhook',
      binId: null,
      contentType: 'application/json',
      // A rejected request has no event: what it is about comes from its route and its body.
      type: 'purchase',
      userId: nacho.purchaseIos().userId,
      productId: nacho.purchaseIos().productId,
    });
  });

  it.each<[string, string, string[]]>([
    ['outcome=stored', 'outcome=stored', ['unavailable', 'refund', 'sandbox-multi', 'android', 'ios']],
    ['outcome=duplicate', 'outcome=duplicate', ['ios-again']],
    ['outcome=conflict', 'outcome=conflict', ['conflict']],
    ['outcome=rejected', 'outcome=rejected', ['unknown-path', 'get', 'bad-json', 'no-key']],
    ['two outcomes', 'outcome=duplicate,conflict', ['conflict', 'ios-again']],
    ['the rejection reason', 'outcome=rejected&reason=method_not_allowed', ['get']],
    ['a path', 'path=/webhooks/nachocode/refund', ['refund']],
    ['a path prefix', 'path=/webhooks/nachocode', ALL_BUT_UNKNOWN_PATH],
    ['environment=sandbox', 'environment=sandbox', ['sandbox-multi']],
    ['environment=production', 'environment=production', ['no-key', 'conflict', 'refund', 'android', 'ios-again', 'ios']],
    ['a user id', 'userId=user-7f3a', ['no-key', 'conflict', 'sandbox-multi', 'ios-again', 'ios']],
    ['a user id in an unavailable-users list', 'userId=user-0107', ['unavailable']],
    ['a user and an environment', 'userId=user-7f3a&environment=sandbox', ['sandbox-multi']],
    ['free text in the body', 'q=premium_unlock', ['refund', 'android']],
    ['free text in another case', 'q=PREMIUM_UNLOCK', ['refund', 'android']],
    ['free text with LIKE wildcards', `q=${encodeURIComponent('50% off_sale')}`, ['bad-json']],
    ['free text whose wildcards would match if not escaped', `q=${encodeURIComponent('50_%')}`, []],
    ['free text that matches nothing', 'q=nothing-like-this', []],
    ['free text in a body that is not JSON', `q=${encodeURIComponent('"userId": "user-7f3a",')}`, ['bad-json']],
    ['source=webhook', 'source=webhook', ALL],
    ['source=replay', 'source=replay', []],
    ['an empty field (a cleared form)', 'outcome=&path=', ALL],
  ])('when filtering by %s, then exactly the matching requests come back', async (_name, query, expected) => {
    const res = await get(`/api/inspector/requests?${query}`).expect(200);
    expect(labelsOf(res.body.data)).toEqual(expand(expected));
  });

  it('when filtering by a time range, then from is inclusive and to exclusive', async () => {
    const all = (await get('/api/inspector/requests').expect(200)).body.data as Summary[];
    const from = all.find((r) => r.id === sent.get('android'))!.receivedAt;
    const to = all.find((r) => r.id === sent.get('conflict'))!.receivedAt;
    const expected = all.filter((r) => r.receivedAt >= from && r.receivedAt < to).map((r) => r.id);
    const res = await get(`/api/inspector/requests?from=${from}&to=${to}`).expect(200);
    expect(res.body.data.map((r: Summary) => r.id)).toEqual(expected);
    expect(expected).toContain(sent.get('android'));
    expect(expected).not.toContain(sent.get('conflict'));
    const epoch = await get(`/api/inspector/requests?from=${Date.parse(from)}&to=${Date.parse(to)}`).expect(200);
    expect(epoch.body.data.map((r: Summary) => r.id)).toEqual(expected);
  });

  it('when paging with a small limit, then the cursor walks every request once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Summary[]; nextCursor: string | null } = (
        await get(`/api/inspector/requests?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`).expect(200)
      ).body;
      expect(page.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(allLabels().map((l) => sent.get(l)));
  });

  it.each([
    ['an unknown outcome', 'outcome=lost'],
    ['an unknown parameter', 'colour=red'],
    ['a cursor that is not a request id', 'cursor=abc'],
    ['a limit above 500', 'limit=501'],
    ['a time that is not a time', 'from=yesterday'],
  ])('when the query has %s, then 400 names the parameter', async (_name, query) => {
    const res = await get(`/api/inspector/requests?${query}`).expect(400);
    expect(res.body.error.code).toBe('invalid_query');
  });

  it.each<[string, number, (r: ReturnType<typeof rt.http.get>) => ReturnType<typeof rt.http.get>]>([
    ['no token', 401, (r) => r],
    ['a user token', 403, (r) => r.set('Authorization', `Bearer ${rt.userToken('user-7f3a')}`)],
    ['the admin session cookie', 200, (r) => r.set('Cookie', `iaphook_admin=${rt.adminToken()}`)],
  ])('when the API is called with %s, then it answers %i', async (_name, status, auth) => {
    await auth(rt.http.get('/api/inspector/requests')).expect(status);
  });
});

describe('GET /api/inspector/requests/:id', () => {
  it('when a stored purchase is opened, then its masked headers, exact body, answer, event, entries and curl are there', async () => {
    const res = await get(`/api/inspector/requests/${sent.get('ios')}`).expect(200);
    const text = JSON.stringify(nacho.purchaseIos());
    expect(res.body).toMatchObject({
      id: sent.get('ios'),
      outcome: 'stored',
      headers: expect.objectContaining({ authorization: `Bearer ****${WEBHOOK_KEY.slice(-4)}`, 'content-type': 'application/json' }),
      body: { text, base64: Buffer.from(text).toString('base64'), size: Buffer.byteLength(text), json: true, truncated: null },
      response: { status: 200, body: { received: true, duplicate: false, eventId: expect.stringMatching(/^evt_/) } },
      event: { relation: 'created', type: 'purchase', status: 'applied', userId: 'user-7f3a', rawRequestId: sent.get('ios') },
      replayable: { ok: true, reason: null },
      deliveryAttempts: [],
    });
    expect(res.body.event.ledgerEntries).toEqual([expect.objectContaining({ kind: 'grant', quantity: 1, productId: 'com.example.app.coins100' })]);
    expect(res.body.curl).toContain('${IAPHOOK_WEBHOOK_KEY}');
    expect(JSON.stringify(res.body)).not.toContain(WEBHOOK_KEY);
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['a duplicate', 'ios-again', { outcome: 'duplicate', event: expect.objectContaining({ relation: 'duplicate' }) }],
    ['a conflict', 'conflict', { outcome: 'conflict', status: 409, event: expect.objectContaining({ relation: 'conflict' }) }],
    [
      'a rejected request',
      'bad-json',
      { outcome: 'rejected', reason: 'invalid_json', event: null, body: expect.objectContaining({ text: BAD_JSON, json: false }) },
    ],
    ['a request to no route', 'unknown-path', { replayable: { ok: false, reason: expect.stringMatching(/not a webhook route/) } }],
  ])('when %s is opened, then the detail says what happened', async (_name, label, expected) => {
    const res = await get(`/api/inspector/requests/${sent.get(label)}`).expect(200);
    expect(res.body).toMatchObject(expected);
  });

  it.each([
    ['an unknown id', 'req_01ARZ3NDEKTSV4RRFFQ69G5FAV'],
    ['a malformed id', 'nope'],
  ])('when %s is opened, then 404', async (_name, id) => {
    expect((await get(`/api/inspector/requests/${id}`).expect(404)).body.error.code).toBe('not_found');
  });

  it('when the body is downloaded, then it is the exact bytes as an attachment', async () => {
    const res = await get(`/api/inspector/requests/${sent.get('bad-json')}/body`)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment/);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect((res.body as Buffer).toString('utf8')).toBe(BAD_JSON);
  });
});

describe('GET /api/inspector/requests/export', () => {
  it('when exporting JSON without filters, then every request is there with masked headers and exact bodies', async () => {
    const res = await get('/api/inspector/requests/export?format=json').expect(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="iaphook-requests-\d{8}T\d{6}Z\.json"$/);
    const items = JSON.parse(res.text) as Array<{ id: string; headers: Record<string, string>; body: { text: string } | null }>;
    expect(items.map((i) => i.id)).toEqual(allLabels().map((l) => sent.get(l)));
    expect(items.find((i) => i.id === sent.get('ios'))!.body!.text).toBe(JSON.stringify(nacho.purchaseIos()));
    expect(res.text).not.toContain(WEBHOOK_KEY);
  });

  it('when exporting CSV with filters, then only the matching requests are rows a CSV parser reads back', async () => {
    const res = await get('/api/inspector/requests/export?format=csv&outcome=rejected&path=/webhooks/nachocode').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parse(res.text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.id)).toEqual(['get', 'bad-json', 'no-key'].map((l) => sent.get(l)));
    expect(rows.find((r) => r.id === sent.get('bad-json'))).toMatchObject({
      outcome: 'rejected',
      reason: 'invalid_json',
      status: '400',
      body: BAD_JSON,
      body_encoding: 'utf8',
    });
    expect(res.text).not.toContain(WEBHOOK_KEY);
  });

  it.each([
    ['json', (text: string) => (JSON.parse(text) as unknown[]).length],
    ['csv', (text: string) => (parse(text, { columns: true }) as unknown[]).length],
  ])('when exporting %s with a limit, then only that many newest come', async (format, count) => {
    const res = await get(`/api/inspector/requests/export?format=${format}&limit=3`).expect(200);
    expect(count(res.text)).toBe(3);
  });

  it('when the export matches nothing, then it is a valid empty document', async () => {
    const json = await get('/api/inspector/requests/export?format=json&q=nothing-like-this').expect(200);
    expect(JSON.parse(json.text)).toEqual([]);
    const csv = await get('/api/inspector/requests/export?format=csv&q=nothing-like-this').expect(200);
    expect(csv.text.trim().split('\r\n')).toHaveLength(1);
  });

  it('when the format is unknown, then 400', async () => {
    await get('/api/inspector/requests/export?format=xml').expect(400);
  });
});
