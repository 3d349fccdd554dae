import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import type { Resolver, Worker } from '../../src/delivery';
import { signToken } from '../../src/http/tokens';
import { buildRuntime, type Runtime } from '../../src/runtime';
import { resolveSecrets } from '../../src/secrets';
import type { Clock } from '../../src/shared/clock';
import type { Row } from '../../src/storage/port';
import type { Sql } from '../../src/storage/sql';
import { createTestDatabase, type TestDatabase } from './backend';

export { sql } from '../../src/storage/sql';
export { TEST_BACKEND, tempDir } from './backend';

export const WEBHOOK_KEY = 'test-webhook-key-0001-aaaaaaaa';
export const ROTATED_KEY = 'test-webhook-key-0002-bbbbbbbb';
export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

export interface TestRuntime extends Runtime {
  /** The data folder (secrets, spool; the SQLite file on SQLite). */
  dir: string;
  database: TestDatabase;
  /** Tests never run the apply thread: the inbound worker is always in process. */
  worker: Worker;
  http: ReturnType<typeof request>;
  adminToken(): string;
  userToken(sub: string): string;
  /** Posts a JSON body to a webhook route with the test key. */
  post(route: string, body: unknown, key?: string | null): request.Test;
  /** Reads rows for assertions, outside any transaction. */
  rows<T = Row>(query: Sql): Promise<T[]>;
  /** Closes everything and drops the database (unless it was handed in: a restart test owns it). */
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  startWorker?: boolean;
  /** Reuse a database (a restart); a fresh one when absent. */
  database?: TestDatabase;
  /** DNS for outbound subscriber hosts. */
  resolve?: Resolver;
  logger?: pino.Logger;
  /** Node's default process metrics (off by default: they cost a scrape's time in every test). */
  defaultMetrics?: boolean;
}

/** The real runtime on a fresh database of the backend under test, as main.ts wires it. */
export async function startRuntime(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestRuntime> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    ...database.env,
    NACHOCODE_WEBHOOK_KEYS: `${WEBHOOK_KEY},${ROTATED_KEY}`,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    LOG_REQUESTS: 'false',
    WORKER_IDLE_POLL_MS: '50',
    // These tests read a rejected request right after its answer. With the default 25 ms, a commit
    // slowed by a loaded machine would lose the race (the record lands a moment later, from the
    // write or the spool); test/e2e/rejections-busy-database.test.ts runs the default.
    REJECTED_ANSWER_BUDGET_MS: '1000',
    ...env,
  });
  let runtime: Runtime;
  try {
    runtime = await buildRuntime(resolveSecrets(config).config, {
      logger: options.logger ?? pino({ level: 'silent' }),
      clock: options.clock,
      startWorker: options.startWorker,
      resolve: options.resolve,
      defaultMetrics: options.defaultMetrics ?? false,
    });
  } catch (error) {
    if (options.database === undefined) await database.drop();
    throw error;
  }
  if (runtime.worker === null) throw new Error('test runtimes apply events in process');
  const http = request(runtime.app);
  return Object.assign(runtime, {
    dir: database.dir,
    database,
    worker: runtime.worker,
    http,
    // Issued on the runtime's clock, as a token CLI on the same machine would: a ManualClock set
    // months back or moved days ahead must not make a fresh token look too long-lived or expired.
    adminToken: () => signToken(JWT_SECRET, { role: 'admin', now: options.clock?.now() }),
    userToken: (sub: string) => signToken(JWT_SECRET, { role: 'user', sub, now: options.clock?.now() }),
    post(route: string, body: unknown, key: string | null = WEBHOOK_KEY) {
      const req = http.post(route).set('Content-Type', 'application/json');
      if (key !== null) req.set('Authorization', `Bearer ${key}`);
      return req.send(typeof body === 'string' ? body : JSON.stringify(body));
    },
    rows: <T = Row>(query: Sql) => runtime.storage.read.all<T>(query),
    async stop() {
      await runtime.close(5000);
      if (options.database === undefined) await database.drop();
    },
  });
}

/**
 * Serves an app on 127.0.0.1 and a free port, for tests that need a real socket (server-sent
 * events, the sample sender). close() also ends open keep-alive and streaming connections.
 */
export async function listen(app: import('node:http').RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
