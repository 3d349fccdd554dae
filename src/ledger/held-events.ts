import { KNOWN_VALUES, VALUE_FIELDS, isKnownValue, type ValueField } from '../nachocode';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Storage, Tx } from '../storage/port';
import { parseEventPayload } from './payload';
import { findEvent, findHeldForValue } from './repository/events';
import { findPurchase } from './repository/purchases';
import { deleteMapping, listMappings, upsertMapping, type ValueMapping } from './repository/value-mappings';
import { heldForOf } from '../receiver';
import { unknownValuesNow, valueLockKey } from './values';

export interface HeldEventsDeps {
  storage: Pick<Storage, 'read' | 'write'>;
  clock: Clock;
  /** Queues an event's apply job inside the caller's transaction. */
  enqueueApply(tx: Tx, eventId: string, now: number): Promise<void>;
  /** After a commit that queued apply jobs: wakes the apply worker (here and on the other instances). */
  wake(): void;
}

/** The path's field, or a 404 naming the fields that have mappings. */
export function valueFieldOf(field: string): ValueField {
  if ((VALUE_FIELDS as string[]).includes(field)) return field as ValueField;
  throw new AppError('not_found', `no enumerated field ${JSON.stringify(field)}; value mappings exist for ${VALUE_FIELDS.join(', ')}`, {
    fields: VALUE_FIELDS,
  });
}

/**
 * Held events: those waiting for a value to be understood (a mapping, or an upgrade that knows it)
 * and the admin actions that release them. Releasing queues the events' apply jobs again, oldest
 * first, so they apply in the order they were received, each as the worker applies any event.
 */
export class HeldEvents {
  constructor(private readonly deps: HeldEventsDeps) {}

  list(): Promise<ValueMapping[]> {
    return listMappings(this.deps.storage.read);
  }

  /** Sets what `value` of `field` means, and queues every event held for it. */
  async map(field: ValueField, value: string, meaning: string): Promise<{ mapping: ValueMapping; queued: number }> {
    if (isKnownValue(field, value)) {
      throw new AppError('validation_failed', `${field} ${JSON.stringify(value)} is a value iaphook knows; it needs no mapping`, {
        fields: [{ field: 'value', message: 'already known' }],
      });
    }
    if (!isKnownValue(field, meaning)) {
      throw new AppError('validation_failed', `meaning must be one of ${KNOWN_VALUES[field].join(', ')}`, {
        fields: [{ field: 'meaning', message: `expected one of ${KNOWN_VALUES[field].join('|')}` }],
      });
    }
    const result = await this.deps.storage.write(async (tx) => {
      const now = this.deps.clock.now();
      // Taken by every apply that reads this value's mapping: no event is held unseen by the query below.
      await tx.lock(valueLockKey(field, value));
      const mapping = await upsertMapping(tx, field, value, meaning, now);
      const held = await findHeldForValue(tx, field, value);
      for (const { id } of held) await this.deps.enqueueApply(tx, id, now);
      return { mapping, queued: held.length };
    });
    if (result.queued > 0) this.deps.wake();
    return result;
  }

  /** Later events with the value are held again; events it already released stay applied (the ledger is append-only). */
  async unmap(field: ValueField, value: string): Promise<void> {
    const deleted = await this.deps.storage.write((tx) => deleteMapping(tx, field, value));
    if (!deleted) throw new AppError('not_found', `no value mapping for ${field} ${JSON.stringify(value)}`);
  }

  /**
   * Applies a held event again (after an upgrade that knows its value, say): refused with 409 and
   * the reason while it still cannot be applied, queued otherwise.
   */
  async retry(eventId: string): Promise<{ eventId: string; status: 'queued' }> {
    await this.deps.storage.write(async (tx) => {
      const event = await findEvent(tx, eventId);
      if (event === undefined) throw new AppError('not_found', `no event ${eventId}`);
      const heldFor = heldForOf(event.status, event.heldFor);
      if (heldFor === null) throw new AppError('conflict', `event ${eventId} is ${event.status}, not held`, { eventId, status: event.status });
      const parsed = parseEventPayload(event);
      if (parsed.type === 'unavailable_users') throw new AppError('conflict', `event ${eventId} cannot be held`, { eventId });
      const unknown = await unknownValuesNow(tx, parsed.payload);
      if (unknown.length > 0) {
        const named = unknown.map((u) => `${u.field} ${JSON.stringify(u.value)}`).join(', ');
        throw new AppError(
          'unknown_value',
          `event ${eventId} still carries a value iaphook does not know: ${named}; map it with PUT /api/value-mappings/<field>/<value>`,
          {
            eventId,
            unknownValues: unknown,
          },
        );
      }
      const { environment, iapLogId } = parsed.payload;
      if (parsed.type === 'refund' && (await findPurchase(tx, environment, iapLogId)) === undefined) {
        throw new AppError(
          'awaiting_purchase',
          `refund ${eventId} waits for its purchase (iapLogId ${iapLogId} in ${environment}), which has not been applied`,
          {
            eventId,
            environment,
            iapLogId,
          },
        );
      }
      await this.deps.enqueueApply(tx, eventId, this.deps.clock.now());
    });
    this.deps.wake();
    return { eventId, status: 'queued' };
  }
}
