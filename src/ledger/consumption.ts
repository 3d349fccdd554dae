import type { Environment, ProductType } from '../nachocode';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Queryable, Storage, Tx } from '../storage/port';
import { changeOf, type EntitlementChange, type OnEntitlementChanges } from './changes';
import { summarize, type Entitlement, type Totals } from './entitlements';
import { asProductType } from './payload';
import { addEntry, productTotals } from './repository/entries';
import type { LedgerEntry } from './types';
import { findEntryByKey } from './repository/consumptions';

export interface ConsumptionInput {
  environment: Environment;
  productId: string;
  quantity: number;
  idempotencyKey: string;
}

export interface ConsumptionResult {
  duplicate: boolean;
  entry: LedgerEntry;
  balance: Entitlement & { productId: string };
  /** What the consumption did to the entitlement; null for a repeat, which spends nothing. */
  change: EntitlementChange | null;
}

export type ConsumptionDecision =
  { ok: true; balanceAfter: number } | { ok: false; reason: 'insufficient_balance'; available: number } | { ok: false; reason: 'not_consumable' };

/**
 * Whether `quantity` units can be spent. Only consumables are spent (owning a non-consumable is not
 * used up); a balance already below zero (refunded after spending) has nothing available.
 */
export function consumptionDecision(productType: ProductType | null, totals: Totals | null, quantity: number): ConsumptionDecision {
  if (productType === 'non-consumable') return { ok: false, reason: 'not_consumable' };
  const balance = totals === null ? 0 : summarize('consumable', totals).balance;
  const available = Math.max(0, balance);
  if (quantity > available) return { ok: false, reason: 'insufficient_balance', available };
  return { ok: true, balanceAfter: balance - quantity };
}

/** Scoped to the user and environment, so two users' apps may pick the same keys. */
export const consumptionKey = (environment: string, userId: string, idempotencyKey: string): string => `consume:${environment}:${userId}:${idempotencyKey}`;

/**
 * Serialises everything that reads a balance to decide a write (a consumption, a refund's
 * negative-balance check) per user, environment and product, across instances.
 */
export const balanceLockKey = (environment: string, userId: string, productId: string): string => `ledger:balance:${environment}:${userId}:${productId}`;

async function balanceOf(db: Queryable, environment: string, userId: string, productId: string): Promise<ConsumptionResult['balance']> {
  const [row] = await productTotals(db, environment, userId, productId);
  const totals = row ?? { purchased: 0, refunded: 0, consumed: 0 };
  return { productId, ...summarize(row ? asProductType(row.productType) : 'consumable', totals) };
}

/** A repeat must be the same consumption: a key reused for something else is a client bug. */
async function repeat(db: Queryable, existing: LedgerEntry, userId: string, input: ConsumptionInput): Promise<ConsumptionResult> {
  if (existing.productId !== input.productId || existing.quantity !== input.quantity) {
    throw new AppError('conflict', `idempotencyKey ${JSON.stringify(input.idempotencyKey)} was already used for a different consumption`, {
      idempotencyKey: input.idempotencyKey,
      recorded: { productId: existing.productId, quantity: existing.quantity },
    });
  }
  return { duplicate: true, entry: existing, balance: await balanceOf(db, input.environment, userId, input.productId), change: null };
}

/**
 * Runs inside one transaction: the balance check and the entry commit together, and the lock taken
 * first serialises them with every other consumption of the same product by the same user (on any
 * instance), so two concurrent requests can never both spend the last unit.
 */
export async function consumeInTransaction(tx: Tx, userId: string, input: ConsumptionInput, now: number): Promise<ConsumptionResult> {
  await tx.lock(balanceLockKey(input.environment, userId, input.productId));
  const entryKey = consumptionKey(input.environment, userId, input.idempotencyKey);
  const existing = await findEntryByKey(tx, entryKey);
  if (existing) return repeat(tx, existing, userId, input);
  const [row] = await productTotals(tx, input.environment, userId, input.productId);
  const decision = consumptionDecision(row ? asProductType(row.productType) : null, row ?? null, input.quantity);
  if (!decision.ok && decision.reason === 'not_consumable') {
    throw new AppError('validation_failed', `${input.productId} is a non-consumable: owning it is not used up`, {
      fields: [{ field: 'productId', message: 'only consumable products can be consumed' }],
    });
  }
  if (!decision.ok) {
    throw new AppError(
      'insufficient_balance',
      `${userId} has ${decision.available} of ${input.productId} available in ${input.environment}; ${input.quantity} requested`,
      { productId: input.productId, environment: input.environment, available: decision.available, requested: input.quantity },
    );
  }
  const consume = {
    entryKey,
    eventId: null,
    environment: input.environment,
    userId,
    productId: input.productId,
    nachoProductId: row?.nachoProductId ?? null,
    productType: 'consumable',
    iapLogId: null,
    kind: 'consume' as const,
    quantity: input.quantity,
    amount: null,
    createdAt: now,
  };
  const written = await addEntry(tx, consume);
  const entry = await findEntryByKey(tx, entryKey);
  if (!entry) throw new Error(`consumption ${entryKey} was not written`);
  // The same key recorded meanwhile by a request for another product (another lock) on another instance.
  if (!written) return repeat(tx, entry, userId, input);
  const change = changeOf(consume, 'consumption', 'consumable', input.idempotencyKey);
  return { duplicate: false, entry, balance: await balanceOf(tx, input.environment, userId, input.productId), change };
}

export interface ConsumptionDeps {
  storage: Pick<Storage, 'write'>;
  clock: Clock;
  /** Told of the change inside the consumption's transaction (entitlement.updated), and after its commit when it queued deliveries. */
  entitlements?: { changed: OnEntitlementChanges; queued(): void };
}

export async function recordConsumption(deps: ConsumptionDeps, userId: string, input: ConsumptionInput): Promise<ConsumptionResult> {
  const { result, queued } = await deps.storage.write(async (tx) => {
    const now = deps.clock.now();
    const result = await consumeInTransaction(tx, userId, input, now);
    const queued = result.change !== null && deps.entitlements !== undefined && (await deps.entitlements.changed(tx, [result.change], now));
    return { result, queued };
  });
  if (queued) deps.entitlements?.queued();
  return result;
}
