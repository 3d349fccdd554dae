import type { Environment, ProductType } from '../nachocode/schemas';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Db } from '../storage/sqlite/database';
import type { GroupCommitter } from '../storage/sqlite/group-commit';
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
}

export type ConsumptionDecision =
  | { ok: true; balanceAfter: number }
  | { ok: false; reason: 'insufficient_balance'; available: number }
  | { ok: false; reason: 'not_consumable' };

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
export const consumptionKey = (environment: string, userId: string, idempotencyKey: string): string =>
  `consume:${environment}:${userId}:${idempotencyKey}`;

function balanceOf(db: Db, environment: string, userId: string, productId: string): ConsumptionResult['balance'] {
  const [row] = productTotals(db, environment, userId, productId);
  const totals = row ?? { purchased: 0, refunded: 0, consumed: 0 };
  return { productId, ...summarize(row ? asProductType(row.productType) : 'consumable', totals) };
}

/** A repeat must be the same consumption: a key reused for something else is a client bug. */
function repeat(db: Db, existing: LedgerEntry, userId: string, input: ConsumptionInput): ConsumptionResult {
  if (existing.productId !== input.productId || existing.quantity !== input.quantity) {
    throw new AppError('conflict', `idempotencyKey ${JSON.stringify(input.idempotencyKey)} was already used for a different consumption`, {
      idempotencyKey: input.idempotencyKey,
      recorded: { productId: existing.productId, quantity: existing.quantity },
    });
  }
  return { duplicate: true, entry: existing, balance: balanceOf(db, input.environment, userId, input.productId) };
}

/**
 * Runs inside one transaction: the balance check and the entry commit together, so two concurrent
 * requests can never both spend the last unit.
 */
export function consumeInTransaction(db: Db, userId: string, input: ConsumptionInput, now: number): ConsumptionResult {
  const entryKey = consumptionKey(input.environment, userId, input.idempotencyKey);
  const existing = findEntryByKey(db, entryKey);
  if (existing) return repeat(db, existing, userId, input);
  const [row] = productTotals(db, input.environment, userId, input.productId);
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
  addEntry(db, {
    entryKey,
    eventId: null,
    environment: input.environment,
    userId,
    productId: input.productId,
    nachoProductId: row?.nachoProductId ?? null,
    productType: 'consumable',
    iapLogId: null,
    kind: 'consume',
    quantity: input.quantity,
    amount: null,
    createdAt: now,
  });
  const entry = findEntryByKey(db, entryKey);
  if (!entry) throw new Error(`consumption ${entryKey} was not written`);
  return { duplicate: false, entry, balance: balanceOf(db, input.environment, userId, input.productId) };
}

export function recordConsumption(
  deps: { committer: GroupCommitter; clock: Clock },
  userId: string,
  input: ConsumptionInput,
): Promise<ConsumptionResult> {
  return deps.committer.run((db) => consumeInTransaction(db, userId, input, deps.clock.now()));
}
