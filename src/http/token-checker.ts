import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../shared/clock';
import type { Db } from '../storage/database';
import type { GroupCommitter } from '../storage/group-commit';
import { isTokenRevoked, revokeToken } from './revoked-tokens-repository';
import { verifyToken, type VerifyResult } from './tokens';

export interface TokenCheckerDeps {
  secret: string;
  clock: Clock;
  /** JWT_MAX_TTL: the longest lifetime a token may have. */
  maxTtlSeconds: number;
  db: Db;
  committer: GroupCommitter;
}

/** Every check a JWT gets, wherever it comes from (Bearer or the session cookie). */
export interface TokenChecker {
  /** Signature, claims, lifetime within JWT_MAX_TTL, and not signed out. */
  verify(token: string): VerifyResult;
  /** Signs a token out on the server: refused from now on, by cookie or Bearer. A token that does not verify is left alone. */
  revoke(token: string): Promise<void>;
  /** When a verified token expires (ms), for the cookie's lifetime. */
  expiresAt(token: string): number;
}

const hashOf = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

export function createTokenChecker(deps: TokenCheckerDeps): TokenChecker {
  const expiresAt = (token: string) => (jwt.decode(token) as { exp: number }).exp * 1000;
  return {
    verify(token) {
      const result = verifyToken(deps.secret, token, deps.clock.now(), deps.maxTtlSeconds);
      if (result.ok && isTokenRevoked(deps.db, hashOf(token))) return { ok: false, reason: 'the token was signed out' };
      return result;
    },
    async revoke(token) {
      if (!verifyToken(deps.secret, token, deps.clock.now(), deps.maxTtlSeconds).ok) return;
      const hash = hashOf(token);
      await deps.committer.run((db) => revokeToken(db, hash, expiresAt(token), deps.clock.now()));
    },
    expiresAt,
  };
}
