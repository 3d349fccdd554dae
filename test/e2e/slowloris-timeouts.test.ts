import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { E2E_WEBHOOK_KEY, ensureBuilt, httpGet, startServer, stopAllServers, type ServerProcess } from '../support/server';
import { postWebhook, purchase } from '../support/webhooks';

// Slow-loris clients (headers or body a byte at a time, or idle keep-alive sockets) must not hold
// the process: the server's header, request and keep-alive timeouts close them, and webhooks keep
// being answered meanwhile. The bound below is a safety net for the test, far above the timeouts.

jest.setTimeout(60_000);

const GIVE_UP_MS = 35_000;
const DRIP_MS = 400;

interface Slow {
  socket: net.Socket;
  /** Resolves with what the server sent before it closed the socket (or 'still open' at GIVE_UP_MS). */
  closed: Promise<string>;
  stop(): void;
}

function slowClient(port: number, opening: string, drip: () => string): Slow {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(drip());
  }, DRIP_MS);
  const closed = new Promise<string>((resolve) => {
    const giveUp = setTimeout(() => resolve('still open'), GIVE_UP_MS);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(received.split('\r\n')[0] || 'closed without an answer');
    });
  });
  socket.write(opening);
  const stop = () => {
    clearInterval(timer);
    socket.destroy();
  };
  void closed.then(() => clearInterval(timer));
  return { socket, closed, stop };
}

describe('slow clients', () => {
  let server: ServerProcess;
  let database: TestDatabase | undefined;
  const clients: Slow[] = [];

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    server = await startServer({ database });
  }, 120_000);

  afterAll(async () => {
    clients.forEach((c) => c.stop());
    try {
      await stopAllServers();
    } finally {
      await database?.drop();
    }
  });

  test('when clients trickle headers, trickle a body or sit idle, then the server closes them and keeps answering webhooks', async () => {
    const head = 'POST /webhooks/nachocode/purchase HTTP/1.1\r\nHost: 127.0.0.1\r\n';
    const body = JSON.stringify(purchase(9_100_000));
    for (let i = 0; i < 20; i++) {
      let n = 0;
      clients.push(slowClient(server.port, head, () => `X-Slow-${n++}: a\r\n`));
    }
    for (let i = 0; i < 20; i++) {
      const headers = `${head}Authorization: Bearer ${E2E_WEBHOOK_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 1000}\r\n\r\n`;
      clients.push(slowClient(server.port, headers, () => ' '));
    }
    const idle = Array.from({ length: 10 }, () => slowClient(server.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, () => ''));
    clients.push(...idle);

    // The process is not held: webhooks are answered while the slow sockets are open.
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => postWebhook(server.url, purchase(9_200_000 + i))));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

    const endings = await Promise.all(clients.map((c) => c.closed));
    const tally = endings.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e]: (acc[e] ?? 0) + 1 }), {});
    console.log(`slow clients ended with: ${JSON.stringify(tally)}`);
    expect(endings.filter((e) => e === 'still open')).toEqual([]);
    // Idle keep-alive sockets got their answer first, then were closed.
    for (const client of idle) await expect(client.closed).resolves.toBe('HTTP/1.1 200 OK');

    expect(server.exited).toBe(false);
    expect((await httpGet(`${server.url}/healthz`)).status).toBe(200);
  });
});
