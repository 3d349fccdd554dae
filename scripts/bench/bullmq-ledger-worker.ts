import { Worker } from 'bullmq';
import { openLedger } from './peer-ledger';
import { LEDGER_CONCURRENCY, requiredEnv } from './peer-setup';

// The ingest peer's worker, its own process: takes each purchase job from the queue
// bullmq-receiver.ts fills and applies it to the SQLite ledger. It prints a line once it consumes
// the queue and runs until killed.
const ledger = openLedger(requiredEnv('LEDGER_PATH'));
const worker = new Worker(requiredEnv('QUEUE'), async (job) => ledger.apply(job.id!, job.data), {
  connection: { url: requiredEnv('REDIS_URL') },
  // Jobs in flight overlap their Redis round trips; the ledger's transactions run one at a time.
  concurrency: LEDGER_CONCURRENCY,
});
void worker.waitUntilReady().then(() => process.stdout.write('ready\n'));
