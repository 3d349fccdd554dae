import fc from 'fast-check';
import { Pool } from 'undici';
import { parseEventPayload } from '../../src/ledger/payload';
import { hostileWebhook, type HostileRequest } from '../support/hostile';
import { listen, sql, startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// Property: whatever arrives at the receiver (10,000 generated requests: random JSON of the wrong
// types, deep nesting, huge numbers, __proto__/constructor keys, bytes that are not UTF-8, missing,
// wrong and repeated headers), the answer is never a 5xx, the process keeps serving, and only
// events that pass the schemas reach the ledger.

jest.setTimeout(180_000);

// Sent in concurrent batches so their commits overlap, as under real load (SQLite's group committer
// batches them, PostgreSQL runs them side by side); fast-check still shrinks a failing batch to the
// request that broke it.
const BATCH = 25;
const RUNS = 10_000;
const ALLOWED = new Set([200, 400, 401, 404, 405, 409, 413, 415, 422]);

describe('hostile webhooks', () => {
  let rt: TestRuntime;
  let server: Awaited<ReturnType<typeof listen>>;
  let pool: Pool;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    rt = await startRuntime({}, { startWorker: false });
    rt.worker.start(); // the ledger applies what is accepted; no outbound deliveries here
    server = await listen(rt.app);
    pool = new Pool(server.url, { connections: BATCH });
  });

  afterAll(async () => {
    await pool.close();
    await server.close();
    await rt.stop();
  });

  async function send(req: HostileRequest): Promise<{ status: number; body: unknown } | null> {
    let res;
    try {
      res = await pool.request({ method: req.method as 'POST', path: req.path, headers: req.headers, body: req.body ?? undefined });
    } catch (error) {
      // undici refuses some header combinations before sending: nothing reached the server.
      if ((error as { code?: string }).code === 'UND_ERR_INVALID_ARG') return null;
      throw error;
    }
    const text = await res.body.text();
    return { status: res.statusCode, body: JSON.parse(text) as unknown };
  }

  it(`when ${RUNS.toLocaleString('en')} hostile requests arrive, then none gets a 5xx and each answer is a JSON contract answer`, async () => {
    const check = async (req: HostileRequest) => {
      const answer = await send(req);
      if (answer === null) return;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(ALLOWED.has(answer.status)).toBe(true);
      const body = answer.body as { received?: boolean; error?: { code: string; message: string } };
      if (answer.status === 200) expect(body.received).toBe(true);
      else expect(body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      // The body-reading error path must not be where internal errors hide.
      expect(body.error?.message ?? '').not.toContain('unknown error');
    };
    await fc.assert(
      fc.asyncProperty(fc.array(hostileWebhook(WEBHOOK_KEY), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(batch.map(check));
      }),
      { numRuns: RUNS / BATCH },
    );
    console.log(`answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
  });

  it('when the ledger has applied what was accepted, then every stored event passes the schemas and nothing is polluted', async () => {
    await rt.worker.whenIdle();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    const events = await rt.rows<{ id: string; type: string; status: string; payload: string }>(sql`SELECT id, type, status, payload FROM events ORDER BY id`);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(() => parseEventPayload(event as never)).not.toThrow();
      // As keys: "__proto__" is a fine value (a user may be called that), never a stored key.
      expect(event.payload).not.toMatch(/"__proto__"\s*:/);
      expect(event.payload).not.toMatch(/"constructor"\s*:\s*\{\s*"prototype"/);
      expect(['applied', 'held']).toContain(event.status);
    }
    const entries = await rt.rows<{ quantity: number; status: string | null }>(
      sql`SELECT e.quantity, ev.status FROM ledger_entries e LEFT JOIN events ev ON ev.id = e.event_id ORDER BY e.id`,
    );
    for (const entry of entries) {
      expect(Number.isInteger(entry.quantity) && entry.quantity > 0).toBe(true);
      expect(entry.status).toBe('applied');
    }
    expect((await rt.http.get('/healthz')).status).toBe(200);
  });
});
