import type { Tx } from '../storage/port';
import type { EntitlementChange } from './changes';
import { recordAnomaly } from './repository/anomalies';
import { setEventStatus, type EventRow } from './repository/events';
import type { AnomalyCode, StepResult } from './types';

/** What every apply step needs: the transaction, the event being applied, and the time. */
export interface ApplyContext {
  tx: Tx;
  event: EventRow;
  now: number;
  /** Where the steps record each entitlement they moved (shared by the held refunds a purchase releases). */
  changes: EntitlementChange[];
}

export interface Subject {
  environment: string | null;
  userId: string | null;
  productId: string | null;
}

/** One anomaly per event and code, so applying the same event again records nothing new. */
export async function reportAnomaly(ctx: ApplyContext, code: AnomalyCode, subject: Subject, details: Record<string, unknown>): Promise<void> {
  await recordAnomaly(ctx.tx, {
    anomalyKey: `${ctx.event.id}:${code}`,
    code,
    ...subject,
    eventId: ctx.event.id,
    rawRequestId: ctx.event.rawRequestId,
    details,
    createdAt: ctx.now,
  });
}

export async function markApplied(ctx: ApplyContext): Promise<StepResult> {
  await setEventStatus(ctx.tx, ctx.event.id, { status: 'applied', now: ctx.now });
  return { status: 'applied', applied: [{ eventId: ctx.event.id, type: ctx.event.type, receivedAt: ctx.event.receivedAt }] };
}
