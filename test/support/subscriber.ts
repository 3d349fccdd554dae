import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body';

// A real HTTP server on 127.0.0.1 that records every request it gets and answers as told: the
// outbound tests' subscriber (a Slack bridge, a ticket system). Always close() it in afterEach.

export interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer until release() (or close()): a hanging subscriber. */
  hang?: boolean;
}

export class Subscriber {
  readonly requests: Recorded[] = [];
  /** Requests being answered right now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly queued: Reply[] = [];
  private fallback: Reply = { status: 200, body: 'ok' };
  private readonly hanging: http.ServerResponse[] = [];
  private waiters: Array<{ count: number; resolve(): void }> = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Subscriber> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const subscriber = new Subscriber(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => void subscriber.handle(req, res));
    return subscriber;
  }

  /** The answer to every request not covered by replyOnce. */
  reply(reply: Reply): this {
    this.fallback = reply;
    return this;
  }

  /** Answers for the next requests, in order. */
  replyOnce(...replies: Reply[]): this {
    this.queued.push(...replies);
    return this;
  }

  /** Resolves once `count` requests have arrived in total (whether answered or not). */
  waitFor(count: number, timeoutMs = 5000): Promise<Recorded[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscriber got ${this.requests.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.requests);
        },
      });
    });
  }

  /** Answers every hanging request with 200. */
  release(): void {
    for (const res of this.hanging.splice(0)) if (!res.writableEnded) res.writeHead(200).end('released');
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => {
      this.inFlight -= 1;
    });
    this.waiters = this.waiters.filter((w) => (this.requests.length >= w.count ? (w.resolve(), false) : true));
    const reply = this.queued.shift() ?? this.fallback;
    if (reply.hang) {
      this.hanging.push(res);
      return;
    }
    res.writeHead(reply.status ?? 200, reply.headers ?? {}).end(reply.body ?? '');
  }
}

/** A 127.0.0.1 URL nothing listens on: connection refused. */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A test file's way to start subscribers: each one it starts is closed after the test that started it. */
export function subscribersClosedAfterEach(): (reply?: Reply) => Promise<Subscriber> {
  const started: Subscriber[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (reply) => {
    const sub = await Subscriber.start();
    if (reply !== undefined) sub.reply(reply);
    started.push(sub);
    return sub;
  };
}
