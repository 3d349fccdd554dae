import { z } from 'zod';
import { adminErrors, problem, type RouteDoc } from '../shared/route-doc';
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
];
