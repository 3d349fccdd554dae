import { z } from 'zod';
import { entitlementView } from '../ledger/openapi';
import { adminErrors, isoTime, problem, type RouteDoc } from '../shared/route-doc';
import { acknowledgeBody, consumptionBody, eventsQuery, ingestBody, lookupByIds, lookupByKeys, reportQuery } from './routes';
import { REPORT_ANOMALY_CODES } from './types';

const counts = {
  purchases: z.number(),
  refunds: z.number(),
  unitsGranted: z.number(),
  unitsRefunded: z.number(),
  unitsConsumed: z.number(),
  grossPrice: z.number(),
  refundedPrice: z.number(),
  netPrice: z.number(),
};

const acknowledgementView = z.object({ by: z.string(), reason: z.string(), at: isoTime });

const report = z.object({
  environment: z.enum(['sandbox', 'production']),
  range: z.object({ from: isoTime.nullable(), to: isoTime.nullable() }),
  generatedAt: isoTime,
  settings: z.object({ orphanRefundGraceMs: z.number(), stuckEventAfterMs: z.number() }),
  totals: z.array(z.object({ productId: z.string(), productType: z.string().nullable(), ...counts })),
  overall: z.object(counts),
  anomalyCounts: z.record(z.enum(REPORT_ANOMALY_CODES), z.number()).describe('open anomalies only'),
  acknowledgedCounts: z.record(z.enum(REPORT_ANOMALY_CODES), z.number()),
  includeAcknowledged: z.boolean(),
  anomalies: z.array(
    z.object({
      id: z.string().describe('stable across reports: what the acknowledge route takes'),
      code: z.enum(REPORT_ANOMALY_CODES),
      explanation: z.string(),
      environment: z.string().nullable(),
      userId: z.string().nullable(),
      productId: z.string().nullable(),
      at: isoTime,
      count: z.number().describe('near-identical findings collapsed into this entry'),
      firstSeen: isoTime,
      lastSeen: isoTime,
      evidence: z.object({ eventIds: z.array(z.string()), rawRequestIds: z.array(z.string()), details: z.record(z.string(), z.unknown()) }),
      acknowledgement: acknowledgementView.nullable(),
    }),
  ),
  perCodeLimit: z.number(),
  daily: z.array(z.object({ day: z.string(), productId: z.string(), purchases: z.number(), refunds: z.number() })),
});

const fact = z.object({
  type: z.enum(['purchase', 'refund']),
  dedupeKey: z.string(),
  iapLogId: z.number().nullable(),
  refundedAt: z.string().nullable(),
  eventId: z.string(),
  rawRequestId: z.string().nullable(),
  status: z.string(),
  source: z.string(),
  fields: z.record(z.string(), z.unknown()),
});

const consumption = z.object({
  duplicate: z.boolean(),
  consumption: z.object({
    id: z.number(),
    idempotencyKey: z.string(),
    userId: z.string(),
    environment: z.enum(['sandbox', 'production']),
    productId: z.string(),
    quantity: z.number(),
    createdAt: isoTime,
  }),
  balance: entitlementView.omit({ nachoProductId: true, productType: true }),
});

const pages = { tag: 'Reconciliation', auth: 'admin' } as const;

export const reconciliationRouteDocs: RouteDoc[] = [
  {
    ...pages,
    method: 'get',
    path: '/api/reconciliation',
    summary: 'The report: totals, daily counts and anomalies',
    query: reportQuery,
    responses: { 200: { description: 'the report', schema: report }, 400: problem('invalid_query'), ...adminErrors },
  },
  {
    ...pages,
    method: 'post',
    path: '/api/reconciliation/anomalies/:id/acknowledge',
    summary: 'Acknowledge an anomaly: who (the token subject) and why; it leaves the open list',
    body: acknowledgeBody,
    responses: {
      200: { description: 'acknowledged', schema: z.object({ id: z.string(), code: z.enum(REPORT_ANOMALY_CODES), acknowledgement: acknowledgementView }) },
      400: problem('bad_request: no reason'),
      404: problem('no such anomaly (or no longer one)'),
      ...adminErrors,
    },
  },
  {
    ...pages,
    method: 'post',
    path: '/api/reconciliation/lookup',
    summary: 'The stored event for each identity (or event id) that has one',
    body: z.union([lookupByKeys, lookupByIds]),
    responses: { 200: { description: 'the facts found', schema: z.object({ facts: z.array(fact) }) }, 422: problem('validation_failed'), ...adminErrors },
  },
  {
    ...pages,
    method: 'get',
    path: '/api/reconciliation/events',
    summary: 'Events whose own time is in the range, in id order',
    query: eventsQuery,
    responses: {
      200: {
        description: 'a page of identities',
        schema: z.object({ data: z.array(z.object({ eventId: z.string(), dedupeKey: z.string() })), nextCursor: z.string().nullable() }),
      },
      400: problem('invalid_query'),
      ...adminErrors,
    },
  },
  {
    ...pages,
    method: 'post',
    path: '/api/reconciliation/ingest',
    summary: 'Each body through the receiver as an import',
    body: ingestBody,
    responses: {
      200: {
        description: 'one result per row',
        schema: z.object({
          results: z.array(
            z.object({ ref: z.string(), status: z.number(), outcome: z.string(), eventId: z.string().nullable(), error: z.string().nullable() }),
          ),
        }),
      },
      422: problem('validation_failed'),
      ...adminErrors,
    },
  },
  {
    method: 'post',
    path: '/api/users/:userId/consumptions',
    tag: 'Entitlements',
    summary: 'Units spent in the app: a consume entry in the ledger',
    auth: 'admin',
    body: consumptionBody,
    responses: {
      201: { description: 'recorded; balance is the entitlement after it', schema: consumption },
      200: { description: 'the same idempotencyKey again: nothing more is spent', schema: consumption },
      409: problem('insufficient_balance, or the key was used for another product or quantity'),
      422: problem('a bad body, or a non-consumable product'),
      ...adminErrors,
    },
  },
  {
    method: 'get',
    path: '/reconciliation',
    tag: 'Pages',
    summary: 'The reconciliation page (HTML; its one script is acknowledge.js)',
    auth: 'admin',
    query: reportQuery.omit({ limit: true }),
    responses: {
      200: { description: 'the report as a page', contentType: 'text/html' },
      400: { description: 'a bad parameter', contentType: 'text/html' },
      401: { description: 'not signed in: a link to the sign-in page', contentType: 'text/html' },
    },
  },
  {
    method: 'get',
    path: '/reconciliation/acknowledge.js',
    tag: 'Pages',
    summary: "The reconciliation page's acknowledge script",
    auth: 'none',
    responses: { 200: { description: 'JavaScript', contentType: 'text/javascript' } },
  },
  {
    method: 'get',
    path: '/reconciliation/style.css',
    tag: 'Pages',
    summary: "The reconciliation page's style sheet",
    auth: 'none',
    responses: { 200: { description: 'CSS', contentType: 'text/css' } },
  },
];
