import { z } from 'zod';

// nachocode may add fields at any time and never retries, so unknown fields are kept (looseObject)
// rather than rejected: rejecting them would lose the event for good.

const isoTime = z.iso.datetime({ offset: true });
/**
 * An identifier (user, product), kept byte for byte: the app asks for its user's entitlements by
 * the id it knows, so "abc " must stay "abc ". Only an empty or whitespace-only one is refused.
 */
export const identifierSchema = z
  .string()
  .max(256)
  .refine((value) => value.trim().length > 0, { message: 'must not be empty or whitespace only' });
const identifier = identifierSchema;

export const environmentSchema = z.enum(['sandbox', 'production']);
export type Environment = z.infer<typeof environmentSchema>;

/**
 * Fields that carry one of a known set of values, and the values iaphook knows. nachocode may add a
 * value at any time (a new product kind) or send a typo, and never retries: such a field accepts any
 * text, and an event with a value not listed here is stored and held (see unknownValues) until a
 * value mapping gives it a meaning. The environment is part of an event's identity: not listed.
 */
export const KNOWN_VALUES = {
  productType: ['consumable', 'non-consumable'],
  os: ['ios', 'android'],
} as const;
export type ValueField = keyof typeof KNOWN_VALUES;
export const VALUE_FIELDS = Object.keys(KNOWN_VALUES) as ValueField[];

export const productTypeSchema = z.enum(KNOWN_VALUES.productType);
export type ProductType = z.infer<typeof productTypeSchema>;
export type Os = (typeof KNOWN_VALUES.os)[number];

/** An enumerated field's value as sent, before anything is known about it. */
const openValue = z.string().max(256);

const transactionFields = {
  userId: identifier,
  iapLogId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  nachoProductId: identifier,
  os: openValue,
  productId: identifier,
  productType: openValue,
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

const userIdList = z.array(identifier).max(100_000);

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
  { type: 'purchase'; payload: PurchasePayload } | { type: 'refund'; payload: RefundPayload } | { type: 'unavailable_users'; payload: UnavailableUsersPayload };

/** The store's own transaction id, which must never appear under two iapLogIds. */
export function storeTransactionId(payload: PurchasePayload | RefundPayload): string | null {
  const data = payload.data ?? {};
  for (const key of ['transactionId', 'orderId', 'originalTransactionId', 'purchaseToken']) {
    const value = data[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}

/** One field's value that iaphook does not know (yet). */
export interface ValueRef {
  field: ValueField;
  value: string;
}

export const isKnownValue = (field: ValueField, value: string): boolean => (KNOWN_VALUES[field] as readonly string[]).includes(value);

/** The enumerated fields of an event whose values are not among the known ones, in VALUE_FIELDS order. */
export function unknownValues(event: EventPayload): ValueRef[] {
  if (event.type === 'unavailable_users') return [];
  const payload = event.payload;
  return VALUE_FIELDS.filter((field) => !isKnownValue(field, payload[field])).map((field) => ({ field, value: payload[field] }));
}
