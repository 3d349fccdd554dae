import http from 'node:http';
import express from 'express';
import { LiveFeed } from '../../src/inspector';
import { nacho } from '../support/fixtures';
import { listen, sql, startRuntime, type TestRuntime } from '../support/runtime';

// The live list: GET /api/inspector/stream (server-sent events) on a real socket.

interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  messages: SseMessage[];
  /** Raw text received, comments (heartbeats) included. */
  text(): string;
  /** Resolves with the first message (already received or coming) that matches. */
  next(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  ended: Promise<void>;
  close(): void;
}

function parseMessage(block: string): SseMessage | null {
  const message: SseMessage = { event: 'message', data: '' };
  let fields = 0;
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) continue;
    const [name, value] = colon === -1 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
    if (name === 'event') message.event = value;
    else if (name === 'id') message.id = value;
    else if (name === 'data') message.data += value;
    else continue;
    fields += 1;
  }
  return fields === 0 ? null : message;
}

function openStream(url: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let raw = '';
      let buffer = '';
      const messages: SseMessage[] = [];
      const waiters: Array<() => void> = [];
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      res.setEncoding('utf8').on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const message = parseMessage(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (message !== null) messages.push(message);
        }
        waiters.splice(0).forEach((w) => w());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages,
        text: () => raw,
        ended,
        close: () => req.destroy(),
        next(match, timeoutMs = 5000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)), timeoutMs);
            const check = () => {
              const found = messages.find(match);
              if (found !== undefined) {
                clearTimeout(timer);
                done(found);
              } else {
                waiters.push(check);
              }
            };
            check();
          });
        },
      });
    });
    req.on('error', reject);
  });
}

let rt: TestRuntime;
let server: Awaited<ReturnType<typeof listen>>;
const streams: Stream[] = [];
const auth = () => ({ Authorization: `Bearer ${rt.adminToken()}` });
async function stream(query = '', headers: Record<string, string> = {}): Promise<Stream> {
  const s = await openStream(`${server.url}/api/inspector/stream${query}`, { ...auth(), ...headers });
  streams.push(s);
  if (s.status === 200) await s.next((m) => m.event === 'ready');
  return s;
}
const isRequest = (m: SseMessage) => m.event === 'request';
const item = (m: SseMessage) => JSON.parse(m.data) as { id: string; outcome: string; reason: string | null; path: string; eventId: string | null };

beforeEach(async () => {
  rt = await startRuntime();
  server = await listen(rt.app);
});
afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  await server.close();
  await rt.stop();
});

describe('GET /api/inspector/stream', () => {
  it('when a webhook arrives, then an open stream gets it as it is recorded, with its id', async () => {
    const s = await stream();
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const res = await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    const message = await s.next(isRequest);
    expect(item(message)).toMatchObject({ outcome: 'stored', path: '/webhooks/nachocode/purchase', eventId: res.body.eventId });
    expect(message.id).toBe(item(message).id);
  });

  it('when the stream has filters, then only matching requests come, decided by the list query itself', async () => {
    const rejectedOnly = await stream('?outcome=rejected');
    const sandboxOnly = await stream('?environment=sandbox');
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos(), null).expect(401);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIosMulti()).expect(200);
    expect(item(await rejectedOnly.next(isRequest))).toMatchObject({ outcome: 'rejected', reason: 'unauthorized' });
    expect(item(await sandboxOnly.next(isRequest))).toMatchObject({ outcome: 'stored' });
    // A request that matches neither: after it, each stream still has exactly one.
    await rt.post('/webhooks/nachocode/refund', nacho.refundAndroid()).expect(200);
    const everything = await stream('?lastEventId=req_00000000000000000000000000');
    await everything.next((m) => isRequest(m) && item(m).path === '/webhooks/nachocode/refund');
    expect(rejectedOnly.messages.filter(isRequest)).toHaveLength(1);
    expect(sandboxOnly.messages.filter(isRequest)).toHaveLength(1);
  });

  it('when a stream reconnects with Last-Event-ID, then it first gets what it missed, oldest first', async () => {
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    const first = await stream();
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseAndroid()).expect(200);
    const seen = (await first.next(isRequest)).id!;
    first.close();
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIosMulti()).expect(200);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    const again = await stream('', { 'Last-Event-ID': seen });
    await again.next((m) => isRequest(m) && item(m).outcome === 'duplicate');
    expect(again.messages.filter(isRequest).map((m) => item(m).outcome)).toEqual(['stored', 'duplicate']);
  });

  it('when a bin captures a request, then the stream gets it too', async () => {
    const bin = await rt.http.post('/api/bins').set(auth()).send({ name: 'live' }).expect(201);
    const s = await stream(`?binId=${bin.body.id}`);
    await rt.http.put(`/bins/${bin.body.id}/hook`).send('x').expect(200);
    expect(item(await s.next(isRequest))).toMatchObject({ outcome: 'captured', path: `/bins/${bin.body.id}/hook` });
  });

  it('when the runtime closes, then open streams end so the server can stop', async () => {
    const s = await stream();
    expect(rt.inspector.feed.size()).toBe(1);
    rt.inspector.close();
    await s.ended;
    expect(rt.inspector.feed.size()).toBe(0);
  });

  it('when the client goes away, then its subscription is dropped', async () => {
    const s = await stream();
    s.close();
    await s.ended;
    for (let i = 0; i < 50 && rt.inspector.feed.size() > 0; i += 1) await new Promise((r) => setImmediate(r));
    expect(rt.inspector.feed.size()).toBe(0);
  });

  it.each<[string, number, 'none' | 'user']>([
    ['no token', 401, 'none'],
    ['a user token', 403, 'user'],
  ])('when the stream is opened with %s, then %i', async (_name, status, token) => {
    const value = token === 'user' ? `Bearer ${rt.userToken('u1')}` : '';
    const s = await stream('', { Authorization: value });
    expect(s.status).toBe(status);
  });

  it('when a filter is invalid, then 400 before any stream starts', async () => {
    expect((await stream('?outcome=lost')).status).toBe(400);
  });
});

describe('LiveFeed heartbeat', () => {
  it('when a stream is idle, then comment lines keep it alive', async () => {
    const feed = new LiveFeed({ db: rt.storage.read, heartbeatMs: 20 });
    const app = express();
    app.get('/stream', (_req, res) => feed.open(res, {}));
    const small = await listen(app);
    try {
      const s = await openStream(`${small.url}/stream`, {});
      streams.push(s);
      for (let i = 0; i < 100 && !s.text().includes(': heartbeat'); i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(s.text()).toContain(': heartbeat\n\n');
    } finally {
      feed.close();
      await small.close();
    }
  });
});

describe('LiveFeed in a cluster', () => {
  type Delivery = 'recorded' | 'recordedElsewhere';
  const deliver = (feed: LiveFeed, how: Delivery, id: string) => (how === 'recorded' ? feed.recorded(id) : feed.recordedElsewhere(id));

  it.each<[string, Delivery, Delivery, boolean]>([
    ['recorded here, then announced by another instance at once', 'recorded', 'recordedElsewhere', false],
    ['announced by another instance, then recorded here at once', 'recordedElsewhere', 'recorded', false],
    ['recorded here and sent, then announced by another instance', 'recorded', 'recordedElsewhere', true],
  ])('when a request id is %s, then the stream gets it once', async (_name, first, second, afterSent) => {
    // A feed of its own over the runtime's database: the runtime's feed has no stream open.
    const feed = new LiveFeed({ db: rt.storage.read });
    const app = express();
    app.get('/stream', (_req, res) => feed.open(res, {}));
    const small = await listen(app);
    try {
      const s = await openStream(`${small.url}/stream`, {});
      streams.push(s);
      await s.next((m) => m.event === 'ready');
      await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
      await rt.post('/webhooks/nachocode/purchase', nacho.purchaseAndroid()).expect(200);
      const [id, later] = (await rt.rows<{ id: string }>(sql`SELECT id FROM raw_requests ORDER BY id`)).map((r) => r.id);

      deliver(feed, first, id);
      if (afterSent) await s.next((m) => isRequest(m) && m.id === id);
      deliver(feed, second, id);
      // A later request comes after everything queued before it: once it is there, a second copy would be too.
      feed.recorded(later);
      await s.next((m) => isRequest(m) && m.id === later);
      expect(s.messages.filter(isRequest).map((m) => m.id)).toEqual([id, later]);
    } finally {
      feed.close();
      await small.close();
    }
  });

  it('when another instance announces something that is not a request id, then it is ignored', async () => {
    const feed = new LiveFeed({ db: rt.storage.read });
    const app = express();
    app.get('/stream', (_req, res) => feed.open(res, {}));
    const small = await listen(app);
    try {
      const s = await openStream(`${small.url}/stream`, {});
      streams.push(s);
      await s.next((m) => m.event === 'ready');
      await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
      const [{ id }] = await rt.rows<{ id: string }>(sql`SELECT id FROM raw_requests ORDER BY id`);
      feed.recordedElsewhere(`${id} OR 1 = 1`);
      feed.recordedElsewhere('deliver-webhook');
      feed.recordedElsewhere(id);
      await s.next((m) => isRequest(m) && m.id === id);
      expect(s.messages.filter(isRequest).map((m) => m.id)).toEqual([id]);
    } finally {
      feed.close();
      await small.close();
    }
  });
});
