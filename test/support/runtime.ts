import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { signToken } from '../../src/http/tokens';
import { buildRuntime, type Runtime } from '../../src/runtime';
import { resolveSecrets } from '../../src/secrets';
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
export function startRuntime(env: Record<string, string> = {}, options: { clock?: Clock; startWorker?: boolean } = {}): TestRuntime {
  const dir = tempDir();
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
    logger: pino({ level: 'silent' }),
    clock: options.clock,
    startWorker: options.startWorker,
    defaultMetrics: false,
  });
  const http = request(runtime.app);
  return Object.assign(runtime, {
    dir,
    http,
    adminToken: () => signToken(JWT_SECRET, { role: 'admin' }),
    userToken: (sub: string) => signToken(JWT_SECRET, { role: 'user', sub }),
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
