import fs from 'node:fs';
import path from 'node:path';
import { nacho } from '../support/fixtures';
import { until } from '../support/outbound-e2e';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../support/backend';
import { sql } from '../../src/storage/sql';
import { ensureBuilt, openStorageFor, startServer, stopAllServers, type ServerProcess } from '../support/server';
import { postWebhook } from '../support/webhooks';
import { holdWriteLock, type HeldLock } from '../support/write-lock';
import type { Storage } from '../../src/storage/port';

// "A 4xx never depends on the database": while another connection keeps raw_requests from being
// written (SQLite's write lock, held from this process; on PostgreSQL a lock on the table), a
// wrong key or an invalid body is answered at once. Its record is written to the spool before the
// answer, so it arrives once the lock is gone, even when the server is killed right after answering.

jest.setTimeout(90_000);

const WRONG_KEY = { authorization: 'Bearer not-the-configured-key-0000' };
// Keyless requests kept per address and hour: the quota still bounds what a busy database records.
const ENV = { RAW_UNVERIFIED_PER_ADDRESS: '2', WORKER_IDLE_POLL_MS: '100' };

let database: TestDatabase;
let reader: Storage;
let server: ServerProcess;
let lock: HeldLock | null = null;

beforeAll(async () => {
  ensureBuilt();
  database = await createTestDatabase();
  server = await startServer({ database, env: ENV });
  // Opened before any lock: reading needs no write, but opening a SQLite file may.
  reader = await openStorageFor(server.env);
}, 120_000);

afterAll(async () => {
  await lock?.release();
  await stopAllServers();
  await reader?.close();
  await database?.drop();
});

async function holdLock(): Promise<void> {
  lock = await holdWriteLock(database);
}
async function releaseLock(): Promise<void> {
  await lock?.release();
  lock = null;
}

/** [reason, iapLogId] of every rejected request recorded, in arrival order. */
async function recorded(): Promise<Array<[string, number]>> {
  const rows = await reader.read.all<{ reason: string; body: Buffer }>(
    sql`SELECT reason, body FROM raw_requests WHERE outcome = 'rejected' ORDER BY received_at, id`,
  );
  return rows.map((r) => [r.reason, (JSON.parse(r.body.toString('utf8')) as { iapLogId: number }).iapLogId]);
}

const spoolDir = () => path.join(database.dir, 'spool');
const spooledSegments = () => (fs.existsSync(spoolDir()) ? fs.readdirSync(spoolDir()).filter((n) => n.endsWith('.ndjson')) : []);

const wrongKey = (iapLogId: number) => postWebhook(server.url, nacho.purchaseIos({ iapLogId }), { headers: WRONG_KEY });
const invalid = (iapLogId: number) => postWebhook(server.url, nacho.purchaseIos({ iapLogId, quantity: 'one' }));

it(`when the database is busy (${TEST_BACKEND}), then a wrong key and an invalid body are answered within 100 ms and recorded once it is free`, async () => {
  // Warm both paths up: first-call costs are not what this measures.
  expect((await wrongKey(1)).status).toBe(401);
  expect((await invalid(2)).status).toBe(422);
  await until(async () => ((await recorded()).length >= 2 ? true : null), 10_000, 'the warm-up requests recorded');
  await until(() => (spooledSegments().length === 0 ? true : null), 10_000, 'the spool drained');

  await holdLock();
  // The third keyless request of the hour is over the quota: answered the same, not kept.
  const answers = [await wrongKey(3), await invalid(4), await wrongKey(5)];
  expect(answers.map((a) => a.status)).toEqual([401, 422, 401]);
  expect(answers.map((a) => (a.body as { error: { code: string } }).error.code)).toEqual(['unauthorized', 'validation_failed', 'unauthorized']);
  process.stdout.write(`\nrejections answered while the database was busy (${TEST_BACKEND}): ${answers.map((a) => `${a.ms.toFixed(1)} ms`).join(', ')}\n`);
  for (const answer of answers) expect(answer.ms).toBeLessThan(100);
  expect(await recorded()).toHaveLength(2);
  await releaseLock();

  await until(async () => ((await recorded()).length >= 4 ? true : null), 20_000, 'the rejections recorded after the lock');
  // A spooled copy whose own write landed after all is skipped: nothing is recorded twice.
  await until(() => (spooledSegments().length === 0 ? true : null), 10_000, 'the spool drained');
  expect(await recorded()).toEqual([
    ['unauthorized', 1],
    ['validation_failed', 2],
    ['unauthorized', 3],
    ['validation_failed', 4],
  ]);
});

it('when the server is killed right after answering a rejection while the database is busy, then the record comes back from the spool on restart', async () => {
  await stopAllServers();
  // A fresh process: its keyless quota is fresh too.
  server = await startServer({ database, env: ENV });
  await holdLock();
  const answers = [await wrongKey(6), await invalid(7)];
  expect(answers.map((a) => a.status)).toEqual([401, 422]);
  server.kill('SIGKILL');
  await server.waitForExit();
  await releaseLock();
  // Its own writes never committed: only the spool has the two records.
  expect((await recorded()).map(([, id]) => id)).toEqual([1, 2, 3, 4]);
  expect(spooledSegments().length).toBeGreaterThan(0);

  server = await startServer({ database, env: ENV });
  await until(async () => ((await recorded()).length >= 6 ? true : null), 20_000, 'the spooled rejections ingested on restart');
  await until(() => (spooledSegments().length === 0 ? true : null), 10_000, 'the spool drained');
  expect((await recorded()).slice(4)).toEqual([
    ['unauthorized', 6],
    ['validation_failed', 7],
  ]);
});
