import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { tempDir } from '../support/db';
import { ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';
import { postWebhook, purchase } from '../support/webhooks';

// When neither the database nor the spool can take a webhook, the answer is a 503 with a JSON
// error (the only case the receiver admits it did not keep an event), and the process stays up.
// SQLite only (test/sqlite-only.json): the database is made unavailable by holding the SQLite
// file's write lock from this process, so the server runs on a bare data folder (SQLite).

jest.setTimeout(60_000);

const ENV = { ANSWER_BUDGET_MS: '300', SQLITE_BUSY_TIMEOUT_MS: '300' };

/** Makes a folder unwritable even for root (chattr +i), else by mode; false when neither works here. */
function makeReadOnly(dir: string): boolean {
  try {
    if (process.getuid?.() === 0) execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    else fs.chmodSync(dir, 0o555);
  } catch {
    return false;
  }
  try {
    fs.writeFileSync(path.join(dir, 'probe'), 'x');
    fs.rmSync(path.join(dir, 'probe'));
    return false;
  } catch {
    return true;
  }
}

function makeWritable(dir: string): void {
  try {
    if (process.getuid?.() === 0) execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    fs.chmodSync(dir, 0o755);
  } catch {
    // best effort: the folder is removed next
  }
}

/** Lowers the server's file-size limit to 0, so every file write fails with EFBIG: a full disk. */
function setFileSizeLimit(pid: number, limit: '0' | 'unlimited'): boolean {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--fsize=${limit}:`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function whileLocked<T>(file: string, work: () => Promise<T>): Promise<T> {
  const locker = new BetterSqlite3(file);
  locker.exec('BEGIN IMMEDIATE');
  try {
    return await work();
  } finally {
    locker.exec('COMMIT');
    locker.close();
  }
}

async function expectUnavailableThenRecovery(server: ServerProcess, makeSpoolFail: () => boolean, restore: () => void): Promise<boolean> {
  const failing = makeSpoolFail();
  if (!failing) return false;
  // The spool is made usable again before the lock goes, so no write meets both failures at once.
  const answers = await whileLocked(server.databasePath, async () => {
    try {
      return await Promise.all([
        postWebhook(server.url, purchase(8_000_001)),
        postWebhook(server.url, purchase(8_000_002), { headers: { authorization: 'Bearer nope' } }),
      ]);
    } finally {
      restore();
    }
  });
  expect(answers[0].status).toBe(503);
  expect(answers[0].body).toMatchObject({ error: { code: 'service_unavailable', message: expect.any(String) } });
  // A rejection does not depend on storage: it is still answered as what it is.
  expect(answers[1].status).toBe(401);
  expect(server.exited).toBe(false);
  // Recovered: answers are 200 again, and soon stored at once rather than spooled.
  let after = await postWebhook(server.url, purchase(8_000_003));
  for (let id = 8_000_004; after.status === 200 && (after.body as { spooled?: boolean }).spooled === true && id < 8_000_050; id++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await postWebhook(server.url, purchase(id));
  }
  expect(after.status).toBe(200);
  expect(after.body).toMatchObject({ received: true, duplicate: false, eventId: expect.stringMatching(/^evt_/) });
  return true;
}

describe('when the spool cannot be written either', () => {
  let dataDir: string;
  const readOnly: string[] = [];

  beforeAll(() => {
    ensureBuilt();
    dataDir = tempDir('iaphook-e2e-nospool-');
  }, 120_000);

  afterAll(async () => {
    await stopAllServers();
    readOnly.forEach(makeWritable);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the spool folder is read-only and the database locked, then the answer is a 503 JSON error and the server recovers', async () => {
    const spoolDir = path.join(dataDir, 'read-only-spool');
    fs.mkdirSync(spoolDir);
    readOnly.push(spoolDir);
    const server = await startServer({ dataDir: path.join(dataDir), env: { ...ENV, SPOOL_DIR: spoolDir } });
    const ran = await expectUnavailableThenRecovery(
      server,
      () => makeReadOnly(spoolDir),
      () => makeWritable(spoolDir),
    );
    if (!ran) console.warn('skipped: cannot make a folder read-only on this machine');
    server.kill('SIGTERM');
    await server.waitForExit();
  });

  test('when the disk is full (file size limit 0) and the database locked, then the answer is a 503 JSON error and the server recovers', async () => {
    const server = await startServer({ dataDir: tempDir('iaphook-e2e-full-'), env: ENV });
    const pid = server.child.pid ?? 0;
    const ran = await expectUnavailableThenRecovery(
      server,
      () => setFileSizeLimit(pid, '0'),
      () => void setFileSizeLimit(pid, 'unlimited'),
    );
    if (!ran) console.warn('skipped: prlimit is not available on this machine');
    server.kill('SIGTERM');
    await server.waitForExit();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  });
});
