import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { errorHandler } from '../../src/http/error-handler';
import { receiverRouter, type Receive } from '../../src/receiver';

// The router's error handler records body-reading failures (the sender's fault) as rejections;
// anything else that goes wrong in the receiver is the service's fault and must stay a 500.
function appWith(receive: Receive) {
  const app = express();
  app.use(receiverRouter(receive, 64));
  app.use(errorHandler(pino({ level: 'silent' })));
  return app;
}

describe('receiver routes: which errors are the sender’s', () => {
  it('when the receiver itself throws, then the answer is 500 internal, not a recorded 400', async () => {
    const calls: string[] = [];
    const app = appWith(async (_route, inbound) => {
      calls.push(inbound.bodyError?.code ?? 'none');
      throw new Error('disk on fire');
    });
    const res = await request(app).post('/webhooks/nachocode/purchase').set('Content-Type', 'application/json').send('{}');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: expect.objectContaining({ code: 'internal' }) });
    // Only the route's own call: the error handler did not record it again as a body error.
    expect(calls).toEqual(['none']);
  });

  it('when the body is over the limit, then the receiver records it as payload_too_large', async () => {
    const seen: Array<string | undefined> = [];
    const app = appWith(async (_route, inbound) => {
      seen.push(inbound.bodyError?.code);
      return { status: 413, body: { error: { code: 'payload_too_large' } }, outcome: 'rejected', reason: 'payload_too_large', eventId: null };
    });
    const res = await request(app)
      .post('/webhooks/nachocode/purchase')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(200) }));
    expect(res.status).toBe(413);
    expect(seen).toEqual(['payload_too_large']);
  });
});

// POSTs to the routes as written take the map lookup; every other spelling goes through the
// Router. Both must hand the receiver the same request and send the same bytes back.
describe('receiver routes: the exact-path lookup and the Router answer alike', () => {
  const seen: Array<{ route: string; path: string; query: string | null; body: string | null; error?: string }> = [];
  const receive: Receive = async (route, inbound) => {
    seen.push({ route, path: inbound.path, query: inbound.query, body: inbound.body?.toString() ?? null, error: inbound.bodyError?.code });
    return { status: 202, body: { route, path: inbound.path, error: inbound.bodyError?.code ?? null }, outcome: 'stored', reason: null, eventId: null };
  };
  beforeEach(() => seen.splice(0));

  it.each([
    ['/webhooks/nachocode/purchase', 'purchase', 'exact'],
    ['/webhooks/nachocode/refund?from=test', 'refund', 'exact, with a query'],
    ['/webhooks/nachocode', 'auto', 'exact, the auto route'],
    ['/webhooks/nachocode/purchase/', 'purchase', 'a trailing slash (Router)'],
    ['/Webhooks/Nachocode/Refund', 'refund', 'another case (Router)'],
  ])('when a POST goes to %s, then the receiver gets route %s and the answer is its own (%s)', async (url, route) => {
    const res = await request(appWith(receive)).post(url).set('Content-Type', 'application/json').send('{"a":1}');
    expect(res.status).toBe(202);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    expect(res.body).toEqual({ route, path: url.split('?')[0], error: null });
    expect(seen).toEqual([{ route, path: url.split('?')[0], query: url.includes('?') ? 'from=test' : null, body: '{"a":1}', error: undefined }]);
  });

  it('when a GET goes to an exact route, then the Router answers it as method_not_allowed with Allow: POST', async () => {
    const res = await request(appWith(receive)).get('/webhooks/nachocode/purchase');
    expect(res.status).toBe(202);
    expect(res.headers.allow).toBe('POST');
    expect(seen.map((s) => s.error)).toEqual(['method_not_allowed']);
  });

  it.each(['/webhooks/nachocode/purchase', '/webhooks/nachocode/purchase/'])(
    'when the body over the limit goes to %s, then the receiver records payload_too_large',
    async (url) => {
      const res = await request(appWith(receive))
        .post(url)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ pad: 'x'.repeat(200) }));
      expect(res.status).toBe(202);
      expect(seen).toEqual([{ route: 'purchase', path: url, query: null, body: null, error: 'payload_too_large' }]);
    },
  );

  it('when the receiver throws on an exact route, then the error handler answers 500 once', async () => {
    let calls = 0;
    const app = appWith(async () => {
      calls++;
      throw new Error('disk on fire');
    });
    const res = await request(app).post('/webhooks/nachocode/refund').set('Content-Type', 'application/json').send('{}');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: expect.objectContaining({ code: 'internal' }) });
    expect(calls).toBe(1);
  });
});
