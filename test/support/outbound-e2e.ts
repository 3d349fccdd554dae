import { signToken } from '../../src/http/tokens';
import { createTestDatabase, type TestDatabase } from './backend';
import { E2E_JWT_SECRET, ensureBuilt, startServer, stopAllServers, type ServerProcess, type SpawnOptions } from './server';

// What the outbound e2e tests share: the built server on a fresh test database of the lane's
// backend (its folder is the data folder), its default project read from the start-up log,
// FEEDBACK_CREATION subscriptions and feedbacks through the admin API.

const token = signToken(E2E_JWT_SECRET, { role: 'admin', expiresInSeconds: 3600 });

export interface Closable {
  close(): Promise<void>;
}

/**
 * Registers the hooks of an outbound e2e file: one build, a fresh test database per test (restarts
 * within a test reuse it), and after each test no server, no subscriber (those passed to
 * closeAfter) and no database or data folder left behind.
 */
export function outboundE2e(): { database(): TestDatabase; closeAfter<T extends Closable>(subscriber: T): T } {
  let database: TestDatabase | undefined;
  const open: Closable[] = [];
  beforeAll(() => ensureBuilt(), 120_000);
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    try {
      await stopAllServers();
      await Promise.all(open.splice(0).map((s) => s.close()));
    } finally {
      await database?.drop();
      database = undefined;
    }
  });
  return {
    database: () => {
      if (database === undefined) throw new Error('database() is only there inside a test');
      return database;
    },
    closeAfter: (subscriber) => {
      open.push(subscriber);
      return subscriber;
    },
  };
}

export async function api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Polls every 100 ms until probe returns something other than null. */
export async function until<T>(probe: () => Promise<T | null> | T | null, timeoutMs = 10_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface FeedbackDefaults {
  defaultProjectId: number;
  defaultChannelId: number;
}

/** Starts the built server and waits for the start-up log line naming the default project and channel. */
export async function startWithDefaults(options: SpawnOptions): Promise<{ server: ServerProcess; defaults: FeedbackDefaults }> {
  const server = await startServer(options);
  const defaults = await until(
    () => {
      const line = server
        .stdout()
        .split('\n')
        .find((l) => l.includes('feedback: default project and channel'));
      return line === undefined ? null : (JSON.parse(line) as FeedbackDefaults);
    },
    10_000,
    'the default project in the start-up log',
  );
  return { server, defaults };
}

/** An active subscription of the project's FEEDBACK_CREATION events, sent to url. */
export function subscribeToFeedback(server: ServerProcess, projectId: number, name: string, url: string) {
  return api(server, 'POST', `/projects/${projectId}/webhooks`, { name, url, status: 'ACTIVE', events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE' }] });
}

/** A feedback in the default channel: each one emits FEEDBACK_CREATION. */
export function postFeedback(server: ServerProcess, defaults: FeedbackDefaults, message: string) {
  return api(server, 'POST', `/projects/${defaults.defaultProjectId}/channels/${defaults.defaultChannelId}/feedbacks`, { message });
}

export function listDeliveries(server: ServerProcess, projectId: number, webhookId: number, query = '') {
  return api(server, 'GET', `/projects/${projectId}/webhooks/${webhookId}/deliveries${query}`);
}
