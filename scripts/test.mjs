// npm test: the type check, the SQLite lane, then the PostgreSQL lane when a server answers.
// Without one the PostgreSQL lane is skipped with one line saying how to run it, so the README's
// test command passes on a fresh machine; IAPHOOK_REQUIRE_POSTGRES=1 (CI) makes a missing server
// a failure instead. Extra arguments go to jest in both lanes (a file pattern, say).
import { spawnSync } from 'node:child_process';
import net from 'node:net';

const args = process.argv.slice(2);
const adminUrl = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

function run(command, commandArgs, env = {}) {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port), timeout: 1000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

const jest = 'node_modules/.bin/jest';
let failed = run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.json']) !== 0;
if (!failed) {
  console.log('\n== SQLite lane ==');
  failed = run(jest, args, { IAPHOOK_TEST_BACKEND: 'sqlite' }) !== 0;
  const host = adminUrl.hostname || '127.0.0.1';
  const port = adminUrl.port || '5432';
  if (await answers(host, port)) {
    console.log(`\n== PostgreSQL lane (${host}:${port}) ==`);
    failed = run(jest, ['-c', 'jest.postgres.config.js', ...args], { IAPHOOK_TEST_BACKEND: 'postgres' }) !== 0 || failed;
  } else if (process.env.IAPHOOK_REQUIRE_POSTGRES === '1') {
    console.error(`\nPostgreSQL lane: no server answers on ${host}:${port}, and IAPHOOK_REQUIRE_POSTGRES=1`);
    failed = true;
  } else {
    console.log(
      `\nPostgreSQL lane skipped: no server answers on ${host}:${port}; start one (or set TEST_POSTGRES_URL=postgres://…) and run npm test again, or npm run test:postgres`,
    );
  }
}
process.exit(failed ? 1 : 0);
