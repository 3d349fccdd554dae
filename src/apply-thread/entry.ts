import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteJobQueue, Worker } from '../delivery';
import { createLogger } from '../logger';
import { createEmitter } from '../outbound';
import { systemClock } from '../shared/clock';
import { openDatabase } from '../storage/database';
import { GroupCommitter } from '../storage/group-commit';
import { serviceApplyHandler } from './handler';
import type { ApplyThreadData, FromThread, ToThread } from './messages';

// The apply thread: the inbound worker (apply-iap-event jobs) on its own SQLite connection, so
// applying events runs on the second core instead of between HTTP requests. SQLite lets one
// connection write at a time; both sides keep their transactions short (group commits of a few
// milliseconds), this side waits for the lock inside SQLite, the HTTP side between event-loop turns.

const data = workerData as ApplyThreadData;
const port = parentPort;
if (port === null) throw new Error('apply-thread/entry runs as a worker thread');

const logger = createLogger(data.logLevel).child({ component: 'apply-thread' });
const database = openDatabase(data.databasePath, { busyTimeoutMs: data.busyTimeoutMs });
const committer = new GroupCommitter(database, { maxBatch: data.commitMaxBatch });
const queue = new SqliteJobQueue();

const send = (message: FromThread) => port.postMessage(message);
// Latencies go to the HTTP thread's metrics in one message per event-loop turn, not one per event.
let latencies: number[] = [];
const reportApplied = (receivedAt: number) => {
  if (latencies.length === 0) setImmediate(() => send({ type: 'applied', latenciesMs: latencies.splice(0) }));
  latencies.push(Math.max(0, systemClock.now() - receivedAt));
};

const worker = new Worker({
  committer,
  db: database.db,
  queue,
  clock: systemClock,
  logger,
  concurrency: data.concurrency,
  leaseMs: data.leaseMs,
  idlePollMs: data.idlePollMs,
  workerId: `${os.hostname()}:${process.pid}:apply-thread`,
  kinds: 'handled',
  handlers: [serviceApplyHandler({ clock: systemClock, emit: createEmitter(queue), onApplied: reportApplied })],
  observer: {
    jobSucceeded: (kind) => send({ type: 'finished', kind, result: 'succeeded' }),
    jobFailed: (kind, willRetry) => send({ type: 'finished', kind, result: willRetry ? 'retry' : 'dead' }),
  },
});

port.on('message', (message: ToThread) => {
  if (message.type === 'wake') worker.notify();
  else if (message.type === 'stop') void stop(message.deadlineMs);
});

async function stop(deadlineMs: number): Promise<void> {
  await worker.stop({ deadlineMs });
  committer.close();
  database.close();
  send({ type: 'stopped' });
  port?.close();
}

worker.start();
send({ type: 'started' });
