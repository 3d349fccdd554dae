import express from 'express';
import { z } from 'zod';
import { parseQuery } from '../http/parse';
import { AppError } from '../shared/errors';
import type { Queryable } from '../storage/port';
import { getEvent, heldForOf, listEvents, type EventRow } from './events-repository';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function eventView(row: EventRow) {
  return {
    // `eventId`, as the webhook answer, replays, the inspector list and reconciliation name it.
    eventId: row.id,
    type: row.type,
    status: row.status,
    /** Why a held event waits: its purchase, or values iaphook does not know. */
    heldFor: heldForOf(row.status, row.heldFor),
    environment: row.environment,
    dedupeKey: row.dedupeKey,
    userId: row.userId,
    productId: row.productId,
    iapLogId: row.iapLogId,
    source: row.source,
    receivedAt: iso(row.receivedAt),
    appliedAt: iso(row.appliedAt),
    error: row.error,
    rawRequestId: row.rawRequestId,
    payload: JSON.parse(row.payload) as unknown,
  };
}

export const listQuery = z.strictObject({
  type: z
    .enum(['purchase', 'refund', 'unavailable_users', 'unavailable-users'])
    .transform((t) => t.replace('-', '_'))
    .optional(),
  status: z.enum(['received', 'held', 'applied', 'failed', 'dead']).optional(),
  userId: z.string().min(1).max(256).optional(),
  environment: z.enum(['sandbox', 'production']).optional(),
  cursor: z
    .string()
    .regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/, 'expected an event id from nextCursor')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export interface EventsRoutesDeps {
  db: Queryable;
  /** The ledger entries an event caused. */
  entriesForEvent(db: Queryable, eventId: string): Promise<unknown[]>;
}

/** Admin API over stored events. Mounted behind an admin JWT check. */
export function eventsRouter(deps: EventsRoutesDeps): express.Router {
  const router = express.Router();
  router.get('/events', async (req, res) => {
    const { rows, nextCursor } = await listEvents(deps.db, parseQuery(listQuery, req.query));
    res.json({ data: rows.map(eventView), nextCursor });
  });
  router.get('/events/:eventId', async (req, res) => {
    const row = await getEvent(deps.db, req.params.eventId);
    if (row === undefined) throw new AppError('not_found', `no event ${req.params.eventId}`);
    res.json({ ...eventView(row), ledgerEntries: await deps.entriesForEvent(deps.db, row.id) });
  });
  return router;
}
