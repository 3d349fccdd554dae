import jwt from 'jsonwebtoken';
import { z } from 'zod';

export type Role = 'admin' | 'user';

export interface Principal {
  role: Role;
  /** The app user's id for role user; free-form for admins. */
  sub: string | null;
}

const claimsSchema = z.object({
  role: z.enum(['admin', 'user']),
  sub: z.string().min(1).max(256).optional(),
  exp: z.number(),
  iat: z.number().optional(),
});

/** JWT_MAX_TTL's default: 30 days. */
export const DEFAULT_MAX_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Why a token lives too long, or null. `exp` alone proves nothing: exp: 1e20 is a number too. The
 * token must end within maxTtl from now, and, when it says when it was issued, its whole lifetime
 * must fit maxTtl (a 10-year token is refused on its first day as on its last).
 */
export function lifetimeProblem(claims: { exp: number; iat?: number }, nowSeconds: number, maxTtlSeconds: number): string | null {
  const limit = `JWT_MAX_TTL (${maxTtlSeconds} s)`;
  if (!Number.isFinite(claims.exp) || claims.exp - nowSeconds > maxTtlSeconds) return `the token expires further ahead than ${limit} allows`;
  if (claims.iat !== undefined && (!Number.isFinite(claims.iat) || claims.exp - claims.iat > maxTtlSeconds))
    return `the token's lifetime is longer than ${limit}`;
  return null;
}

export interface SignOptions {
  role: Role;
  sub?: string;
  /** Seconds; 1 hour by default. */
  expiresInSeconds?: number;
  /** When it is issued (ms): the issuer's clock, which must agree with the server's within JWT_MAX_TTL. */
  now?: number;
}

export function signToken(secret: string, options: SignOptions): string {
  const payload: Record<string, unknown> = { role: options.role };
  if (options.sub !== undefined) payload.sub = options.sub;
  // jsonwebtoken counts expiresIn from a given iat.
  if (options.now !== undefined) payload.iat = Math.floor(options.now / 1000);
  return jwt.sign(payload, secret, { algorithm: 'HS256', expiresIn: options.expiresInSeconds ?? 3600 });
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * HS256 only (so `alg: none` and key-confusion tokens fail), and `exp` is required: jsonwebtoken
 * accepts tokens without it unless told otherwise, and a token that never expires is a leak waiting.
 */
export function verifyToken(secret: string, token: string, now: number, maxTtlSeconds = DEFAULT_MAX_TTL_SECONDS): VerifyResult {
  let decoded: unknown;
  try {
    decoded = jwt.verify(token, secret, { algorithms: ['HS256'], clockTimestamp: Math.floor(now / 1000) });
  } catch (error) {
    const name = (error as Error).name;
    return { ok: false, reason: name === 'TokenExpiredError' ? 'the token has expired' : `invalid token: ${(error as Error).message}` };
  }
  const claims = claimsSchema.safeParse(decoded);
  if (!claims.success) {
    return { ok: false, reason: `invalid token claims: ${claims.error.issues.map((i) => i.path.join('.') || 'claims').join(', ')}` };
  }
  if (claims.data.role === 'user' && claims.data.sub === undefined) return { ok: false, reason: 'a user token needs a sub claim' };
  const tooLong = lifetimeProblem(claims.data, Math.floor(now / 1000), maxTtlSeconds);
  if (tooLong !== null) return { ok: false, reason: tooLong };
  return { ok: true, principal: { role: claims.data.role, sub: claims.data.sub ?? null } };
}
