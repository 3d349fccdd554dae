import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { signToken } from '../../src/http/tokens';
import { CHROMIUM_ARGS, CHROMIUM_INSTALL_TIMEOUT_MS, findChromium } from '../support/chromium';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/backend';
import { until } from '../support/outbound-e2e';
import { E2E_JWT_SECRET, ensureBuilt, PROJECT_ROOT, startServer, stopAllServers, type ServerProcess } from '../support/server';

// The security review's browser findings, replayed with a real Chromium signed in to the built
// server while an attacker's pages are served from another port of 127.0.0.1 (the same site, so
// SameSite=Strict does not keep the cookie back; another origin all the same).

jest.setTimeout(120_000);

let server: ServerProcess;
let database: TestDatabase | undefined;
let attacker: { url: string; close(): Promise<void> };
let context: BrowserContext;
let page: Page;
const dirs: string[] = [];
/** Pages the attacker serves: path → HTML (inline script is the attacker's own business). */
const attackPages = new Map<string, string>();

function serveAttacker(): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const html = attackPages.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(html === undefined ? 404 : 200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            srv.close(() => done());
            srv.closeAllConnections();
          }),
      });
    });
  });
}

// First an installed Chromium or Chrome (CHROMIUM_PATH, the usual paths; as root with apt-get,
// Debian's chromium is installed first, hence the long timeout), so a machine without one fails
// with the one line that says what to run, before anything is started.
beforeAll(async () => {
  const chromiumPath = await findChromium();
  ensureBuilt();
  database = await createTestDatabase();
  const profile = tempDir('iaphook-e2e-chromium-');
  dirs.push(profile);
  server = await startServer({ database });
  attacker = await serveAttacker();
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  page = context.pages()[0] ?? (await context.newPage());
}, CHROMIUM_INSTALL_TIMEOUT_MS + 150_000);

afterAll(async () => {
  try {
    await context?.close();
    await attacker?.close();
    await stopAllServers();
  } finally {
    await database?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
});

const adminToken = () => signToken(E2E_JWT_SECRET, { role: 'admin', expiresInSeconds: 600 });

/** The admin API as the test's own client (Bearer, not the browser). */
async function api<T>(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await request(`${server.url}${pathAndQuery}`, {
    method,
    headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

async function signIn(): Promise<void> {
  await page.goto(`${server.url}/inspector/signin#token=${adminToken()}`);
  await page.waitForURL(`${server.url}/inspector`);
  await page.waitForSelector('#live.on');
}

interface Snapshot {
  bins: Array<{ id: string; requestCount: number }>;
  requests: string[];
  entitlements: unknown[];
  events: number;
}

async function snapshot(userId: string): Promise<Snapshot> {
  const bins = (await api<{ data: Array<{ id: string; requestCount: number }> }>('GET', '/api/bins')).body.data.map((b) => ({
    id: b.id,
    requestCount: b.requestCount,
  }));
  const requests = (await api<{ data: Array<{ id: string }> }>('GET', '/api/inspector/requests?limit=500')).body.data.map((r) => r.id);
  const entitlements = (await api<{ entitlements: unknown[] }>('GET', `/api/users/${userId}/entitlements?environment=production`)).body.entitlements;
  const events = (await api<{ data: unknown[] }>('GET', '/api/events?limit=200')).body.data.length;
  return { bins, requests, entitlements, events };
}

describe('an attacker page on another port of the same host', () => {
  it('when it forges a replay, a bin by text/plain form and 100 no-cors fetches, then every one is refused and nothing changes', async () => {
    const purchase = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/nachocode/purchase.ios.json'), 'utf8')) as Record<string, unknown>;
    const forged = {
      ...purchase,
      userId: 'forged-user',
      productId: 'com.example.app.premium',
      productType: 'non-consumable',
      environment: 'production',
      iapLogId: 920_001,
    };
    const keyless = await request(`${server.url}/webhooks/nachocode/purchase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(forged),
    });
    expect(keyless.statusCode).toBe(401);
    await keyless.body.dump();
    // A rejection is answered without waiting for its record, which lands a moment later.
    const rejectedId = await until(
      async () => (await api<{ data: Array<{ id: string }> }>('GET', '/api/inspector/requests?outcome=rejected&q=920001&limit=1')).body.data[0]?.id ?? null,
      10_000,
      'the keyless request recorded',
    );
    // Bins with captures, which an eviction flood would delete.
    for (let i = 0; i < 2; i += 1) {
      const bin = await api<{ url: string }>('POST', '/api/bins', { name: `kept ${i}` });
      await (await request(bin.body.url, { method: 'POST', body: 'captured' })).body.dump();
    }
    await signIn();
    const before = await snapshot('forged-user');

    const target = server.url;
    attackPages.set(
      '/replay',
      `<form method="POST" action="${target}/api/inspector/requests/${rejectedId}/replay?acceptUnverified=true"></form>
       <script>document.forms[0].submit()</script>`,
    );
    attackPages.set(
      '/bin-form',
      `<form method="POST" enctype="text/plain" action="${target}/api/bins"><input name='{"name":"x","a":"' value='"}'></form>
       <script>document.forms[0].submit()</script>`,
    );
    attackPages.set(
      '/bin-flood',
      `<script>
        const calls = [];
        for (let i = 0; i < 100; i++) calls.push(fetch('${target}/api/bins', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).catch(() => null));
        Promise.all(calls).then(() => { document.title = 'flood done'; });
      </script>`,
    );

    await page.goto(`${attacker.url}/replay`);
    await page.waitForURL((url) => url.origin === server.url);
    expect(await page.textContent('body')).toContain('"forbidden"');
    await page.goto(`${attacker.url}/bin-form`);
    await page.waitForURL((url) => url.origin === server.url);
    expect(await page.textContent('body')).toContain('"forbidden"');
    await page.goto(`${attacker.url}/bin-flood`);
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'flood done', undefined, {
      timeout: 30_000,
    });

    // Give a replay that got through every chance to be applied before comparing.
    await new Promise((r) => setTimeout(r, 500));
    const after = await snapshot('forged-user');
    expect(after).toEqual(before);
    expect(after.entitlements).toEqual([]);

    // The same browser on iaphook's own page still works: the refusals are about origin, not the session.
    await page.goto(`${server.url}/inspector`);
    await page.waitForSelector('#live.on');
    await page.click('#new-bin');
    await page.waitForSelector('#bin-url');
    expect((await snapshot('forged-user')).bins).toHaveLength(before.bins.length + 1);
  });
});

describe('signing in from a link', () => {
  it.each(['/.//', '/..//', '/inspector/..//', '/%2e//'])('when next starts with %s and names another host, then sign-in stays on iaphook', async (prefix) => {
    attackPages.set('/phish', '<title>phished</title>');
    const phish = `localhost:${new URL(attacker.url).port}/phish`;
    // Off the inspector first: an inspector page that loses its cookie sends itself to sign-in,
    // and that navigation can interrupt the one below.
    await page.goto('about:blank');
    await context.clearCookies();
    await page.goto(`${server.url}/inspector/signin?next=${encodeURIComponent(prefix + phish)}#token=${adminToken()}`);
    await page.waitForURL((url) => url.pathname === '/inspector' || url.pathname === '/phish');
    expect(page.url()).toBe(`${server.url}/inspector`);
    await page.waitForSelector('#live.on');
  });
});

describe("the inspector's Content-Security-Policy", () => {
  it('when a script tag points at a bin answering text/javascript, then the browser refuses to run it while the page runs its own', async () => {
    const bin = await api<{ id: string }>('POST', '/api/bins', { contentType: 'text/javascript', body: 'window.__binRan = true;' });
    expect(bin.status).toBe(201);
    await signIn();
    const outcome = await page.evaluate(async (src) => {
      const w = globalThis as unknown as {
        document: {
          createElement(tag: string): Record<string, unknown>;
          head: { append(node: unknown): void };
          addEventListener(type: string, fn: (e: { blockedURI: string }) => void): void;
        };
        __binRan?: boolean;
      };
      const violations: string[] = [];
      w.document.addEventListener('securitypolicyviolation', (e) => violations.push(e.blockedURI));
      const loaded = await new Promise<string>((resolve) => {
        const script = w.document.createElement('script');
        script.onload = () => resolve('loaded');
        script.onerror = () => resolve('refused');
        script.src = src;
        w.document.head.append(script);
      });
      await new Promise((r) => setTimeout(r, 50));
      return { loaded, ran: w.__binRan === true, violations };
    }, `/bins/${bin.body.id}`);
    expect(outcome).toEqual({ loaded: 'refused', ran: false, violations: [`${server.url}/bins/${bin.body.id}`] });
  });
});
