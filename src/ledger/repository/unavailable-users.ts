import type { Tx } from '../../storage/port';
import { sql } from '../../storage/sql';

export type UnavailableReason = 'token_not_found' | 'token_invalid';

export interface UnavailableUser {
  userId: string;
  reason: UnavailableReason;
}

// Four parameters per row; 500 rows stays far below either engine's bound-parameter limit even
// for the 100,000-id lists the schema allows.
const CHUNK = 500;

/**
 * One row per user and reason; a later report only moves last_event_id and updated_at. A list
 * naming a user twice is reduced to one row first (PostgreSQL refuses an upsert that touches the
 * same row twice in one statement), and rows go in a fixed order so two reports upserting the same
 * users on two instances take the row locks in the same order instead of deadlocking.
 */
export async function upsertUnavailableUsers(tx: Tx, users: UnavailableUser[], eventId: string, now: number): Promise<void> {
  const unique = [...new Map(users.map((u) => [`${u.reason}\u0000${u.userId}`, u])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, u]) => u);
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = unique.slice(i, i + CHUNK).map((u) => sql`(${u.userId}, ${u.reason}, ${eventId}, ${now})`);
    await tx.run(sql`INSERT INTO unavailable_users (user_id, reason, last_event_id, updated_at)
      VALUES ${sql.join(rows)}
      ON CONFLICT (user_id, reason) DO UPDATE SET last_event_id = excluded.last_event_id, updated_at = excluded.updated_at`);
  }
}
