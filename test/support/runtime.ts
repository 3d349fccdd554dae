import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { signToken } from '../../src/http/tokens';
import { buildRuntime, type Runtime } from '../../src/runtime';
import { resolveSecrets } from '../../src/secrets';
import type { Resolver } from '../../src/delivery';
import type { Clock } from '../../src/shared/clock';
import { tempDir } from './db';
import fs from 'node:fs';

export const WEBHOOK_KEY = 'test-webhook-key-0001-aaaaaaaa';
export const ROTATED_KEY = 'test-webhook-key-0002-bbbbbbbb';
export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

export interface TestRuntime extends Runtime {
  dir: string;
  http: ReturnType<typeof request>;
  adminToken(): string;
  userToken(sub: string): string;
  /** Posts a JSON body to a webhook route with the test key. */
  post(route: string, body: unknown, key?: string | null): request.Test;
  /** Closes everything and deletes the temporary folder. */
  stop(): Promise<void>;
}

/** The real runtime on a fresh SQLite file in a temp folder, as main.ts wires it. */
export interface StartOptions {
  clock?: Clock;
  startWorker?: boolean;
  /** Reuse a data folder (a restart); a fresh temp folder when absent. */
  dir?: string;
  /** DNS for outbound subscriber hosts. */
  resolve?: Resolver;
  logger?: pino.Logger;
}

export function startRuntime(env: Record<string, string> = {}, options: StartOptions = {}): TestRuntime {
  const dir = options.dir ?? tempDir();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_PATH: path.join(dir, 'iaphook.db'),
    NACHOCODE_WEBHOOK_KEYS: `${WEBHOOK_KEY},${ROTATED_KEY}`,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    LOG_REQUESTS: 'false',
    WORKER_IDLE_POLL_MS: '50',
    ...env,
  });
  const runtime = buildRuntime(resolveSecrets(config).config, {
    logger: options.logger ?? pino({ level: 'silent' }),
    clock: options.clock,
    startWorker: options.startWorker,
    resolve: options.resolve,
    defaultMetrics: false,
  });
  const http = request(runtime.app);
  return Object.assign(runtime, {
    dir,
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
    async stop() {
      await runtime.close(5000);
      fs.rmSync(dir, { recursive: true, force: true });
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
