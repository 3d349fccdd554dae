import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { isTokenRevoked, revokeToken } from './revoked-tokens-repository';
import { verifyToken, type VerifyResult } from './tokens';

export interface TokenCheckerDeps {
  secret: string;
  clock: Clock;
  /** JWT_MAX_TTL: the longest lifetime a token may have. */
  maxTtlSeconds: number;
  storage: Pick<Storage, 'read' | 'write'>;
}

/** Every check a JWT gets, wherever it comes from (Bearer or the session cookie). */
export interface TokenChecker {
  /** Signature, claims, lifetime within JWT_MAX_TTL, and not signed out. */
  verify(token: string): Promise<VerifyResult>;
  /** Signs a token out on the server: refused from now on, by cookie or Bearer. A token that does not verify is left alone. */
  revoke(token: string): Promise<void>;
  /** When a verified token expires (ms), for the cookie's lifetime. */
  expiresAt(token: string): number;
}

const hashOf = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

export function createTokenChecker(deps: TokenCheckerDeps): TokenChecker {
  const expiresAt = (token: string) => (jwt.decode(token) as { exp: number }).exp * 1000;
  return {
    async verify(token) {
      const result = verifyToken(deps.secret, token, deps.clock.now(), deps.maxTtlSeconds);
      if (result.ok && (await isTokenRevoked(deps.storage.read, hashOf(token)))) return { ok: false, reason: 'the token was signed out' };
      return result;
    },
    async revoke(token) {
      if (!verifyToken(deps.secret, token, deps.clock.now(), deps.maxTtlSeconds).ok) return;
      const hash = hashOf(token);
      await deps.storage.write((tx) => revokeToken(tx, hash, expiresAt(token), deps.clock.now()));
    },
    expiresAt,
  };
}
