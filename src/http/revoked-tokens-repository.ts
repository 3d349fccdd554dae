import { eq, lte } from 'drizzle-orm';
import { revokedTokens } from '../../db/schema';
import type { Db } from '../storage/database';

// The only file that touches revoked_tokens.

export function isTokenRevoked(db: Db, tokenHash: string): boolean {
  return db.select({ tokenHash: revokedTokens.tokenHash }).from(revokedTokens).where(eq(revokedTokens.tokenHash, tokenHash)).get() !== undefined;
}

/** Records a sign-out, and forgets those whose tokens have expired by now (they are refused anyway). */
export function revokeToken(db: Db, tokenHash: string, expiresAt: number, now: number): void {
  db.delete(revokedTokens).where(lte(revokedTokens.expiresAt, now)).run();
  db.insert(revokedTokens).values({ tokenHash, expiresAt, revokedAt: now }).onConflictDoNothing().run();
}
