import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { signToken } from '../../src/http/tokens';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { E2E_JWT_SECRET, E2E_WEBHOOK_KEY, ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';

// Several real server processes on one PostgreSQL database: what a team running two replicas has.

export interface Cluster {
  database: TestDatabase;
  servers: ServerProcess[];
  /** Another instance on the same database, with its own data folder (its spool is its own). */
  add(env?: Record<string, string>): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export async function startCluster(count: number, env: Record<string, string> = {}): Promise<Cluster> {
  ensureBuilt();
  const database = await createTestDatabase('postgres');
  const servers: ServerProcess[] = [];
  const add = async (extra: Record<string, string> = {}) => {
    const dataDir = path.join(database.dir, `instance-${servers.length + 1}`);
    const server = await startServer({ dataDir, env: { DATABASE_URL: database.url as string, ...env, ...extra } });
    servers.push(server);
    return server;
  };
  // All at the same moment: migrations and defaults must cope with instances racing on an empty database.
  await Promise.all(Array.from({ length: count }, () => add()));
  return {
    database,
    servers,
    add,
    stop: async () => {
      await stopAllServers();
      await database.drop();
    },
  };
}

export const adminToken = () => signToken(E2E_JWT_SECRET, { role: 'admin', expiresInSeconds: 3600 });

export async function api<T = Record<string, unknown>>(
  server: ServerProcess,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken()}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

export async function postWebhook(server: ServerProcess, route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${E2E_WEBHOOK_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls until check() returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Received {
  webhookId: string;
  at: number;
}

/** A subscriber that answers after delayMs and records every request and how many were in flight at once. */
export async function slowSubscriber(delayMs: number) {
  const received: Received[] = [];
  const open = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const webhookId = String(req.headers['webhook-id'] ?? '');
    req.resume();
    req.on('end', () => {
      received.push({ webhookId, at: Date.now() });
      open.add(webhookId);
      const done = () => {
        inFlight -= 1;
        open.delete(webhookId);
      };
      // A sender killed mid-request closes the socket: that attempt is over too.
      res.on('close', () => open.has(webhookId) && done());
      setTimeout(() => {
        if (open.has(webhookId)) done();
        res.end('ok');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Requests received and not yet answered. */
    inFlightIds: () => new Set(open),
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
