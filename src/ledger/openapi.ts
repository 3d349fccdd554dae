import { z } from 'zod';
import { adminErrors, isoTime, problem, type RouteDoc } from '../shared/route-doc';
import { KNOWN_VALUES } from '../nachocode';
import { mappingBody } from './held-routes';
import { envQuery } from './routes';

export const entitlementView = z.object({
  productId: z.string(),
  nachoProductId: z.string().nullable(),
  productType: z.enum(['consumable', 'non-consumable']),
  purchased: z.number(),
  refunded: z.number(),
  consumed: z.number(),
  balance: z.number(),
  active: z.boolean(),
});

const mapping = z.object({ field: z.string(), value: z.string(), meaning: z.string(), createdAt: isoTime, updatedAt: isoTime });

const entitlements = z.object({ userId: z.string(), environment: z.enum(['sandbox', 'production']), entitlements: z.array(entitlementView) });

export const ledgerRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/users/:userId/entitlements',
    tag: 'Entitlements',
    summary: "A user's entitlements in one environment",
    auth: 'admin',
    query: envQuery,
    responses: { 200: { description: 'one row per product ever granted', schema: entitlements }, 400: problem('invalid_query'), ...adminErrors },
  },
  {
    method: 'get',
    path: '/v1/me/entitlements',
    tag: 'Entitlements',
    summary: "The token's own user's entitlements",
    auth: 'user',
    query: envQuery,
    responses: {
      200: { description: 'the same shape, for the token’s sub only', schema: entitlements },
      400: problem('invalid_query'),
      401: problem('no user token, or one without sub'),
      403: problem('a token of another role'),
    },
  },
  {
    method: 'get',
    path: '/api/value-mappings',
    tag: 'Events',
    summary: 'What each value iaphook did not know means, and the values it knows',
    auth: 'admin',
    responses: {
      200: {
        description: 'every mapping',
        schema: z.object({ data: z.array(mapping), knownValues: z.object(Object.fromEntries(Object.keys(KNOWN_VALUES).map((k) => [k, z.array(z.string())]))) }),
      },
      ...adminErrors,
    },
  },
  {
    method: 'put',
    path: '/api/value-mappings/:field/:value',
    tag: 'Events',
    summary: 'Say what a value means: every event held for it is applied again, oldest first',
    auth: 'admin',
    body: mappingBody,
    responses: {
      200: { description: 'the mapping, and how many held events were queued', schema: mapping.extend({ queued: z.number() }) },
      404: problem('not a field with values (productType, os)'),
      422: problem('a meaning iaphook does not know, or a value it already knows'),
      ...adminErrors,
    },
  },
  {
    method: 'delete',
    path: '/api/value-mappings/:field/:value',
    tag: 'Events',
    summary: 'Forget a mapping: later events with the value are held again',
    auth: 'admin',
    responses: { 204: { description: 'deleted' }, 404: problem('no such mapping'), ...adminErrors },
  },
  {
    method: 'post',
    path: '/api/events/:eventId/apply',
    tag: 'Events',
    summary: 'Apply a held event again (after an upgrade)',
    auth: 'admin',
    responses: {
      202: { description: 'queued', schema: z.object({ eventId: z.string(), status: z.literal('queued') }) },
      404: problem('no such event'),
      409: problem('unknown_value, awaiting_purchase, or conflict (the event is not held)'),
      ...adminErrors,
    },
  },
];
