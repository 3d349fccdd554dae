import { adminQuery, DB_PREFIX, TEMPLATE_ENV, TEST_BACKEND } from './backend';

/** Drops the template and anything of this run a test file failed to drop. */
export default async function globalTeardown(): Promise<void> {
  if (TEST_BACKEND !== 'postgres') return;
  const { rows } = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
    `${DB_PREFIX}${process.pid}_%`,
    process.env[TEMPLATE_ENV] ?? '',
  ]);
  for (const { datname } of rows as Array<{ datname: string }>) await adminQuery(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
}
