import type { RequestHandler, Response } from 'express';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import { verifyToken, type Principal, type Role } from './tokens';

function bearer(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match === null ? null : match[1];
}

/** Requires a valid JWT with the given role: 401 when absent or invalid, 403 when the role differs. */
export function requireRole(secret: string, role: Role, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const token = bearer(req.headers.authorization);
    if (token === null) throw new AppError('unauthorized', 'missing bearer token: send "Authorization: Bearer <JWT>"');
    const result = verifyToken(secret, token, clock.now());
    if (!result.ok) throw new AppError('unauthorized', result.reason);
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
