import pg from 'pg';
import { PostgresStorage } from '../../src/storage/postgres/storage';
import { sql } from '../../src/storage/sql';
import { createTestDatabase, type TestDatabase } from '../support/backend';

// Statements run as named prepared statements. During a rolling upgrade another instance may
// migrate a table this one has statements prepared on: each such statement then fails once per
// connection ("cached plan must not change result type"). Reads and writes run it again instead
// of failing the request.

let database: TestDatabase;
let storage: PostgresStorage;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  // One connection, so the statements after the change run where they were prepared.
  storage = await PostgresStorage.open({ url: database.url!, poolSize: 1 });
}, 60_000);
afterAll(async () => {
  await storage.close();
  await database.drop();
});

const byKey = (key: string) => sql`SELECT * FROM meta WHERE key = ${key}`;

/** A schema change from another connection, as a migrating instance makes it. */
async function elsewhere(statement: string): Promise<void> {
  const other = new pg.Client({ connectionString: database.url! });
  await other.connect();
  try {
    await other.query(statement);
  } finally {
    await other.end();
  }
}

it('when another instance adds a column to a table read with *, then the next read and write still answer, with the new column', async () => {
  await storage.write((tx) => tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 1)`));
  expect(await storage.read.get(byKey('k'))).toEqual({ key: 'k', value: 'v', updated_at: 1 });
  expect(await storage.write((tx) => tx.get(byKey('k')))).toEqual({ key: 'k', value: 'v', updated_at: 1 });

  await elsewhere('ALTER TABLE meta ADD COLUMN added_later integer');

  expect(await storage.write((tx) => tx.get(byKey('k')))).toEqual({ key: 'k', value: 'v', updated_at: 1, added_later: null });
  await storage.write((tx) => tx.run(sql`UPDATE meta SET updated_at = 2 WHERE key = 'k'`));
  await elsewhere('ALTER TABLE meta DROP COLUMN added_later');
  expect(await storage.read.get(byKey('k'))).toEqual({ key: 'k', value: 'v', updated_at: 2 });
});
