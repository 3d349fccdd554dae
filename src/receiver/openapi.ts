import { z } from 'zod';
import { purchaseSchema, refundSchema, unavailableUsersSchema } from '../nachocode';
import { adminErrors, isoTime, problem, type ResponseDoc, type RouteDoc } from '../shared/route-doc';
import { listQuery } from './events-routes';

const valueRef = z.object({ field: z.string(), value: z.string() });
const received = z.object({
  received: z.literal(true),
  duplicate: z.boolean(),
  eventId: z.string(),
  unknownValues: z.array(valueRef).optional().describe('values iaphook does not know: the event is stored and held until a mapping says what they mean'),
});

/** What every webhook route answers. */
const webhookAnswers: Record<number, ResponseDoc> = {
  200: { description: 'stored (on disk) and queued for the ledger; `duplicate: true` for the same event again', schema: received },
  400: problem('invalid_json: not JSON, or not UTF-8'),
  401: problem('a missing, malformed or unknown webhook key'),
  409: problem('conflict: the same event identity with different content; the first is kept'),
  413: problem('payload_too_large: larger than BODY_LIMIT'),
  415: problem('unsupported_media_type: a Content-Type other than JSON'),
  422: problem('validation_failed (details.fields names each field) or shape_mismatch'),
  503: problem('neither the database nor the spool could take the request'),
};

const webhook = (path: string, summary: string, body: z.ZodType): RouteDoc => ({
  method: 'post',
  path,
  tag: 'Webhooks',
  summary,
  auth: 'webhookKey',
  body,
  responses: webhookAnswers,
});

export const eventView = z.object({
  eventId: z.string(),
  type: z.enum(['purchase', 'refund', 'unavailable_users']),
  status: z.enum(['received', 'held', 'applied', 'failed', 'dead']),
  environment: z.string().nullable(),
  dedupeKey: z.string(),
  userId: z.string().nullable(),
  productId: z.string().nullable(),
  iapLogId: z.number().nullable(),
  source: z.string(),
  receivedAt: isoTime,
  appliedAt: isoTime.nullable(),
  error: z.string().nullable(),
  heldFor: z
    .union([z.object({ reason: z.literal('awaiting_purchase') }), z.object({ reason: z.literal('unknown_value'), values: z.array(valueRef) })])
    .nullable()
    .describe('why a held event waits'),
  rawRequestId: z.string().nullable(),
  payload: z.unknown(),
});

export const ledgerEntryView = z.object({
  id: z.number(),
  entryKey: z.string(),
  eventId: z.string().nullable(),
  environment: z.string(),
  userId: z.string(),
  productId: z.string(),
  nachoProductId: z.string().nullable(),
  productType: z.string(),
  iapLogId: z.number().nullable(),
  kind: z.enum(['grant', 'revoke', 'consume']),
  quantity: z.number(),
  amount: z.number().nullable(),
  createdAt: isoTime,
});

export const receiverRouteDocs: RouteDoc[] = [
  webhook('/webhooks/nachocode/purchase', 'A purchase from nachocode', purchaseSchema),
  webhook('/webhooks/nachocode/refund', 'A refund (full or partial) from nachocode', refundSchema),
  webhook('/webhooks/nachocode/unavailable-users', 'Users whose push tokens were not found or invalid', unavailableUsersSchema),
  webhook('/webhooks/nachocode', 'Any of the three, classified by its shape', z.union([purchaseSchema, refundSchema, unavailableUsersSchema])),
  {
    method: 'post',
    path: '/webhooks/{*rest}',
    tag: 'Webhooks',
    summary: 'Any other path under /webhooks (any method): recorded in the inspector and answered 404',
    auth: 'none',
    responses: { 404: problem('no webhook route at this path') },
  },
  {
    method: 'get',
    path: '/api/events',
    tag: 'Events',
    summary: 'Stored events, newest first',
    auth: 'admin',
    query: listQuery,
    responses: {
      200: {
        description: 'a page of events; pass nextCursor as cursor for the next',
        schema: z.object({ data: z.array(eventView), nextCursor: z.string().nullable() }),
      },
      400: problem('invalid_query: a bad parameter, named in details.fields'),
      ...adminErrors,
    },
  },
  {
    method: 'get',
    path: '/api/events/:eventId',
    tag: 'Events',
    summary: 'One event with the ledger entries it caused',
    auth: 'admin',
    responses: {
      200: { description: 'the event', schema: eventView.extend({ ledgerEntries: z.array(ledgerEntryView) }) },
      404: problem('no such event'),
      ...adminErrors,
    },
  },
];
