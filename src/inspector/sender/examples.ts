import type { PurchasePayload, RefundPayload, UnavailableUsersPayload } from '../../nachocode';

// The documented nachocode payloads (test/fixtures/nachocode/, the README's curl example), sent
// exactly by `iaphook send --example`. Fixed ids: sending one twice shows a duplicate.

export const NACHOCODE_EXAMPLES = {
  purchase: {
    userId: 'user-7f3a',
    iapLogId: 5012,
    nachoProductId: 'NP-NXGLSTOEXK-0001',
    os: 'ios',
    productId: 'com.example.app.coins100',
    productType: 'consumable',
    quantity: 1,
    price: 1200,
    environment: 'production',
    data: { originalTransactionId: '2000000871234501', transactionId: '2000000871234501' },
    requestedAt: '2026-03-02T08:15:02.114Z',
    purchasedAt: '2026-03-02T08:15:09.730Z',
    verifiedAt: '2026-03-02T08:15:10.002Z',
  } satisfies PurchasePayload,
  refund: {
    userId: 'user-19c2',
    iapLogId: 5013,
    nachoProductId: 'NP-NXGLSTOEXK-0002',
    os: 'android',
    productId: 'com.example.app.premium_unlock',
    productType: 'non-consumable',
    quantity: 1,
    price: 4900,
    environment: 'production',
    data: { purchaseToken: 'opaque-token-kgmhdlbjpepcjolfmnlldcge.AO-J1OyZ3q', orderId: 'GPA.3312-4410-8876-10293' },
    refundQuantity: 1,
    refundedAt: '2026-03-05T13:40:12.900Z',
  } satisfies RefundPayload,
  'unavailable-users': {
    tokenNotFoundUserIds: ['user-0001', 'user-0002'],
    tokenInvalidUserIds: ['user-0107'],
  } satisfies UnavailableUsersPayload,
};

export type ExampleName = keyof typeof NACHOCODE_EXAMPLES;
