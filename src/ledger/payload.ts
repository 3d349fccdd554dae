import { productTypeSchema, purchaseSchema, refundSchema, unavailableUsersSchema, type EventPayload, type ProductType } from '../nachocode';
import type { EventRow } from '../receiver';

/**
 * The receiver validated the body before storing it; parsing again here gives the ledger typed
 * payloads and turns a row written by something else (an import, a hand edit) into a job failure
 * instead of a wrong ledger entry.
 */
export function parseEventPayload(event: EventRow): EventPayload {
  const body: unknown = JSON.parse(event.payload);
  switch (event.type) {
    case 'purchase':
      return { type: 'purchase', payload: purchaseSchema.parse(body) };
    case 'refund':
      return { type: 'refund', payload: refundSchema.parse(body) };
    case 'unavailable_users':
      return { type: 'unavailable_users', payload: unavailableUsersSchema.parse(body) };
    default:
      throw new Error(`event ${event.id} has unknown type ${JSON.stringify(event.type)}`);
  }
}

/** ISO time (already validated) to epoch milliseconds, the schema's time unit. */
export function toMillis(iso: string): number {
  return Date.parse(iso);
}

/** Product types come back from the database as text; this is the one place they are narrowed. */
export function asProductType(value: string): ProductType {
  return productTypeSchema.parse(value);
}
