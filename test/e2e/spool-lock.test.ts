import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { tempDir } from '../support/db';
import { ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';
import { postWebhook, purchase } from '../support/webhooks';

// "Nothing lost when the database cannot write": a second process holds SQLite's write lock for
// longer than the answer budget. Accepted webhooks are synced to the spool and answered 200; once
// the lock is gone the spool is ingested through the normal dedupe and every event is applied.
// SQLite only (test/sqlite-only.json): the server runs on a bare data folder, so on SQLite whatever
// the lane, and the test holds the file's write lock from this process.

jest.setTimeout(60_000);

const BUDGET_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(read: () => T, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = read();
  }
  return value;
}

describe('spool while another process holds the write lock', () => {
  let dataDir: string;
  let server: ServerProcess;
  let locker: BetterSqlite3.Database;

  beforeAll(async () => {
    ensureBuilt();
    dataDir = tempDir('iaphook-e2e-spool-');
    server = await startServer({ dataDir, env: { ANSWER_BUDGET_MS: String(BUDGET_MS), WORKER_IDLE_POLL_MS: '100' } });
    locker = new BetterSqlite3(server.databasePath);
  }, 120_000);

  afterAll(async () => {
    if (locker?.inTransaction) locker.exec('ROLLBACK');
    locker?.close();
    await stopAllServers();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the lock outlasts the answer budget, then purchases are spooled, answered 200, and ingested exactly once after', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => 7_000_000 + i);
    locker.exec('BEGIN IMMEDIATE');
    let answers;
    try {
      // A duplicate of the first purchase and a request with a wrong key ride along.
      answers = await Promise.all([
        ...ids.map((id) => postWebhook(server.url, purchase(id))),
        postWebhook(server.url, purchase(ids[0])),
        postWebhook(server.url, purchase(9_999_999), { headers: { authorization: 'Bearer wrong-key-wrong-key-wrong' } }),
      ]);
      const spoolFiles = fs.readdirSync(path.join(dataDir, 'spool')).filter((n) => n.endsWith('.ndjson'));
      expect(spoolFiles.length).toBeGreaterThan(0);
    } finally {
      locker.exec('COMMIT');
    }
    const accepted = answers.slice(0, ids.length + 1);
    expect(accepted.map((a) => a.status)).toEqual(accepted.map(() => 200));
    expect(accepted.map((a) => a.body)).toEqual(accepted.map(() => ({ received: true, duplicate: null, eventId: null, spooled: true })));
    expect(answers[answers.length - 1].status).toBe(401);

    const reader = new BetterSqlite3(server.databasePath, { readonly: true });
    try {
      const applied = () =>
        reader.prepare(`SELECT iap_log_id AS id, status FROM events WHERE iap_log_id BETWEEN ? AND ?`).all(ids[0], ids[ids.length - 1]) as Array<{
          id: number;
          status: string;
        }>;
      const events = await until(applied, (rows) => rows.length === ids.length && rows.every((r) => r.status === 'applied'), 30_000);
      expect(events.map((e) => e.id).sort()).toEqual(ids);
      expect(events.every((e) => e.status === 'applied')).toBe(true);
      const grants = reader.prepare(`SELECT count(*) AS n FROM ledger_entries WHERE iap_log_id BETWEEN ? AND ?`).get(ids[0], ids[ids.length - 1]) as {
        n: number;
      };
      expect(grants.n).toBe(ids.length);
      const raw = reader
        .prepare(`SELECT outcome, status, response FROM raw_requests WHERE path = '/webhooks/nachocode/purchase' ORDER BY received_at`)
        .all() as Array<{ outcome: string; status: number; response: string }>;
      const outcomes = raw.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.outcome]: (acc[r.outcome] ?? 0) + 1 }), {});
      expect(outcomes).toEqual({ stored: ids.length, duplicate: 1, rejected: 1 });
      // The raw rows keep the answer that was actually sent.
      expect(raw.filter((r) => r.outcome !== 'rejected').every((r) => r.status === 200 && JSON.parse(r.response).spooled === true)).toBe(true);
    } finally {
      reader.close();
    }
    const left = await until(
      () => fs.readdirSync(path.join(dataDir, 'spool')),
      (names) => names.length === 0,
      10_000,
    );
    expect(left).toEqual([]);

    // The database is back: answers are immediate and carry their event id again.
    const after = await postWebhook(server.url, purchase(7_100_000));
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ received: true, duplicate: false, eventId: expect.stringMatching(/^evt_/) });
    expect(server.exited).toBe(false);
  });
});
