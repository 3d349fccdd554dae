import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { ensureBuilt, spawnServer, startServer, stopAllServers, type ServerProcess } from '../support/server';

// Start-up and shutdown of the built server as a process: generated secrets and the banner
// outside production, refusal to start on missing secrets or invalid configuration, SIGTERM.
// On either backend: with DATABASE_URL the secrets still live in DATABASE_PATH's folder.

jest.setTimeout(60_000);

const NO_SECRETS = { NACHOCODE_WEBHOOK_KEYS: undefined, JWT_SECRET: undefined };

/** stdout is read through a pipe: the banner may land a moment after /healthz answers. */
async function waitForStdout(server: ServerProcess, text: string, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!server.stdout().includes(text) && Date.now() < deadline && !server.exited) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return server.stdout();
}

describe('server start-up and shutdown', () => {
  const databases: TestDatabase[] = [];
  const newDatabase = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };

  beforeAll(() => {
    ensureBuilt();
  }, 120_000);

  afterEach(async () => {
    await stopAllServers();
  });

  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
  });

  test('outside production, missing secrets are generated into secrets.json, shown in the banner, and kept across restarts', async () => {
    const database = await newDatabase();
    const env = { ...NO_SECRETS, NODE_ENV: 'development' };
    const first = await startServer({ database, env });

    const file = path.join(database.dir, 'secrets.json');
    expect(fs.existsSync(file)).toBe(true);
    const secrets = JSON.parse(fs.readFileSync(file, 'utf8')) as { webhookKey?: string; jwtSecret?: string };
    expect(typeof secrets.webhookKey).toBe('string');
    expect(secrets.webhookKey!.length).toBeGreaterThanOrEqual(16);
    expect(typeof secrets.jwtSecret).toBe('string');
    expect(secrets.jwtSecret!.length).toBeGreaterThanOrEqual(32);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const banner = await waitForStdout(first, secrets.webhookKey!);
    expect(banner).toContain(`${first.url}/webhooks/nachocode/purchase`);
    expect(banner).toContain(secrets.webhookKey!);

    // The generated key is the one the server accepts.
    const client = new Client(first.url);
    try {
      const res = await client.request({
        path: '/webhooks/nachocode/purchase',
        method: 'POST',
        headers: { authorization: `Bearer ${secrets.webhookKey}`, 'content-type': 'application/json' },
        body: fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'nachocode', 'purchase.ios.json')),
      });
      const answer = (await res.body.json()) as { received?: boolean };
      expect(res.statusCode).toBe(200);
      expect(answer.received).toBe(true);
    } finally {
      await client.close();
    }

    first.kill('SIGTERM');
    expect(await first.waitForExit(15_000)).toEqual({ code: 0, signal: null });

    const second = await startServer({ database, env });
    const again = JSON.parse(fs.readFileSync(file, 'utf8')) as { webhookKey?: string; jwtSecret?: string };
    expect(again).toEqual(secrets);
    const secondBanner = await waitForStdout(second, secrets.webhookKey!);
    expect(secondBanner).toContain(secrets.webhookKey!);
    expect(secondBanner).toContain(`${second.url}/webhooks/nachocode/purchase`);
    // With DATABASE_URL, PostgreSQL holds the data: no SQLite file appears at DATABASE_PATH.
    expect(fs.existsSync(database.env.DATABASE_PATH)).toBe(database.url === null);
  });

  test('NODE_ENV=production without NACHOCODE_WEBHOOK_KEYS and JWT_SECRET refuses to start and names both', async () => {
    const database = await newDatabase();
    const server = await spawnServer({ database, env: { ...NO_SECRETS, NODE_ENV: 'production' } });
    const exit = await server.waitForExit(15_000);
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(server.stderr()).toContain('NACHOCODE_WEBHOOK_KEYS');
    expect(server.stderr()).toContain('JWT_SECRET');
    // Nothing is generated in production.
    expect(fs.existsSync(path.join(database.dir, 'secrets.json'))).toBe(false);
  });

  test('an invalid configuration refuses to start and names every bad key', async () => {
    const server = await spawnServer({ database: await newDatabase(), env: { PORT: 'abc', BODY_LIMIT: 'huge' } });
    const exit = await server.waitForExit(15_000);
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(server.stderr()).toMatch(/\bPORT\b/);
    expect(server.stderr()).toMatch(/\bBODY_LIMIT\b/);
  });

  test('SIGTERM on an idle server exits with code 0', async () => {
    const server = await startServer({ database: await newDatabase() });
    server.kill('SIGTERM');
    const exit = await server.waitForExit(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.stderr()).not.toMatch(/shutdown failed|second signal/);
  });
});
