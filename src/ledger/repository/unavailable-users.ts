import { sql } from 'drizzle-orm';
import { unavailableUsers } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';

export type UnavailableReason = 'token_not_found' | 'token_invalid';

export interface UnavailableUser {
  userId: string;
  reason: UnavailableReason;
}

// Four parameters per row; 500 rows stays far below SQLite's bound-parameter limit even for the
// 100,000-id lists the schema allows.
const CHUNK = 500;

/** One row per user and reason; a later report only moves last_event_id and updated_at. */
export function upsertUnavailableUsers(db: Db, users: UnavailableUser[], eventId: string, now: number): void {
  for (let i = 0; i < users.length; i += CHUNK) {
    const rows = users.slice(i, i + CHUNK).map((u) => ({ ...u, lastEventId: eventId, updatedAt: now }));
    db.insert(unavailableUsers)
      .values(rows)
      .onConflictDoUpdate({
        target: [unavailableUsers.userId, unavailableUsers.reason],
        set: { lastEventId: sql`excluded.last_event_id`, updatedAt: sql`excluded.updated_at` },
      })
      .run();
  }
}
