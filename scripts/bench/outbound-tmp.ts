import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../../test/support/server';
import { outboundRounds } from './outbound';
import { startSink } from './system';
async function main() {
  ensureBuilt();
  const sink = await startSink();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ob-'));
  const r = await outboundRounds({ dataDir, sinkUrl: sink.url, perRound: 3000, rounds: 1, fetchPosts: 500, inFlight: 50, log: console.log });
  console.log(r.deliveriesPerSec, r.attemptsLogged, r.deliveries);
  await sink.stop();
}
main();
