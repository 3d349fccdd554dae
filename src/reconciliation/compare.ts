import { dedupeKey } from '../nachocode';
import { storeTransactionId, type PurchasePayload, type RefundPayload } from '../nachocode';

export type RowType = 'purchase' | 'refund';

/** The identity of a purchase (environment + iapLogId) or a refund (… + refundedAt). */
export interface RowIdentity {
  type: RowType;
  environment: string;
  iapLogId: number;
  /** ISO time, refunds only. */
  refundedAt: string | null;
}

/** What a file row and a stored event are compared on. Times are normalised ISO strings. */
export interface ComparableFields {
  userId?: string;
  productId?: string;
  nachoProductId?: string;
  productType?: string;
  os?: string;
  quantity?: number;
  price?: number;
  transactionId?: string | null;
  purchasedAt?: string;
  refundQuantity?: number;
}

/** An event the ledger holds for an identity, with what it said. */
export interface LedgerFact {
  type: RowType;
  dedupeKey: string;
  iapLogId: number;
  refundedAt: string | null;
  eventId: string;
  rawRequestId: string | null;
  status: string;
  source: string;
  fields: ComparableFields;
}

export interface FieldMismatch {
  field: keyof ComparableFields;
  file: unknown;
  ledger: unknown;
}

/**
 * The receiver's own dedupe key, built from the identity alone, so a lookup finds exactly the
 * event a webhook with this identity was (or would be) stored under. dedupeKey reads only the
 * identity fields, hence the narrow casts.
 */
export function identityKey(id: RowIdentity): string {
  if (id.type === 'purchase') {
    return dedupeKey({ type: 'purchase', payload: { environment: id.environment, iapLogId: id.iapLogId } as unknown as PurchasePayload });
  }
  const payload = { environment: id.environment, iapLogId: id.iapLogId, refundedAt: id.refundedAt };
  return dedupeKey({ type: 'refund', payload: payload as unknown as RefundPayload });
}

export function identityOf(type: RowType, payload: PurchasePayload | RefundPayload): RowIdentity {
  const refundedAt = type === 'refund' ? new Date((payload as RefundPayload).refundedAt).toISOString() : null;
  return { type, environment: payload.environment, iapLogId: payload.iapLogId, refundedAt };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const time = (v: unknown) => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** Picks the compared fields from a payload: a validated file row or a stored event's JSON. */
export function comparableFields(type: RowType, payload: Record<string, unknown>): ComparableFields {
  const fields: ComparableFields = {
    userId: str(payload.userId),
    productId: str(payload.productId),
    nachoProductId: str(payload.nachoProductId),
    productType: str(payload.productType),
    os: str(payload.os),
    quantity: num(payload.quantity),
    price: num(payload.price),
    transactionId: storeTransactionId(payload as unknown as PurchasePayload),
  };
  if (type === 'purchase') fields.purchasedAt = time(payload.purchasedAt);
  else fields.refundQuantity = num(payload.refundQuantity);
  return fields;
}

const COMPARED: Array<keyof ComparableFields> = [
  'userId',
  'productId',
  'nachoProductId',
  'productType',
  'os',
  'quantity',
  'price',
  'refundQuantity',
  'purchasedAt',
  'transactionId',
];

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

/**
 * Fields where the file and the ledger disagree. A field either side lacks is not compared: an
 * export may carry fewer columns than the webhook, and a missing store transaction id proves nothing.
 */
export function compareFields(file: ComparableFields, ledger: ComparableFields): FieldMismatch[] {
  const mismatches: FieldMismatch[] = [];
  for (const field of COMPARED) {
    const a = file[field];
    const b = ledger[field];
    if (a === undefined || a === null || b === undefined || b === null) continue;
    if (!same(a, b)) mismatches.push({ field, file: a, ledger: b });
  }
  return mismatches;
}
