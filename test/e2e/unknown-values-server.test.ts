import jwt from 'jsonwebtoken';
import purchaseFixture from '../fixtures/nachocode/purchase.android.json';
import refundFixture from '../fixtures/nachocode/refund.android.json';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { E2E_JWT_SECRET, E2E_WEBHOOK_KEY, ensureBuilt, startServer, stopAllServers, type ServerProcess } from '../support/server';

// The built server as `npm start` runs it (on SQLite, events applied on the database thread): a
// purchase and its refund with a productType iaphook does not know are acknowledged and held, a
// value mapping releases them in order, and an id with a trailing space is kept as sent.

jest.setTimeout(60_000);

let database: TestDatabase;
let server: ServerProcess;
const admin = { Authorization: `Bearer ${jwt.sign({ role: 'admin' }, E2E_JWT_SECRET, { algorithm: 'HS256', expiresIn: '1h' })}` };

beforeAll(async () => {
  ensureBuilt();
  database = await createTestDatabase();
  // A generous answer budget: this test follows each event by the id its answer gives, which a
  // request spooled on a loaded machine would not have.
  server = await startServer({ database, env: { ANSWER_BUDGET_MS: '9000' } });
});
afterAll(async () => {
  await stopAllServers();
  await database.drop();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

const webhook = (body: unknown) => call('POST', '/webhooks/nachocode', body, { Authorization: `Bearer ${E2E_WEBHOOK_KEY}` });

/** Polls the event until its status is the one expected (the apply runs in the background). */
async function eventWhen(eventId: string, status: string): Promise<any> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { body } = await call('GET', `/api/events/${eventId}`);
    if (body.status === status || Date.now() > until) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('when a purchase and its refund carry productType "subscription", then both are held until a mapping applies them in order', async () => {
  const userId = 'user-19c2 ';
  const purchase = await webhook({ ...purchaseFixture, userId, productType: 'subscription' });
  expect(purchase).toMatchObject({ status: 200, body: { received: true, unknownValues: [{ field: 'productType', value: 'subscription' }] } });
  const refund = await webhook({ ...refundFixture, userId, productType: 'subscription' });
  expect(refund.status).toBe(200);
  for (const { body } of [purchase, refund]) {
    expect(await eventWhen(body.eventId, 'held')).toMatchObject({ status: 'held', heldFor: { reason: 'unknown_value' } });
  }
  const report = await call('GET', '/api/reconciliation?environment=production');
  expect(report.body.anomalyCounts.unknown_value).toBe(2);

  const mapped = await call('PUT', '/api/value-mappings/productType/subscription', { meaning: 'non-consumable' });
  expect(mapped).toMatchObject({ status: 200, body: { queued: 2 } });
  const applied = [await eventWhen(purchase.body.eventId, 'applied'), await eventWhen(refund.body.eventId, 'applied')];
  expect(applied.map((e) => e.ledgerEntries.map((x: { kind: string }) => x.kind))).toEqual([['grant'], ['revoke']]);

  const owned = await call('GET', `/api/users/${encodeURIComponent(userId)}/entitlements?environment=production`);
  expect(owned.body).toMatchObject({ userId, entitlements: [{ productType: 'non-consumable', purchased: 1, refunded: 1, active: false }] });
  expect((await call('GET', '/api/reconciliation?environment=production')).body.anomalyCounts.unknown_value).toBe(0);
});
