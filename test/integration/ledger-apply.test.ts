import { entitlementsFor, entriesForEvent } from '../../src/ledger';
import { sql } from '../../src/storage/sql';
import { nacho } from '../support/fixtures';
import { T0, eventRow, ledgerHelpers, useLedgerDatabase } from './ledger-support';

const { db, apply, store } = ledgerHelpers(useLedgerDatabase());

async function entitlement(userId: string, environment: 'sandbox' | 'production', productId: string) {
  return (await entitlementsFor(db(), userId, environment)).find((e) => e.productId === productId);
}

describe('applying a purchase', () => {
  it('when a purchase is applied, then its quantity is granted at its price and the event is applied', async () => {
    const id = await store('purchase', nacho.purchaseIos());

    expect(await apply(id)).toEqual({
      status: 'applied',
      applied: [{ eventId: id, type: 'purchase', receivedAt: T0 }],
      changes: [
        {
          cause: 'purchase',
          eventId: id,
          idempotencyKey: null,
          environment: 'production',
          userId: 'user-7f3a',
          productId: 'com.example.app.coins100',
          nachoProductId: 'NP-NXGLSTOEXK-0001',
          productType: 'consumable',
          delta: { purchased: 1, refunded: 0, consumed: 0 },
        },
      ],
    });

    expect(await entriesForEvent(db(), id)).toEqual([
      expect.objectContaining({ entryKey: `${id}:grant`, kind: 'grant', quantity: 1, amount: 1200, iapLogId: 5012 }),
    ]);
    expect(await eventRow(db(), id)).toMatchObject({ status: 'applied', appliedAt: T0 + 1000, error: null });
  });

  it('when a purchase of quantity 5 is applied, then 5 units are granted', async () => {
    const id = await store('purchase', nacho.purchaseIosMulti());
    await apply(id);
    expect(await entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({ purchased: 5, balance: 5, active: true });
  });
});

describe('applying refunds', () => {
  it('when 2 of 5 units are refunded, then the balance is 3 and the amount is pro rata', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    const refund = await store('refund', nacho.refundIosPartial());

    expect((await apply(refund)).status).toBe('applied');

    expect(await entriesForEvent(db(), refund)).toEqual([expect.objectContaining({ entryKey: `${refund}:revoke`, kind: 'revoke', quantity: 2, amount: 120 })]);
    expect(await entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({
      purchased: 5,
      refunded: 2,
      balance: 3,
      active: true,
    });
  });

  it('when a second partial refund of the same purchase arrives, then the refunds accumulate', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    await apply(await store('refund', nacho.refundIosPartial()));
    await apply(await store('refund', nacho.refundIosPartial({ refundedAt: '2026-03-05T10:00:00.000Z' })));

    expect(await entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({ refunded: 4, balance: 1, active: true });
  });

  it('when the android non-consumable is fully refunded, then it is no longer active', async () => {
    await apply(await store('purchase', nacho.purchaseAndroid()));
    expect(await entitlement('user-19c2', 'production', 'com.example.app.premium_unlock')).toMatchObject({ active: true });

    const refund = await store('refund', nacho.refundAndroid());
    await apply(refund);

    expect(await entriesForEvent(db(), refund)).toEqual([expect.objectContaining({ kind: 'revoke', quantity: 1, amount: 4900 })]);
    expect(await entitlement('user-19c2', 'production', 'com.example.app.premium_unlock')).toMatchObject({
      purchased: 1,
      refunded: 1,
      balance: 0,
      active: false,
    });
  });
});

describe('a refund that arrives before its purchase', () => {
  it('when the purchase is missing, then the refund is held with no entries', async () => {
    const refund = await store('refund', nacho.refundIosPartial());

    expect(await apply(refund)).toEqual({ status: 'held', applied: [], changes: [] });

    expect(await eventRow(db(), refund)).toMatchObject({ status: 'held', appliedAt: null });
    expect(await entriesForEvent(db(), refund)).toEqual([]);
  });

  it('when the purchase arrives, then held refunds apply with it, oldest refundedAt first', async () => {
    const later = await store('refund', nacho.refundIosPartial({ refundedAt: '2026-03-05T00:00:00.000Z', refundQuantity: 4 }), T0);
    const earlier = await store('refund', nacho.refundIosPartial(), T0 + 1);
    await apply(later);
    await apply(earlier);
    const purchase = await store('purchase', nacho.purchaseIosMulti(), T0 + 2);

    const result = await apply(purchase, T0 + 5000);

    expect(result.status).toBe('applied');
    expect(result.applied.map((a) => a.eventId)).toEqual([purchase, earlier, later]);
    for (const id of [purchase, earlier, later]) expect(await eventRow(db(), id)).toMatchObject({ status: 'applied', appliedAt: T0 + 5000 });
    // The earlier refund takes its 2 in full; the later one gets only the 3 that remain.
    expect(await entriesForEvent(db(), earlier)).toEqual([expect.objectContaining({ kind: 'revoke', quantity: 2 })]);
    expect(await entriesForEvent(db(), later)).toEqual([expect.objectContaining({ kind: 'revoke', quantity: 3 })]);
    expect(await entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({ refunded: 5, balance: 0, active: false });
  });
});

describe('environments', () => {
  it('when the same user buys the same product in sandbox and production, then each environment sees only its own', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti({ environment: 'sandbox' })));
    await apply(await store('purchase', nacho.purchaseIosMulti({ environment: 'production', quantity: 2, data: {} })));
    await apply(await store('refund', nacho.refundIosPartial({ environment: 'sandbox' })));

    expect(await entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({ purchased: 5, refunded: 2, balance: 3 });
    expect(await entitlement('user-7f3a', 'production', 'com.example.app.gems10')).toMatchObject({ purchased: 2, refunded: 0, balance: 2 });
  });
});

describe('entitlementsFor', () => {
  it('when a user holds two products, then one row per product sorted by productId with exactly the documented fields', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti({ environment: 'production', data: {} })));
    await apply(await store('purchase', nacho.purchaseIos()));

    expect(await entitlementsFor(db(), 'user-7f3a', 'production')).toEqual([
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
      {
        productId: 'com.example.app.gems10',
        nachoProductId: 'NP-NXGLSTOEXK-0003',
        productType: 'consumable',
        purchased: 5,
        refunded: 0,
        consumed: 0,
        balance: 5,
        active: true,
      },
    ]);
    expect(await entitlementsFor(db(), 'user-7f3a', 'sandbox')).toEqual([]);
  });
});

describe('unavailable users', () => {
  it('when users are reported unavailable, then one row per user and reason is upserted', async () => {
    const first = await store('unavailable_users', nacho.unavailableUsers());
    await apply(first);
    const second = await store('unavailable_users', nacho.unavailableUsers({ tokenInvalidUserIds: ['user-0107', 'user-0001'] }));
    await apply(second, T0 + 9000);

    const rows = await db().all<{ userId: string; reason: string; lastEventId: string; updatedAt: number }>(
      sql`SELECT user_id AS "userId", reason, last_event_id AS "lastEventId", updated_at AS "updatedAt" FROM unavailable_users`,
    );
    const view = rows.map((r) => [r.userId, r.reason, r.lastEventId, r.updatedAt]).sort();
    expect(view).toEqual([
      ['user-0001', 'token_invalid', second, T0 + 9000],
      ['user-0001', 'token_not_found', second, T0 + 9000],
      ['user-0002', 'token_not_found', second, T0 + 9000],
      ['user-0107', 'token_invalid', second, T0 + 9000],
    ]);
    expect((await eventRow(db(), first)).status).toBe('applied');
  });
});
