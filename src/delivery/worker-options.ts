import type { Logger } from 'pino';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import type { WorkerObserver } from './job-runner';
import type { JobQueue } from './queue';
import type { JobHandler } from './types';

export interface WorkerOptions {
  /** Claims and outcomes are writes; when to wake up next is a read. */
  storage: Pick<Storage, 'write' | 'read' | 'writesInParallel'>;
  queue: JobQueue;
  handlers: JobHandler[];
  clock: Clock;
  logger: Logger;
  /** Most jobs in flight at once. */
  concurrency: number;
  /**
   * Most jobs in flight at once per concurrency key (outbound: one endpoint), across every worker
   * and instance sharing the database; uncapped when absent. Keeps one slow endpoint from taking every slot.
   */
  perKeyConcurrency?: number;
  /** How long a claim holds a job; past it another claim (a restarted process) may take it. */
  leaseMs: number;
  /** Longest sleep between claims when nothing is due (default 1000): catches writes nobody notify()-ed. */
  idlePollMs?: number;
  random?: () => number;
  workerId?: string;
  observer?: WorkerObserver;
  /**
   * 'all' (default): claim every kind and send kinds without a handler to dead, so a typo does not
   * sit in the queue forever. 'handled': claim only kinds this worker has handlers for (several
   * workers sharing a database, each with its own kinds).
   */
  kinds?: 'all' | 'handled';
  /** After a stop deadline aborts handlers, how long to let them record their failure (default 1000). */
  abortGraceMs?: number;
}
