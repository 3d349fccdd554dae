import { migratePostgres } from '../../src/storage/postgres/migrate';
import { adminQuery, databaseUrl, DB_PREFIX, RUN_PID_ENV, TEMPLATE_ENV, TEST_BACKEND } from './backend';

// e2e tests start the built server; they build it themselves once (see test/support/server.ts).
// The PostgreSQL suite migrates one template database per run; each test file copies it.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export default async function globalSetup(): Promise<void> {
  if (TEST_BACKEND !== 'postgres') return;
  // Leftovers of runs that died before their teardown (their jest process is gone).
  const { rows } = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${DB_PREFIX}%`]);
  for (const { datname } of rows as Array<{ datname: string }>) {
    const pid = Number(/^iaphook_t_(?:tpl_)?(\d+)_/.exec(datname)?.[1]);
    if (!Number.isInteger(pid) || !alive(pid)) await adminQuery(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  const template = `${DB_PREFIX}tpl_${process.pid}_${Date.now()}`;
  await adminQuery(`CREATE DATABASE "${template}"`);
  await migratePostgres(databaseUrl(template));
  process.env[TEMPLATE_ENV] = template;
  process.env[RUN_PID_ENV] = String(process.pid);
}
