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
});

export interface SignOptions {
  role: Role;
  sub?: string;
  /** Seconds; 1 hour by default. */
  expiresInSeconds?: number;
}

export function signToken(secret: string, options: SignOptions): string {
  const payload: Record<string, unknown> = { role: options.role };
  if (options.sub !== undefined) payload.sub = options.sub;
  return jwt.sign(payload, secret, { algorithm: 'HS256', expiresIn: options.expiresInSeconds ?? 3600 });
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * HS256 only (so `alg: none` and key-confusion tokens fail), and `exp` is required: jsonwebtoken
 * accepts tokens without it unless told otherwise, and a token that never expires is a leak waiting.
 */
export function verifyToken(secret: string, token: string, now: number): VerifyResult {
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
  return { ok: true, principal: { role: claims.data.role, sub: claims.data.sub ?? null } };
}
