import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express from 'express';
import { INGEST_JOB_OPTIONS, requiredEnv } from './peer-setup';

// The ingest peer, the receiver a Node team would build instead of iaphook: Express 5 checks the
// Bearer key, parses the JSON and answers 200 once BullMQ's Queue.add has resolved, on a Redis that
// fsyncs every write before replying. It keeps the parsed body as one job per event, nothing of the
// raw request. The ledger is applied by bullmq-ledger-worker.ts. It prints its port and runs until killed.
const queue = new Queue(requiredEnv('QUEUE'), { connection: { url: requiredEnv('REDIS_URL') }, defaultJobOptions: INGEST_JOB_OPTIONS });
const expected = `Bearer ${requiredEnv('WEBHOOK_KEY')}`;

const app = express();
app.use(express.json({ limit: '256kb' }));
app.post('/webhooks/nachocode/purchase', async (req, res) => {
  if (req.get('authorization') !== expected) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  const body = req.body as { iapLogId?: unknown } | undefined;
  if (typeof body?.iapLogId !== 'number') {
    res.status(400).json({ error: 'iapLogId missing' });
    return;
  }
  // The event id as job id: a redelivered purchase is not queued twice while its job is kept.
  const eventId = `evt_${body.iapLogId}`;
  await queue.add('purchase', body, { jobId: eventId });
  res.json({ received: true, eventId });
});
void queue.waitUntilReady().then(() => {
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  server.keepAliveTimeout = 5_000;
});
