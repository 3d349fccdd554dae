import { z } from 'zod';

// nachocode may add fields at any time and never retries, so unknown fields are kept (looseObject)
// rather than rejected: rejecting them would lose the event for good.

const isoTime = z.iso.datetime({ offset: true });
const nonEmpty = z.string().trim().min(1).max(256);

export const environmentSchema = z.enum(['sandbox', 'production']);
export type Environment = z.infer<typeof environmentSchema>;

export const productTypeSchema = z.enum(['consumable', 'non-consumable']);
export type ProductType = z.infer<typeof productTypeSchema>;

const transactionFields = {
  userId: nonEmpty,
  iapLogId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  nachoProductId: nonEmpty,
  os: z.enum(['ios', 'android']),
  productId: nonEmpty,
  productType: productTypeSchema,
  quantity: z.number().int().positive().max(1_000_000),
  price: z.number().finite().nonnegative(),
  environment: environmentSchema,
  /** Store-specific data: iOS transaction ids or a Google purchase token and order id. */
  data: z.looseObject({}).optional(),
};

export const purchaseSchema = z.looseObject({
  ...transactionFields,
  requestedAt: isoTime.optional(),
  purchasedAt: isoTime,
  verifiedAt: isoTime.optional(),
});
export type PurchasePayload = z.infer<typeof purchaseSchema>;

export const refundSchema = z.looseObject({
  ...transactionFields,
  refundQuantity: z.number().int().positive().max(1_000_000),
  refundedAt: isoTime,
});
export type RefundPayload = z.infer<typeof refundSchema>;

const userIdList = z.array(nonEmpty).max(100_000);

export const unavailableUsersSchema = z
  .looseObject({
    tokenNotFoundUserIds: userIdList.optional(),
    tokenInvalidUserIds: userIdList.optional(),
  })
  .refine((v) => v.tokenNotFoundUserIds !== undefined || v.tokenInvalidUserIds !== undefined, {
    message: 'expected tokenNotFoundUserIds or tokenInvalidUserIds',
    path: ['tokenNotFoundUserIds'],
  });
export type UnavailableUsersPayload = z.infer<typeof unavailableUsersSchema>;

export type EventType = 'purchase' | 'refund' | 'unavailable_users';

export type EventPayload =
  | { type: 'purchase'; payload: PurchasePayload }
  | { type: 'refund'; payload: RefundPayload }
  | { type: 'unavailable_users'; payload: UnavailableUsersPayload };

/** The store's own transaction id, which must never appear under two iapLogIds. */
export function storeTransactionId(payload: PurchasePayload | RefundPayload): string | null {
  const data = payload.data ?? {};
  for (const key of ['transactionId', 'orderId', 'originalTransactionId', 'purchaseToken']) {
    const value = data[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}
