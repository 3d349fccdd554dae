import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { Pool } from 'undici';
import type { Storage } from '../../src/storage/port';
import { fn, sql } from '../../src/storage/sql';
import purchaseFixture from '../fixtures/nachocode/purchase.ios.json';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../support/backend';
import {
  E2E_JWT_SECRET,
  E2E_WEBHOOK_KEY,
  PROJECT_ROOT,
  artifactName,
  ensureBuilt,
  httpGet,
  openStorageFor,
  startServer,
  stopAllServers,
} from '../support/server';

// "Nothing acknowledged is lost and nothing is applied twice": a burst of purchases, a SIGKILL
// in the middle of it, a restart on the same data, then the database is checked event by event
// (on either backend, read through the storage port).

const TOTAL = 3_000;
const CONNECTIONS = 50;
const KILL_AFTER_ACKS = 1_000;
const FIRST_IAP_LOG_ID = 1_000_000;
const APPLY_WAIT_MS = 60_000;

jest.setTimeout(120_000);

interface Outcome {
  /** HTTP status, or null when the request failed without an answer. */
  status: number | null;
  eventId: string | null;
  error: string | null;
}

function purchaseBody(i: number): string {
  // Distinct store transaction ids too: real purchases never share one, and a shared id makes
  // every apply report a duplicate_transaction_id anomaly listing all the earlier purchases.
  const transactionId = String(2_000_000_871_000_000 + i);
  return JSON.stringify({
    ...purchaseFixture,
    iapLogId: FIRST_IAP_LOG_ID + i,
    userId: `crash-user-${i % 200}`,
    data: { ...purchaseFixture.data, originalTransactionId: transactionId, transactionId },
  });
}

/**
 * A look at what the killed server left (on SQLite, its -wal file included), before the restart.
 * The storage goes to `open` and stays open until the test ends: on SQLite, closing the last
 * connection would checkpoint the crash's WAL into the file, and the restart is meant to find the
 * data exactly as the crash left it.
 */
async function snapshotAfterCrash(env: Record<string, string>, open: Storage[]): Promise<Record<string, unknown>> {
  try {
    const storage = await openStorageFor(env);
    open.push(storage);
    const events = await storage.read.all<{ status: string; n: number }>(sql`SELECT status, count(*) AS n FROM events GROUP BY status ORDER BY status`);
    const jobs = await storage.read.all<{ state: string; n: number }>(sql`SELECT state, count(*) AS n FROM jobs GROUP BY state ORDER BY state`);
    return {
      events: Object.fromEntries(events.map((r) => [r.status, r.n])),
      jobs: Object.fromEntries(jobs.map((r) => [r.state, r.n])),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash during a burst of webhooks', () => {
  let database: TestDatabase | undefined;
  const readers: Storage[] = [];

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
  }, 120_000);

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await stopAllServers();
  });

  afterAll(async () => {
    if (database === undefined) return;
    if (process.env.KEEP_E2E_DATA === undefined) await database.drop();
    else console.log(`KEEP_E2E_DATA: kept ${database.url ?? database.env.DATABASE_PATH} (data folder ${database.dir})`);
  });

  test('every acknowledged purchase survives a SIGKILL and is applied exactly once after restart', async () => {
    const env = { JOB_LEASE_MS: '2000', WORKER_IDLE_POLL_MS: '200' };
    const first = await startServer({ database: database!, env });

    // ---- 1. The burst, killed after ~1,000 acknowledgements --------------------------------
    const outcomes = new Map<number, Outcome>();
    const pool = new Pool(first.url, { connections: CONNECTIONS, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const headers = { authorization: `Bearer ${E2E_WEBHOOK_KEY}`, 'content-type': 'application/json' };
    let next = 0;
    let acked = 0;
    let killedAt: number | null = null;
    const burstStarted = Date.now();

    const lane = async () => {
      while (killedAt === null && !first.exited) {
        const i = next++;
        if (i >= TOTAL) return;
        const iapLogId = FIRST_IAP_LOG_ID + i;
        let outcome: Outcome;
        try {
          const res = await pool.request({
            path: '/webhooks/nachocode/purchase',
            method: 'POST',
            headers,
            body: purchaseBody(i),
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          let eventId: string | null = null;
          let error: string | null = null;
          try {
            const answer = (await res.body.json()) as { eventId?: unknown };
            eventId = typeof answer.eventId === 'string' ? answer.eventId : null;
          } catch (bodyError) {
            error = `body: ${(bodyError as Error).message}`;
          }
          outcome = { status: res.statusCode, eventId, error };
          if (res.statusCode === 200) {
            acked++;
            if (acked >= KILL_AFTER_ACKS && killedAt === null) {
              killedAt = Date.now();
              first.kill('SIGKILL');
            }
          }
        } catch (error) {
          const e = error as Error & { code?: string };
          outcome = { status: null, eventId: null, error: e.code ?? e.message };
        }
        outcomes.set(iapLogId, outcome);
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, lane));
    const burstMs = Date.now() - burstStarted;
    await pool.destroy().catch(() => undefined);
    const firstExit = await first.waitForExit(10_000);

    expect(killedAt).not.toBeNull();
    expect(firstExit.signal).toBe('SIGKILL');

    const ackedIds = new Map<number, string | null>(); // iapLogId -> eventId from the answer
    const statusCounts = new Map<string, number>();
    const errorCounts = new Map<string, number>();
    for (const [iapLogId, o] of outcomes) {
      const key = o.status === null ? 'no answer' : String(o.status);
      statusCounts.set(key, (statusCounts.get(key) ?? 0) + 1);
      if (o.status === 200) ackedIds.set(iapLogId, o.eventId);
      if (o.error !== null) errorCounts.set(o.error, (errorCounts.get(o.error) ?? 0) + 1);
    }
    const sent = outcomes.size;
    const notSent = TOTAL - sent;
    // The payloads are valid: any 4xx would be a bug in this test or in the receiver.
    const clientErrors = [...outcomes.values()].filter((o) => o.status !== null && o.status >= 400 && o.status < 500);
    expect(clientErrors).toEqual([]);
    expect(ackedIds.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(ackedIds.size).toBeLessThan(TOTAL);
    // A 200 whose body could not be read is still an acknowledgement (the commit came first), but
    // then there is no event id to compare; expect none in practice.
    const ackedWithoutId = [...ackedIds.values()].filter((id) => id === null).length;

    // What the crash left behind, for the figures only: how much of the burst the worker had applied.
    const atCrash = await snapshotAfterCrash(first.env, readers);

    // ---- 2. Restart on the same data and wait for the worker to drain ----------------------
    const restarted = await startServer({ database: database!, env });
    const restartedAt = Date.now();
    const reader = await openStorageFor(restarted.env);
    readers.push(reader);
    const readEvents = () =>
      reader.read.all<{ id: string; iapLogId: number; environment: string; status: string; error: string | null }>(
        sql`SELECT id, iap_log_id AS "iapLogId", environment, status, error FROM events WHERE type = 'purchase' ORDER BY iap_log_id, id`,
      );
    const openJobs = async () => (await reader.read.get<{ n: number }>(sql`SELECT count(*) AS n FROM jobs WHERE state IN ('pending', 'running')`))!.n;

    let events = await readEvents();
    let pendingJobs = await openJobs();
    const deadline = Date.now() + APPLY_WAIT_MS;
    while ((events.some((e) => e.status !== 'applied') || pendingJobs > 0) && Date.now() < deadline && !restarted.exited) {
      await sleep(100);
      events = await readEvents();
      pendingJobs = await openJobs();
    }
    const drainMs = Date.now() - restartedAt;
    const notApplied = events.filter((e) => e.status !== 'applied');

    // ---- 3. The checks ------------------------------------------------------------------------
    const grants = new Map<string, number>();
    for (const row of await reader.read.all<{ eventId: string; n: number }>(
      sql`SELECT event_id AS "eventId", count(*) AS n FROM ledger_entries WHERE kind = 'grant' GROUP BY event_id ORDER BY event_id`,
    )) {
      grants.set(row.eventId, row.n);
    }
    const appliedTwice = await reader.read.all<{ eventId: string; n: number }>(
      sql`SELECT event_id AS "eventId", count(*) AS n FROM ledger_entries GROUP BY event_id HAVING count(*) > 1 ORDER BY event_id`,
    );
    const jobsByEvent = new Map<string, string[]>();
    for (const row of await reader.read.all<{ eventId: string; state: string }>(
      sql`SELECT ${fn.jsonText(sql`payload`, 'eventId')} AS "eventId", state FROM jobs WHERE kind = 'apply-iap-event' ORDER BY id`,
    )) {
      jobsByEvent.set(row.eventId, [...(jobsByEvent.get(row.eventId) ?? []), row.state]);
    }
    const purchasesStored = (await reader.read.get<{ n: number }>(sql`SELECT count(*) AS n FROM purchases`))!.n;
    const eventsByIapLogId = new Map<number, typeof events>();
    for (const e of events) eventsByIapLogId.set(e.iapLogId, [...(eventsByIapLogId.get(e.iapLogId) ?? []), e]);

    const lost: number[] = [];
    const wrongId: Array<{ iapLogId: number; answered: string | null; stored: string[] }> = [];
    const ackedNotApplied: Array<{ iapLogId: number; status: string; error: string | null }> = [];
    const ackedGrantCount: Array<{ iapLogId: number; grants: number }> = [];
    const ackedOpenJobs: Array<{ iapLogId: number; jobs: string[] }> = [];
    for (const [iapLogId, eventId] of ackedIds) {
      const rows = eventsByIapLogId.get(iapLogId) ?? [];
      if (rows.length === 0) {
        lost.push(iapLogId);
        continue;
      }
      if (rows.length !== 1 || (eventId !== null && rows[0].id !== eventId)) {
        wrongId.push({ iapLogId, answered: eventId, stored: rows.map((r) => r.id) });
      }
      const row = rows[0];
      if (row.status !== 'applied') ackedNotApplied.push({ iapLogId, status: row.status, error: row.error });
      const n = grants.get(row.id) ?? 0;
      if (n !== 1) ackedGrantCount.push({ iapLogId, grants: n });
      const jobs = jobsByEvent.get(row.id) ?? [];
      if (jobs.length === 0 || jobs.some((s) => s !== 'succeeded')) ackedOpenJobs.push({ iapLogId, jobs });
    }
    // Unacknowledged events may or may not be stored; any that is must be applied exactly once.
    const storedNotAcked = events.filter((e) => !ackedIds.has(e.iapLogId));
    const strayEvents = events.filter((e) => !outcomes.has(e.iapLogId)); // never sent: impossible
    const storedBadGrantCount = events.filter((e) => (grants.get(e.id) ?? 0) !== 1).map((e) => ({ iapLogId: e.iapLogId, grants: grants.get(e.id) ?? 0 }));
    const storedOpenJobs = events
      .filter((e) => (jobsByEvent.get(e.id) ?? []).some((s) => s !== 'succeeded') || !jobsByEvent.has(e.id))
      .map((e) => ({ iapLogId: e.iapLogId, jobs: jobsByEvent.get(e.id) ?? [] }));

    // The admin API agrees that nothing is stuck.
    const adminToken = jwt.sign({ role: 'admin' }, E2E_JWT_SECRET, { algorithm: 'HS256', expiresIn: '1h' });
    const stuck: Record<string, number> = {};
    for (const status of ['received', 'held', 'failed', 'dead']) {
      const res = await httpGet(`${restarted.url}/api/events?status=${status}&limit=200`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status).toBe(200);
      stuck[status] = (JSON.parse(res.body) as { data: unknown[] }).data.length;
    }

    const figures = {
      backend: TEST_BACKEND,
      total: TOTAL,
      sent,
      notSent,
      acknowledged: ackedIds.size,
      acknowledgedWithoutEventId: ackedWithoutId,
      unacknowledged: TOTAL - ackedIds.size,
      failedRequests: sent - ackedIds.size,
      answers: Object.fromEntries(statusCounts),
      errors: Object.fromEntries(errorCounts),
      foundInDatabase: events.length,
      storedButNotAcknowledged: storedNotAcked.length,
      applied: events.filter((e) => e.status === 'applied').length,
      grantEntries: [...grants.values()].reduce((a, b) => a + b, 0),
      purchasesRows: purchasesStored,
      appliedTwice: appliedTwice.length,
      acknowledgedLost: lost.length,
      acknowledgedNotApplied: ackedNotApplied.length,
      openJobsAfterDrain: pendingJobs,
      stuckViaAdminApi: stuck,
      atCrash,
      burstMs,
      drainAfterRestartMs: drainMs,
    };
    console.log(`crash test figures:\n${JSON.stringify(figures, null, 2)}`);
    const artifacts = path.join(PROJECT_ROOT, 'test', 'artifacts');
    fs.mkdirSync(artifacts, { recursive: true });
    fs.writeFileSync(path.join(artifacts, artifactName('crash-test.json')), `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2)}\n`);

    expect(restarted.exited).toBe(false);
    expect(lost).toEqual([]);
    expect(wrongId).toEqual([]);
    expect(ackedNotApplied).toEqual([]);
    expect(ackedGrantCount).toEqual([]);
    expect(ackedOpenJobs).toEqual([]);
    expect(appliedTwice).toEqual([]);
    expect(notApplied).toEqual([]);
    expect(storedBadGrantCount).toEqual([]);
    expect(storedOpenJobs).toEqual([]);
    expect(strayEvents).toEqual([]);
    expect(pendingJobs).toBe(0);
    expect(events.length).toBeGreaterThanOrEqual(ackedIds.size);
    expect(events.length).toBeLessThanOrEqual(sent);
    expect(purchasesStored).toBe(events.length);
    expect(stuck).toEqual({ received: 0, held: 0, failed: 0, dead: 0 });

    // ---- 4. Graceful shutdown of the restarted server ------------------------------------------
    restarted.kill('SIGTERM');
    const exit = await restarted.waitForExit(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
