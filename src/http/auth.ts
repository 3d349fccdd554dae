import { parse as parseCookie } from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../shared/errors';
import { bearer } from './bearer';
import { crossOriginProblem, originFacts } from './same-origin';
import type { TokenChecker } from './token-checker';
import type { Principal, Role } from './tokens';

/** The browser pages' session: an admin JWT in an httpOnly, SameSite=Strict cookie. */
export const ADMIN_COOKIE = 'iaphook_admin';

export { bearer };

/**
 * One cookie's value, parsed by the `cookie` package Express uses: a value that does not
 * percent-decode (iaphook_admin=%E0%A4%A) comes back as written and then fails as a token (401),
 * where decodeURIComponent used to throw (500).
 */
export function cookieValue(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  return parseCookie(header)[name] ?? null;
}

export interface RoleOptions {
  /**
   * Also accept the admin session cookie (pages and the APIs they call). SameSite=Strict blocks
   * other sites; a state-changing request must also prove it comes from this origin (same-origin.ts).
   */
  cookie?: boolean;
  /** PUBLIC_URL: one of the origins the pages may be served from. */
  publicUrl?: string | null;
}

/** Requires a valid JWT with the given role: 401 when absent or invalid, 403 when the role differs. */
export function requireRole(tokens: TokenChecker, role: Role, options: RoleOptions = {}): RequestHandler {
  return async (req, res, next) => {
    const fromHeader = bearer(req.headers.authorization);
    const token = fromHeader ?? (options.cookie === true ? cookieValue(req, ADMIN_COOKIE) : null);
    if (token === null) throw new AppError('unauthorized', 'missing bearer token: send "Authorization: Bearer <JWT>"');
    const result = await tokens.verify(token);
    if (!result.ok) throw new AppError('unauthorized', result.reason);
    if (fromHeader === null) {
      const problem = crossOriginProblem(originFacts(req, options.publicUrl ?? null));
      if (problem !== null) throw new AppError('forbidden', problem);
    }
    if (result.principal.role !== role) {
      throw new AppError('forbidden', `this route needs a ${role} token; the token has role ${result.principal.role}`);
    }
    res.locals.principal = result.principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (principal === undefined) throw new AppError('unauthorized', 'not signed in');
  return principal;
}
