import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';

const AUTO = '/webhooks/nachocode';
let rt: TestRuntime;

beforeEach(async () => {
  rt = await startRuntime();
});
afterEach(() => rt.stop());

async function send(...bodies: Array<Record<string, unknown>>): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) ids.push((await rt.post(AUTO, body).expect(200)).body.eventId as string);
  await rt.worker.whenIdle();
  return ids;
}

async function entitlements(userId: string, environment = 'production') {
  const res = await rt.http.get(`/api/users/${userId}/entitlements?environment=${environment}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
  return res.body as { userId: string; environment: string; entitlements: Array<Record<string, unknown>> };
}

describe('ledger through the webhook path', () => {
  it('when a consumable purchase is applied, then the user holds its units', async () => {
    const [eventId] = await send(nacho.purchaseIos());
    expect(await entitlements('user-7f3a')).toEqual({
      userId: 'user-7f3a',
      environment: 'production',
      entitlements: [
        {
          productId: 'com.example.app.coins100',
          nachoProductId: 'NP-NXGLSTOEXK-0001',
          productType: 'consumable',
          purchased: 1,
          refunded: 0,
          consumed: 0,
          balance: 1,
          active: true,
        },
      ],
    });
    const event = await rt.http.get(`/api/events/${eventId}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
    expect(event.body).toMatchObject({ eventId, status: 'applied', dedupeKey: 'purchase:production:5012' });
    expect(event.body).not.toHaveProperty('id');
    expect(event.body.ledgerEntries).toEqual([
      expect.objectContaining({ kind: 'grant', quantity: 1, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) }),
    ]);
    expect(event.body.rawRequestId).toMatch(/^req_/);
  });

  it('when partial refunds arrive, then they accumulate', async () => {
    await send(nacho.purchaseIosMulti(), nacho.refundIosPartial(), nacho.refundIosPartial({ refundedAt: '2026-03-05T10:00:00.000Z' }));
    const [row] = (await entitlements('user-7f3a', 'sandbox')).entitlements;
    expect(row).toMatchObject({ purchased: 5, refunded: 4, balance: 1, active: true });
  });

  it('when the refund arrives before its purchase, then it is held and applied when the purchase comes', async () => {
    const [refundId] = await send(nacho.refundAndroid());
    const held = await rt.http.get(`/api/events/${refundId}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
    expect(held.body.status).toBe('held');
    expect((await entitlements('user-19c2')).entitlements).toEqual([]);
    await send(nacho.purchaseAndroid());
    const [row] = (await entitlements('user-19c2')).entitlements;
    expect(row).toMatchObject({ productType: 'non-consumable', purchased: 1, refunded: 1, balance: 0, active: false });
    const applied = await rt.http.get(`/api/events/${refundId}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
    expect(applied.body.status).toBe('applied');
  });

  it('when the same purchase happens in sandbox and production, then the environments never mix', async () => {
    await send(nacho.purchaseIos(), nacho.purchaseIos({ environment: 'sandbox', quantity: 3 }));
    expect((await entitlements('user-7f3a', 'production')).entitlements[0]).toMatchObject({ purchased: 1 });
    expect((await entitlements('user-7f3a', 'sandbox')).entitlements[0]).toMatchObject({ purchased: 3 });
  });

  it('when a purchase is delivered twice, then it is granted once', async () => {
    await send(nacho.purchaseAndroid(), nacho.purchaseAndroid());
    expect((await entitlements('user-19c2')).entitlements[0]).toMatchObject({ purchased: 1, balance: 1, active: true });
  });

  it('when a conflicting duplicate arrives, then the ledger keeps the first version', async () => {
    await send(nacho.purchaseIosMulti());
    await rt.post(AUTO, nacho.purchaseIosMulti({ quantity: 50 })).expect(409);
    await rt.worker.whenIdle();
    expect((await entitlements('user-7f3a', 'sandbox')).entitlements[0]).toMatchObject({ purchased: 5 });
  });

  it('when an app user asks for entitlements, then they see their own and only their own', async () => {
    await send(nacho.purchaseIos(), nacho.purchaseAndroid());
    const mine = await rt.http
      .get('/v1/me/entitlements')
      .set('Authorization', `Bearer ${rt.userToken('user-19c2')}`)
      .expect(200);
    expect(mine.body.userId).toBe('user-19c2');
    expect(mine.body.entitlements.map((e: { productId: string }) => e.productId)).toEqual(['com.example.app.premium_unlock']);
    await rt.http
      .get('/api/users/user-7f3a/entitlements')
      .set('Authorization', `Bearer ${rt.userToken('user-19c2')}`)
      .expect(403);
  });
});
