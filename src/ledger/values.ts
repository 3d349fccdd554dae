import { isKnownValue, VALUE_FIELDS, type Os, type ProductType, type PurchasePayload, type RefundPayload, type ValueField, type ValueRef } from '../nachocode';
import type { Queryable, Tx } from '../storage/port';
import type { ApplyContext } from './apply-context';
import { setEventStatus } from './repository/events';
import { findMeaning } from './repository/value-mappings';
import type { StepResult } from './types';

/** A purchase or refund whose enumerated fields carry values the ledger knows (mapped ones replaced by their meaning). */
export type Resolved<T extends PurchasePayload | RefundPayload> = T & { productType: ProductType; os: Os };

export type Resolution<T extends PurchasePayload | RefundPayload> = { ok: true; payload: Resolved<T> } | { ok: false; unknown: ValueRef[] };

/**
 * Serialises reading a value's mapping with setting it: applied at the same moment as the mapping
 * is created (another instance), an event could otherwise read no mapping and be held just after
 * the mapping's transaction looked for the events it releases, and stay held.
 */
export const valueLockKey = (field: string, value: string): string => `ledger:value:${field}:${value}`;

/**
 * Gives every enumerated field a value the ledger knows: its own, or the meaning a value mapping
 * gives it. Known values (nearly every event) cost no query.
 */
export function resolveValues<T extends PurchasePayload | RefundPayload>(tx: Tx, payload: T): Promise<Resolution<T>> {
  return resolveWith(tx, payload, (key) => tx.lock(key));
}

/** The same check without a transaction's locks (the admin API's answer before it queues a retry). */
export async function unknownValuesNow(db: Queryable, payload: PurchasePayload | RefundPayload): Promise<ValueRef[]> {
  const resolved = await resolveWith(db, payload);
  return resolved.ok ? [] : resolved.unknown;
}

async function resolveWith<T extends PurchasePayload | RefundPayload>(
  db: Queryable,
  payload: T,
  lock?: (key: string) => Promise<void>,
): Promise<Resolution<T>> {
  const meanings: Partial<Record<ValueField, string>> = {};
  const unknown: ValueRef[] = [];
  for (const field of VALUE_FIELDS) {
    const value = payload[field];
    if (isKnownValue(field, value)) continue;
    await lock?.(valueLockKey(field, value));
    const meaning = await findMeaning(db, field, value);
    if (meaning !== undefined && isKnownValue(field, meaning)) meanings[field] = meaning;
    else unknown.push({ field, value });
  }
  return unknown.length > 0 ? { ok: false, unknown } : { ok: true, payload: { ...payload, ...meanings } as Resolved<T> };
}

/** Parks the event until its values are understood: the job succeeds, nothing is applied. */
export async function holdForValues(ctx: ApplyContext, unknown: ValueRef[]): Promise<StepResult> {
  await setEventStatus(ctx.tx, ctx.event.id, { status: 'held', now: ctx.now, heldFor: { reason: 'unknown_value', values: unknown } });
  return { status: 'held', applied: [] };
}
