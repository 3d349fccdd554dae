import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { signToken } from '../../src/http/tokens';
import purchaseFixture from '../fixtures/nachocode/purchase.ios.json';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { E2E_JWT_SECRET, E2E_WEBHOOK_KEY, PROJECT_ROOT, ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';

// `iaphook listen` end to end: the built server and the built CLI as child processes, a local
// receiver, and a proxy between the relay and the server whose connections the test cuts in the
// middle of a burst. The receiver must get every webhook exactly once, byte for byte.

jest.setTimeout(120_000);

const CLI_JS = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  path: string;
}

let database: TestDatabase;
let server: ServerProcess;
let receiver: http.Server;
let receiverUrl: string;
let received: Received[] = [];
const relays: ChildProcess[] = [];

/** A TCP proxy to the server whose open connections cut() destroys (a dropped stream, a reset fetch). */
class Proxy {
  private readonly sockets = new Set<net.Socket>();
  readonly server: net.Server;
  cuts = 0;
  constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }
  listen(): Promise<string> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`)));
  }
  cut(): void {
    this.cuts += 1;
    for (const s of this.sockets) s.destroy();
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const token = () => signToken(E2E_JWT_SECRET, { role: 'admin', sub: 'listen-test', expiresInSeconds: 3600 });

function startRelay(url: string, extra: string[]): { child: ChildProcess; output: () => string; waitFor(text: string, timeoutMs?: number): Promise<void> } {
  const child = spawn(process.execPath, [CLI_JS, 'listen', '--url', url, '--token', token(), '--forward-to', `${receiverUrl}/hooks`, ...extra], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  relays.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return {
    child,
    output: () => out,
    waitFor: async (text, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`the relay did not print "${text}":\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

async function post(route: string, body: string, key = E2E_WEBHOOK_KEY, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`${server.url}/webhooks/nachocode/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json; charset=utf-8', 'x-nacho-trace': 'trace-1', ...headers },
    body,
  });
  await res.body.dump();
  return res.statusCode;
}

/** A purchase whose exact bytes matter: odd spacing, non-ASCII text and a distinct iapLogId. */
function purchaseBytes(i: number): string {
  const transactionId = String(2_000_000_990_000_000 + i);
  const body = { ...purchaseFixture, iapLogId: 7_000_000 + i, userId: `relay-ü-${i}`, data: { originalTransactionId: transactionId, transactionId } };
  return i % 2 === 0 ? JSON.stringify(body) : `{ "note": "ünïcødé ✓",\n  ${JSON.stringify(body).slice(1)}`;
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  ensureBuilt();
  database = await createTestDatabase();
  server = await startServer({ database });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks), path: req.url ?? '' });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`;
});

afterEach(async () => {
  for (const child of relays.splice(0)) {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  received = [];
});

afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await stopAllServers();
  await database.drop();
});

describe('iaphook listen', () => {
  it('when the stream is cut twice mid-burst, then the local receiver gets every webhook exactly once, byte for byte, without the key', async () => {
    const proxy = new Proxy(server.port);
    const relay = startRelay(await proxy.listen(), ['--path', '/webhooks/nachocode']);
    try {
      await relay.waitFor('ready: forwarding');
      const TOTAL = 90;
      const sent = new Map<number, string>();
      let next = 0;
      const lane = async () => {
        while (next < TOTAL) {
          const i = next++;
          const bytes = purchaseBytes(i);
          sent.set(7_000_000 + i, bytes);
          expect(await post('purchase', bytes)).toBe(200);
          if (i === 30 || i === 60) proxy.cut();
        }
      };
      await Promise.all([lane(), lane(), lane()]);
      // Two rejected ones too (a wrong key): forwarded, and still without any key.
      expect(await post('purchase', purchaseBytes(1000), 'wrong-key-0000000000000')).toBe(401);
      expect(await post('refund', '{"not":"json"', E2E_WEBHOOK_KEY)).toBe(400);

      await waitUntil(() => received.length >= TOTAL + 2, `${TOTAL + 2} forwarded requests (got ${received.length})\n${relay.output()}`);
      // Anything forwarded twice would show up within this time.
      await new Promise((r) => setTimeout(r, 1500));

      const ids = received.map((r) => r.headers['x-iaphook-request-id'] as string);
      expect(new Set(ids).size).toBe(ids.length);
      expect(received).toHaveLength(TOTAL + 2);
      for (const r of received) {
        expect(r.headers.authorization).toBeUndefined();
        expect(r.path).toBe('/hooks');
        expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(r.headers['x-nacho-trace']).toBe('trace-1');
      }
      const stored = received.filter((r) => r.body.toString('utf8').includes('"iapLogId":7') && !r.body.toString('utf8').includes('7001000'));
      expect(stored).toHaveLength(TOTAL);
      for (const r of stored) {
        const iapLogId = Number(/"iapLogId":(\d+)/.exec(r.body.toString('utf8'))![1]);
        expect(r.body.equals(Buffer.from(sent.get(iapLogId)!, 'utf8'))).toBe(true);
      }
      // The same ids the inspector lists for that path.
      const list = await request(`${server.url}/api/inspector/requests?path=/webhooks/nachocode&limit=500`, {
        headers: { authorization: `Bearer ${token()}` },
      });
      const listed = ((await list.body.json()) as { data: Array<{ id: string }> }).data.map((r) => r.id);
      expect([...ids].sort()).toEqual([...listed].sort());
      expect(proxy.cuts).toBe(2);
      expect(relay.output()).toMatch(/reconnected; resuming after req_/);
      expect(relay.output()).toMatch(/POST \/webhooks\/nachocode\/purchase {2}iaphook 200 stored {2}-> local 202 in \d+ ms {2}req_/);
      expect(relay.output()).toMatch(/iaphook 401 rejected \(unauthorized\) {2}-> local 202/);
    } finally {
      await proxy.close();
    }
  });

  it('when --outcome rejected is given, then only rejected requests are forwarded', async () => {
    const relay = startRelay(server.url, ['--outcome', 'rejected']);
    await relay.waitFor('ready: forwarding');
    expect(await post('purchase', purchaseBytes(2000))).toBe(200);
    expect(await post('purchase', purchaseBytes(2001), 'wrong-key-0000000000000')).toBe(401);
    await waitUntil(() => received.length >= 1, 'the rejected request');
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toHaveLength(1);
    expect(received[0].body.toString('utf8')).toBe(purchaseBytes(2001));
    expect(received[0].headers.authorization).toBeUndefined();
  });

  it('when the token is refused, then the relay says so and exits non-zero', async () => {
    const child = spawn(process.execPath, [CLI_JS, 'listen', '--url', server.url, '--token', 'not-a-token', '--forward-to', `${receiverUrl}/hooks`], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' },
    });
    relays.push(child);
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(/answered 401/);
  });
});
