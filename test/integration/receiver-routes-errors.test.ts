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
