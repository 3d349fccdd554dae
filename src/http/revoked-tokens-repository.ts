import type { Queryable, Tx } from '../storage/port';
import { sql } from '../storage/sql';

// The only file that touches revoked_tokens.

export async function isTokenRevoked(db: Queryable, tokenHash: string): Promise<boolean> {
  return (await db.get(sql`SELECT token_hash FROM revoked_tokens WHERE token_hash = ${tokenHash}`)) !== undefined;
}

/** Records a sign-out, and forgets those whose tokens have expired by now (they are refused anyway). */
export async function revokeToken(tx: Tx, tokenHash: string, expiresAt: number, now: number): Promise<void> {
  await tx.run(sql`DELETE FROM revoked_tokens WHERE expires_at <= ${now}`);
  await tx.run(sql`INSERT INTO revoked_tokens (token_hash, expires_at, revoked_at) VALUES (${tokenHash}, ${expiresAt}, ${now})
    ON CONFLICT (token_hash) DO NOTHING`);
}
