import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';

// POST /api/users/:userId/consumptions: units spent in the app become consume entries in the ledger.

let rt: TestRuntime;
const GEMS = 'com.example.app.gems10';

beforeEach(async () => {
  rt = await startRuntime();
  // 5 gems in sandbox for user-7f3a, and a non-consumable in production for user-19c2.
  await rt.post('/webhooks/nachocode', nacho.purchaseIosMulti()).expect(200);
  await rt.post('/webhooks/nachocode', nacho.purchaseAndroid()).expect(200);
  await rt.worker.whenIdle();
});
afterEach(() => rt.stop());

function consume(body: Record<string, unknown>, userId = 'user-7f3a') {
  return rt.http.post(`/api/users/${userId}/consumptions`).set('Authorization', `Bearer ${rt.adminToken()}`).send(body);
}

const spend = (quantity: number, idempotencyKey: string) => ({ environment: 'sandbox', productId: GEMS, quantity, idempotencyKey });

async function gems() {
  const res = await rt.http.get('/api/users/user-7f3a/entitlements?environment=sandbox').set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
  return (res.body.entitlements as Array<Record<string, unknown>>).find((e) => e.productId === GEMS);
}

describe('consumption', () => {
  it('when units are spent, then a consume entry is written and the balance drops', async () => {
    const res = await consume(spend(2, 'order-1')).expect(201);
    expect(res.body).toMatchObject({
      duplicate: false,
      consumption: { idempotencyKey: 'order-1', userId: 'user-7f3a', environment: 'sandbox', productId: GEMS, quantity: 2 },
      balance: { productId: GEMS, purchased: 5, consumed: 2, balance: 3, active: true },
    });
    expect(await gems()).toMatchObject({ consumed: 2, balance: 3 });
  });

  it('when the same idempotency key is sent again, then nothing more is spent and the first consumption is returned', async () => {
    const first = await consume(spend(2, 'order-1')).expect(201);
    const again = await consume(spend(2, 'order-1')).expect(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.consumption).toEqual(first.body.consumption);
    expect(await gems()).toMatchObject({ consumed: 2, balance: 3 });
  });

  it('when repeats arrive at the same time, then exactly one is recorded', async () => {
    const answers = await Promise.all([1, 2, 3, 4].map(() => consume(spend(2, 'burst'))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(await gems()).toMatchObject({ consumed: 2 });
  });

  it('when more is spent than the balance, then the answer is a 409 that says what is available', async () => {
    await consume(spend(4, 'order-1')).expect(201);
    const res = await consume(spend(2, 'order-2')).expect(409);
    expect(res.body.error).toMatchObject({
      code: 'insufficient_balance',
      details: { productId: GEMS, environment: 'sandbox', available: 1, requested: 2 },
    });
    expect(res.body.error.message).toContain('1 of com.example.app.gems10 available');
    expect(await gems()).toMatchObject({ consumed: 4, balance: 1 });
  });

  it('when concurrent spends together exceed the balance, then only those that fit are recorded', async () => {
    const answers = await Promise.all([1, 2, 3].map((i) => consume(spend(2, `parallel-${i}`))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409]);
    expect(await gems()).toMatchObject({ consumed: 4, balance: 1 });
  });

  it('when the product was never bought or is in the other environment, then nothing is available', async () => {
    const res = await consume({ ...spend(1, 'x'), environment: 'production' }).expect(409);
    expect(res.body.error.details.available).toBe(0);
  });

  it('when the key is reused for a different consumption, then it is a 409 conflict', async () => {
    await consume(spend(1, 'order-1')).expect(201);
    const res = await consume(spend(3, 'order-1')).expect(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', details: { recorded: { productId: GEMS, quantity: 1 } } });
  });

  it('when the product is a non-consumable, then it is a 422', async () => {
    const res = await consume({ environment: 'production', productId: 'com.example.app.premium_unlock', quantity: 1, idempotencyKey: 'k' }, 'user-19c2').expect(
      422,
    );
    expect(res.body.error.details.fields).toEqual([expect.objectContaining({ field: 'productId' })]);
  });

  it.each([
    ['a zero quantity', 'quantity', { ...spend(0, 'k') }],
    ['a missing idempotency key', 'idempotencyKey', { environment: 'sandbox', productId: GEMS, quantity: 1 }],
    ['an unknown environment', 'environment', { ...spend(1, 'k'), environment: 'staging' }],
    ['an unknown field', '(body)', { ...spend(1, 'k'), qty: 1 }],
  ])('when the body has %s, then it is a 422 naming %s', async (_label, field, body) => {
    const res = await consume(body).expect(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('when a user token is used, then the admin route refuses it', async () => {
    await rt.http
      .post('/api/users/user-7f3a/consumptions')
      .set('Authorization', `Bearer ${rt.userToken('user-7f3a')}`)
      .send(spend(1, 'k'))
      .expect(403);
  });
});
