import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E2E_WEBHOOK_KEY, ensureBuilt, startServer } from '../../test/support/server';
import { runLoad } from './load';

async function main() {
  ensureBuilt();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-prof-'));
  const dir = process.env.PROF_DIR ?? '/tmp/prof';
  const server = await startServer({ dataDir, env: { LOG_LEVEL: 'warn', LOG_REQUESTS: 'false', NODE_OPTIONS: `--require /tmp/prof-preload.js`, PROF_DIR: dir, ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {}) } });
  const s = await runLoad({ url: server.url, path: '/webhooks/nachocode/purchase', headers: { authorization: `Bearer ${E2E_WEBHOOK_KEY}` }, connections: 50, durationSec: Number(process.env.SECS ?? 8) });
  console.log({ rps: s.rps, p99: s.p99 });
  await new Promise((r) => setTimeout(r, Number(process.env.WAIT ?? 0)));
  server.kill('SIGTERM');
  await server.waitForExit(30_000);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
main();
