import express from 'express';
import { z } from 'zod';
import { principalOf } from '../http/auth';
import { parseQuery } from '../http/parse';
import { AppError } from '../shared/errors';
import type { Queryable } from '../storage/port';

export interface EntitlementRow {
  productId: string;
  nachoProductId: string | null;
  productType: string;
  purchased: number;
  refunded: number;
  consumed: number;
  balance: number;
  active: boolean;
}

export type EntitlementsFor = (db: Queryable, userId: string, environment: 'sandbox' | 'production') => Promise<EntitlementRow[]>;

export const envQuery = z.strictObject({ environment: z.enum(['sandbox', 'production']).default('production') });
const userIdParam = z.string().min(1).max(256);

async function answer(db: Queryable, entitlementsFor: EntitlementsFor, userId: string, query: unknown) {
  const { environment } = parseQuery(envQuery, query);
  return { userId, environment, entitlements: await entitlementsFor(db, userId, environment) };
}

/** Admin: any user's entitlements. Mounted under /api behind an admin JWT. */
export function adminEntitlementsRouter(db: Queryable, entitlementsFor: EntitlementsFor): express.Router {
  const router = express.Router();
  router.get('/users/:userId/entitlements', async (req, res) => {
    const userId = userIdParam.safeParse(req.params.userId);
    if (!userId.success) throw new AppError('invalid_query', 'the user id must be 1 to 256 characters');
    res.json(await answer(db, entitlementsFor, userId.data, req.query));
  });
  return router;
}

/** App users: their own entitlements only; the user id comes from the token, never from the URL. */
export function meRouter(db: Queryable, entitlementsFor: EntitlementsFor): express.Router {
  const router = express.Router();
  router.get('/me/entitlements', async (req, res) => {
    const { sub } = principalOf(res);
    if (sub === null) throw new AppError('unauthorized', 'the token has no sub claim');
    res.json(await answer(db, entitlementsFor, sub, req.query));
  });
  return router;
}
