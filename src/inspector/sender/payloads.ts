import crypto from 'node:crypto';
import type { PurchasePayload, RefundPayload, UnavailableUsersPayload } from '../../nachocode';

// Realistic nachocode payloads for the sample sender (`npm run send`), as pure functions of the
// options, the time and a random source, so tests can pin every field.

export type SampleKind = 'purchase' | 'refund' | 'unavailable-users';
export type Os = 'ios' | 'android';
export type Environment = 'sandbox' | 'production';
export type ProductType = 'consumable' | 'non-consumable';

export interface SampleOptions {
  os: Os;
  environment: Environment;
  userId: string;
  productType: ProductType;
  /** Defaults to a sample product of the product type. */
  productId?: string;
  quantity: number;
  /** Defaults to the whole quantity. */
  refundQuantity?: number;
  /** Refund this earlier purchase instead of sending a new one first. */
  forPurchase?: number;
}

export interface SampleContext {
  now: number;
  random: () => number;
}

export const DEFAULT_OPTIONS: SampleOptions = {
  os: 'ios',
  environment: 'sandbox',
  userId: 'user-demo',
  productType: 'consumable',
  quantity: 1,
};

const SAMPLE_PRODUCTS: Record<ProductType, { productId: string; nachoProductId: string; price: number }> = {
  consumable: { productId: 'com.example.app.coins100', nachoProductId: 'NP-SAMPLE-0001', price: 1200 },
  'non-consumable': { productId: 'com.example.app.premium_unlock', nachoProductId: 'NP-SAMPLE-0002', price: 4900 },
};

/**
 * A fresh iapLogId for each payload of a run: the run's second, then a random start plus the
 * sequence number. Unique within a run of up to a million, and across runs unless two start in
 * the same second with overlapping random starts.
 */
export function iapLogIdFactory(context: SampleContext): (seq: number) => number {
  const base = Math.floor(context.now / 1000) * 1_000_000;
  const start = Math.floor(context.random() * 1_000_000);
  return (seq) => base + ((start + seq) % 1_000_000);
}

function product(options: SampleOptions) {
  const sample = SAMPLE_PRODUCTS[options.productType];
  if (options.productId === undefined || options.productId === sample.productId) return sample;
  // A product the developer named: a stable nacho product id derived from it.
  const hash = crypto.createHash('sha256').update(options.productId).digest('hex').slice(0, 8).toUpperCase();
  return { productId: options.productId, nachoProductId: `NP-SAMPLE-${hash}`, price: sample.price };
}

/**
 * The store data, derived from the iapLogId: a refund built later for the same iapLogId carries
 * the same transaction ids as its purchase, so the ledger sees no mismatch.
 */
export function storeData(os: Os, iapLogId: number): Record<string, string> {
  const digits = String(iapLogId).padStart(17, '0').slice(-17);
  if (os === 'ios') {
    const transactionId = `2${digits.slice(-16)}`;
    return { originalTransactionId: transactionId, transactionId };
  }
  const orderId = `GPA.${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8, 12)}-${digits.slice(12)}`;
  return { purchaseToken: `sample-token-${iapLogId.toString(36)}.AO-J1Oy${digits.slice(-6)}`, orderId };
}

function transaction(options: SampleOptions, iapLogId: number) {
  const p = product(options);
  return {
    userId: options.userId,
    iapLogId,
    nachoProductId: p.nachoProductId,
    os: options.os,
    productId: p.productId,
    productType: options.productType,
    quantity: options.quantity,
    price: p.price * options.quantity,
    environment: options.environment,
    data: storeData(options.os, iapLogId),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A purchase as nachocode sends it: requested, purchased at the store, then verified. */
export function buildPurchase(options: SampleOptions, iapLogId: number, now: number): PurchasePayload {
  return { ...transaction(options, iapLogId), requestedAt: iso(now - 7_600), purchasedAt: iso(now - 300), verifiedAt: iso(now) };
}

/** A refund of iapLogId; refundedAt makes each refund its own event, so a later one is not a duplicate. */
export function buildRefund(options: SampleOptions, iapLogId: number, now: number): RefundPayload {
  return { ...transaction(options, iapLogId), refundQuantity: options.refundQuantity ?? options.quantity, refundedAt: iso(now) };
}

const randomUser = (random: () => number) =>
  `user-${Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, '0')}`;

/** Users nachocode cannot push to; a random one in each list keeps every report a new event. */
export function buildUnavailableUsers(options: Partial<SampleOptions>, random: () => number): UnavailableUsersPayload {
  return { tokenNotFoundUserIds: [options.userId ?? randomUser(random)], tokenInvalidUserIds: [randomUser(random)] };
}

/** The receiver route each payload goes to by default. */
/** A webhook route; `auto` is /webhooks/nachocode, which classifies the body by its shape. */
export type SampleRoute = 'purchase' | 'refund' | 'unavailable-users' | 'auto';

export interface PlannedRequest {
  route: SampleRoute;
  /** A built sample; null when rawBody is sent instead. */
  body: PurchasePayload | RefundPayload | UnavailableUsersPayload | null;
  /** The exact text of --data or --example, sent unchanged. */
  rawBody?: string;
  label: string;
}

/**
 * What one unit of `--count` sends, in order. A refund without --for-purchase first sends the
 * purchase it refunds, so the ledger shows a grant and its revoke rather than a held refund.
 */
export function planUnit(kind: SampleKind, options: SampleOptions, seq: number, nextId: (seq: number) => number, context: SampleContext): PlannedRequest[] {
  // Each unit gets its own millisecond so refunds of one purchase never share a refundedAt.
  const now = context.now + seq;
  if (kind === 'unavailable-users') {
    return [{ route: 'unavailable-users', body: buildUnavailableUsers(options, context.random), label: 'unavailable-users' }];
  }
  if (kind === 'purchase') {
    const id = nextId(seq);
    return [{ route: 'purchase', body: buildPurchase(options, id, now), label: `purchase iapLogId=${id}` }];
  }
  if (options.forPurchase !== undefined) {
    return [{ route: 'refund', body: buildRefund(options, options.forPurchase, now), label: `refund iapLogId=${options.forPurchase}` }];
  }
  const id = nextId(seq);
  return [
    { route: 'purchase', body: buildPurchase(options, id, now - 1000), label: `purchase iapLogId=${id}` },
    { route: 'refund', body: buildRefund(options, id, now), label: `refund iapLogId=${id}` },
  ];
}
