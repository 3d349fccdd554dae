import fc from 'fast-check';
import { Pool } from 'undici';
import { parseEventPayload } from '../../src/ledger/payload';
import { hostileJsonBody, hostileQuery } from '../support/hostile';
import { listen, sql, startRuntime, type TestRuntime } from '../support/runtime';

// The same property for the admin API: hostile query parameters on every listing and lookup, and
// hostile JSON bodies on every route that takes one, with a valid admin token. Never a 5xx, always
// a JSON error for a 4xx, and what the import route lets through still passes the schemas.

jest.setTimeout(120_000);

const BATCH = 20;
const QUERY_RUNS = 2_000;
const BODY_RUNS = 2_000;

const QUERY_PATHS = [
  '/api/events',
  '/api/events/evt_01K0000000000000000000000A',
  '/api/users/user-1/entitlements',
  '/api/inspector/requests',
  '/api/inspector/requests/export',
  '/api/projects',
  '/api/projects/1/issues',
  '/api/projects/1/webhooks',
  '/api/projects/1/webhooks/1/deliveries',
  '/api/reconciliation',
  '/api/reconciliation/events',
  '/api/bins',
  '/v1/me/entitlements',
];
const BODY_ROUTES: Array<[string, string]> = [
  ['POST', '/api/projects'],
  ['PATCH', '/api/projects/1'],
  ['POST', '/api/projects/1/channels'],
  ['POST', '/api/projects/1/channels/1/feedbacks'],
  ['POST', '/api/projects/1/channels/1/feedbacks/1/issues'],
  ['POST', '/api/projects/1/issues'],
  ['PATCH', '/api/projects/1/issues/1'],
  ['POST', '/api/projects/1/webhooks'],
  ['PUT', '/api/projects/1/webhooks/1'],
  ['POST', '/api/projects/1/webhooks/1/deliveries/redeliver'],
  ['POST', '/api/deliveries/dlv_01K0000000000000000000000A/redeliver'],
  ['POST', '/api/reconciliation/lookup'],
  ['POST', '/api/reconciliation/ingest'],
  ['POST', '/api/reconciliation/anomalies/rejected_request%3A0/acknowledge'],
  ['POST', '/api/users/user-1/consumptions'],
  ['POST', '/api/bins'],
  ['POST', '/api/inspector/requests/req_01K0000000000000000000000A/replay'],
];
const segment = fc.oneof(
  fc.constantFrom('1', '0', '-1', '99999999999999999999', 'evt_x', '..', '%2e%2e', '%00', 'a'.repeat(300)),
  fc.string({ maxLength: 20 }),
);

describe('hostile admin API requests', () => {
  let rt: TestRuntime;
  let server: Awaited<ReturnType<typeof listen>>;
  let pool: Pool;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    rt = await startRuntime({}, { startWorker: false });
    rt.worker.start(); // imports are applied; no outbound deliveries leave the test
    server = await listen(rt.app);
    pool = new Pool(server.url, { connections: BATCH });
  });

  afterAll(async () => {
    await pool.close();
    await server.close();
    await rt.stop();
  });

  async function check(method: string, path: string, body: Buffer | undefined, contentType = 'application/json'): Promise<void> {
    const token = path.startsWith('/v1/') ? rt.userToken('user-1') : rt.adminToken();
    const res = await pool.request({ method: method as 'GET', path, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
    const text = await res.body.text();
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    expect(res.statusCode).toBeLessThan(500);
    if (res.statusCode >= 400) expect(JSON.parse(text)).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  }

  it(`when ${QUERY_RUNS.toLocaleString('en')} hostile query strings and path segments arrive, then none gets a 5xx`, async () => {
    const request = fc.record({
      path: fc.oneof(
        fc.constantFrom(...QUERY_PATHS),
        segment.map((s) => `/api/events/${encodeURIComponent(s)}`),
        segment.map((s) => `/api/users/${encodeURIComponent(s)}/entitlements`),
        segment.map((s) => `/api/inspector/requests/${encodeURIComponent(s)}`),
      ),
      query: hostileQuery,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(batch.map((r) => check('GET', r.query === '' ? r.path : `${r.path}?${r.query}`, undefined)));
      }),
      { numRuns: QUERY_RUNS / BATCH },
    );
  });

  it(`when ${BODY_RUNS.toLocaleString('en')} hostile JSON bodies arrive, then none gets a 5xx`, async () => {
    const request = fc.record({
      route: fc.constantFrom(...BODY_ROUTES),
      body: hostileJsonBody,
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=latin1') },
      ),
      invalidUtf8: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(
          batch.map(({ route: [method, path], body, contentType, invalidUtf8 }) => {
            const bytes = Buffer.from(body, 'utf8');
            return check(method, path, invalidUtf8 ? Buffer.concat([bytes, Buffer.from([0xff, 0xc3, 0x28])]) : bytes, contentType);
          }),
        );
      }),
      { numRuns: BODY_RUNS / BATCH },
    );
    console.log(`answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  });

  it('when everything has been applied, then what reached the ledger passes the schemas and nothing is polluted', async () => {
    await rt.worker.whenIdle();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    const events = await rt.rows<{ id: string; type: string; status: string; payload: string }>(sql`SELECT id, type, status, payload FROM events ORDER BY id`);
    for (const event of events) {
      expect(() => parseEventPayload(event as never)).not.toThrow();
      expect(['applied', 'held']).toContain(event.status);
    }
    const quantities = await rt.rows<{ quantity: number }>(sql`SELECT quantity FROM ledger_entries ORDER BY id`);
    expect(quantities.every((q) => Number.isInteger(q.quantity) && q.quantity > 0)).toBe(true);
    expect((await rt.http.get('/healthz')).status).toBe(200);
  });
});
