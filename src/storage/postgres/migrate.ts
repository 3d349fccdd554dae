import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { projectRoot } from '../../shared/project-root';

export const POSTGRES_MIGRATIONS = path.join(projectRoot(), 'db', 'migrations', 'postgres');

// Any fixed 64-bit number will do; it names "iaphook's migrations" among the server's advisory locks.
const MIGRATION_LOCK = 0x1a9400c;

/**
 * Applies the committed drizzle-kit migrations. Two instances starting at the same moment on an
 * empty database would both see no migrations table and both create it: a session-level advisory
 * lock makes the second wait until the first has finished, then find nothing left to do.
 */
export async function migratePostgres(url: string, migrationsFolder = POSTGRES_MIGRATIONS): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await client.end();
  }
}
