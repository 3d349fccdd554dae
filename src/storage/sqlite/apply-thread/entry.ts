import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { SqlJobQueue } from '../../../delivery';
import { createLogger } from '../../../logger';
import { createEmitter, EntitlementAudience } from '../../../outbound';
import { StorageIngestStore } from '../../../receiver';
import { createApplyWorker, storedApplyJob } from '../../../runtime/apply-worker';
import { entitlementEvents } from '../../../runtime/entitlement-events';
import { systemClock } from '../../../shared/clock';
import { openSqliteStorage } from '../storage';
import type { ApplyThreadData, FromThread, ToThread } from './messages';
import { storeSide } from './store-side';

// The database thread: the receiver's writes (raw request + event + job, one group commit and its
// fsync) and the inbound worker (apply-iap-event jobs) on their own SQLite connection, so they run
// on the second core instead of between HTTP requests. The HTTP thread keeps a connection for the
// rest (admin writes, outbound, inspector); SQLite lets one connection write at a time, so both
// keep their transactions to a group commit; this side waits for the lock inside SQLite, the HTTP
// side between event-loop turns. Built from the same constructors as the in-process inbound side.

const data = workerData as ApplyThreadData;
const port = parentPort;
if (port === null) throw new Error('apply-thread/entry runs as a worker thread');

const logger = createLogger(data.logLevel).child({ component: 'apply-thread' });
const storage = openSqliteStorage({ file: data.databasePath, busyTimeoutMs: data.busyTimeoutMs, commitMaxBatch: data.commitMaxBatch });
const queue = new SqlJobQueue(storage.claims);
const ingestStore = new StorageIngestStore({ storage, clock: systemClock, storedJob: storedApplyJob(queue) });

const send = (message: FromThread) => port.postMessage(message);
// Latencies go to the HTTP thread's metrics in one message per event-loop turn, not one per event.
const latencies: number[] = [];
const reportApplied = (receivedAt: number) => {
  if (latencies.length === 0) setImmediate(() => send({ type: 'applied', latenciesMs: latencies.splice(0) }));
  latencies.push(Math.max(0, systemClock.now() - receivedAt));
};

// This thread's own answer to "does anyone want entitlement.updated?"; the HTTP thread says when to ask again.
const audience = new EntitlementAudience(data.idlePollMs);
const emit = createEmitter(queue);

const worker = createApplyWorker({
  storage,
  queue,
  clock: systemClock,
  logger,
  concurrency: data.concurrency,
  leaseMs: data.leaseMs,
  idlePollMs: data.idlePollMs,
  workerId: `${os.hostname()}:${process.pid}:apply-thread`,
  emit,
  entitlementChanges: entitlementEvents(audience, emit),
  onApplied: reportApplied,
  onDeliveries: () => send({ type: 'deliveries' }),
  observer: {
    jobSucceeded: (kind) => send({ type: 'finished', kind, result: 'succeeded' }),
    jobFailed: (kind, willRetry) => send({ type: 'finished', kind, result: willRetry ? 'retry' : 'dead' }),
  },
});

const serveStore = storeSide({ store: ingestStore, reply: (replies) => send({ type: 'stored', replies }), onStored: () => worker.notify() });

port.on('message', (message: ToThread) => {
  if (message.type === 'store') serveStore(message.calls);
  else if (message.type === 'wake') worker.notify();
  else if (message.type === 'subscriptions') audience.changed();
  else if (message.type === 'stop') void stop(message.deadlineMs);
});

async function stop(deadlineMs: number): Promise<void> {
  await worker.stop({ deadlineMs });
  await storage.committer.close();
  // Let the outcomes of the last writes reach the HTTP thread before the port closes.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  await storage.close();
  send({ type: 'stopped' });
  port?.close();
}

// Checkpoints are the checkpointer thread's job (checkpointer.ts), not this connection's.
storage.sqlite.pragma('wal_autocheckpoint = 0');

worker.start();
send({ type: 'started' });
