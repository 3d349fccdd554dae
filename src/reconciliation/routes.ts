import express from 'express';
import { z } from 'zod';
import { parseBody, parseQuery } from '../http/parse';
import type { Receive } from '../receiver/routes';
import { environmentSchema, identifierSchema } from '../nachocode';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { principalOf } from '../http/auth';
import { recordConsumption, type ConsumptionDeps } from '../ledger/consumption';
import { acknowledgeAnomaly } from './acknowledge';
import { factsByEventIds, listKeys, lookupFacts } from './facts';
import { ingestRows } from './ingest';
import { parseBound, sqlBounds } from './range';
import { buildReport } from './report';
import type { ReconciliationSettings, TimeRange } from './types';

export interface ReconciliationDeps {
  /** Reads go to storage.read (committed data only); consumptions are written with storage.write. */
  storage: Pick<Storage, 'read' | 'write'>;
  clock: Clock;
  settings: ReconciliationSettings;
  /** The receiver without the webhook key check (callers are admins), storing with source "import". */
  importReceive: Receive;
  /** Told of each consumption's entitlement change (entitlement.updated). */
  entitlements?: ConsumptionDeps['entitlements'];
}

export const bound = (edge: 'from' | 'to') =>
  z
    .string()
    .transform((value, ctx) => {
      const ms = parseBound(value, edge);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'expected a date (2026-03-01) or an ISO date-time' });
      return ms ?? 0;
    })
    .optional();

/** include=acknowledged lists acknowledged anomalies beside the open ones. */
export const includeParam = z.enum(['open', 'acknowledged']).default('open');

export const reportQuery = z.strictObject({
  environment: environmentSchema.default('production'),
  from: bound('from'),
  to: bound('to'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  include: includeParam,
});

export const acknowledgeBody = z.strictObject({ reason: z.string().trim().min(1, 'say why: a reason is required').max(2000) });

/** Parses from/to into a range, rejecting an empty one (from after to). */
export function rangeOf(q: { from?: number; to?: number }): TimeRange {
  const range = { from: q.from ?? null, to: q.to ?? null };
  if (range.from !== null && range.to !== null && range.from > range.to) {
    throw new AppError('invalid_query', 'from is after to', { fields: [{ field: 'from', message: 'must not be after to' }] });
  }
  return range;
}

const isoTime = z.iso.datetime({ offset: true });
const eventId = z.string().regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/, 'expected an event id');
/** Identities (a refund has refundedAt), or the event ids a range page listed. */
export const lookupByKeys = z.strictObject({
  keys: z.array(z.strictObject({ environment: environmentSchema, iapLogId: z.number().int().positive(), refundedAt: isoTime.nullable().optional() })).max(1000),
});
export const lookupByIds = z.strictObject({ eventIds: z.array(eventId).max(1000) });

export const eventsQuery = z.strictObject({
  environment: environmentSchema,
  type: z.enum(['purchase', 'refund']),
  from: bound('from'),
  to: bound('to'),
  after: eventId.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const ingestBody = z.strictObject({
  rows: z.array(z.strictObject({ ref: z.string().max(512).default('api'), body: z.record(z.string(), z.unknown()) })).max(500),
});

export const consumptionBody = z.strictObject({
  environment: environmentSchema,
  productId: identifierSchema,
  quantity: z.number().int().positive().max(1_000_000),
  idempotencyKey: z.string().min(1).max(200),
});

/** Admin API: the report, the lookups the reconcile CLI makes against a running instance, consumption. */
export function reconciliationApiRouter(deps: ReconciliationDeps): express.Router {
  const router = express.Router();
  router.get('/reconciliation', async (req, res) => {
    const q = parseQuery(reportQuery, req.query);
    const range = rangeOf(q);
    res.json(
      await buildReport(deps.storage.read, {
        environment: q.environment,
        range,
        settings: deps.settings,
        now: deps.clock.now(),
        perCodeLimit: q.limit,
        includeAcknowledged: q.include === 'acknowledged',
      }),
    );
  });
  router.post('/reconciliation/anomalies/:id/acknowledge', async (req, res) => {
    // 400, not the 422 of the other bodies here: the request is incomplete, not a wrong value of ours.
    const { reason } = parseBody(acknowledgeBody, req.body, 'acknowledgement', 'bad_request');
    const id = String(req.params.id);
    const by = principalOf(res).sub ?? 'admin';
    const done = await acknowledgeAnomaly(deps.storage, deps.settings, { id, by, reason, now: deps.clock.now() });
    if (done === null) throw new AppError('not_found', `no anomaly ${id}: take the id from GET /api/reconciliation`, { id });
    res.json(done);
  });
  router.post('/reconciliation/lookup', async (req, res) => {
    // Chosen by shape rather than with a union, so a bad key is named (keys.0.environment).
    if (typeof req.body === 'object' && req.body !== null && 'eventIds' in req.body) {
      return res.json({ facts: await factsByEventIds(deps.storage.read, parseBody(lookupByIds, req.body).eventIds) });
    }
    const identities = parseBody(lookupByKeys, req.body).keys.map((k) => ({
      ...k,
      type: k.refundedAt ? ('refund' as const) : ('purchase' as const),
      refundedAt: k.refundedAt ?? null,
    }));
    res.json({ facts: await lookupFacts(deps.storage.read, identities) });
  });
  router.get('/reconciliation/events', async (req, res) => {
    const q = parseQuery(eventsQuery, req.query);
    const { from, to } = sqlBounds(rangeOf(q));
    const page = await listKeys(deps.storage.read, { environment: q.environment, type: q.type, from, to, after: q.after ?? null, limit: q.limit });
    res.json({ data: page.keys, nextCursor: page.nextCursor });
  });
  router.post('/reconciliation/ingest', async (req, res) => {
    const { rows } = parseBody(ingestBody, req.body);
    res.json({ results: await ingestRows(deps.importReceive, rows, req.ip ?? null) });
  });
  router.post('/users/:userId/consumptions', async (req, res) => {
    const userId = z.string().min(1).max(256).safeParse(req.params.userId);
    if (!userId.success) throw new AppError('invalid_query', 'the user id must be 1 to 256 characters');
    const input = parseBody(consumptionBody, req.body);
    const result = await recordConsumption(deps, userId.data, input);
    res.status(result.duplicate ? 200 : 201).json({
      duplicate: result.duplicate,
      consumption: {
        id: result.entry.id,
        idempotencyKey: input.idempotencyKey,
        userId: result.entry.userId,
        environment: result.entry.environment,
        productId: result.entry.productId,
        quantity: result.entry.quantity,
        createdAt: new Date(result.entry.createdAt).toISOString(),
      },
      balance: result.balance,
    });
  });
  return router;
}
