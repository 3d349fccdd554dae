import path from 'node:path';
import { Worker as Thread, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ApplyThreadData, FromThread, StoreCall, StoreReply } from './messages';

export interface ApplyThreadOptions {
  data: ApplyThreadData;
  logger: Logger;
  onApplied(latenciesMs: number[]): void;
  onFinished(kind: string, result: 'succeeded' | 'retry' | 'dead'): void;
  onDeliveries(): void;
  /** Outcomes of receiver writes (ThreadIngestStore.settle). */
  onStoreReplies(replies: StoreReply[]): void;
  /** The thread is gone (crash or stop): writes it had not answered are lost to it. */
  onExit(): void;
}

const RESTART_AFTER_MS = 1000;
const YOUNG_GENERATION_MB = 8;
const OLD_GENERATION_MB = 96;
const CHECKPOINT_EVERY_MS = 250;

/** The built .js beside this file, or the .ts source when running under tsx (npm run dev). */
function threadFile(name: string): string {
  return path.join(__dirname, `${name}${path.extname(__filename)}`);
}

/** tsx's loader does not reach worker threads: a .ts entry is required through tsx's CommonJS hook. */
function newThread(file: string, options: WorkerOptions): Thread {
  if (!file.endsWith('.ts')) return new Thread(file, options);
  return new Thread(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { ...options, eval: true });
}

/**
 * The HTTP thread's handle on the apply thread (entry.ts): starts it, wakes it when events commit
 * (one message per event-loop turn however many events), restarts it if it dies (its claimed jobs
 * come back when their leases expire), and stops it at shutdown.
 */
export class ApplyThread {
  private thread: Thread | null = null;
  private checkpointer: Thread | null = null;
  private running = false;
  private stopping = false;
  private wakeQueued = false;

  constructor(private readonly options: ApplyThreadOptions) {}

  start(): void {
    const file = threadFile('entry');
    // V8 sizes a heap by its limit, not by what is live: unbounded, each thread's heap grows to a
    // hundred megabytes of garbage under load. This one holds a few megabytes of live data.
    const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: OLD_GENERATION_MB };
    const thread = newThread(file, { workerData: this.options.data, resourceLimits });
    this.thread = thread;
    thread.on('message', (message: FromThread) => this.receive(message));
    this.startCheckpointer();
    thread.on('error', (error) => this.options.logger.error({ err: error }, 'apply thread failed'));
    thread.on('exit', (code) => {
      this.running = false;
      this.thread = null;
      this.options.onExit();
      if (this.stopping) return;
      this.options.logger.error({ code }, `apply thread exited; restarting in ${RESTART_AFTER_MS} ms`);
      setTimeout(() => this.stopping || this.start(), RESTART_AFTER_MS).unref();
    });
  }

  /** One checkpointer for the life of the service; it holds no state, so a crash just starts another. */
  private startCheckpointer(): void {
    if (this.checkpointer !== null) return;
    const workerData = { databasePath: this.options.data.databasePath, everyMs: CHECKPOINT_EVERY_MS };
    const checkpointer = newThread(threadFile('checkpointer'), { workerData, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
    this.checkpointer = checkpointer;
    checkpointer.on('error', (error) => this.options.logger.error({ err: error }, 'checkpointer thread failed'));
    checkpointer.on('exit', () => {
      this.checkpointer = null;
      if (!this.stopping) setTimeout(() => this.stopping || this.startCheckpointer(), RESTART_AFTER_MS).unref();
    });
  }

  /** Events were committed: apply them now instead of at the next poll. Returns at once. */
  notify(): void {
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.thread?.postMessage({ type: 'wake' });
    });
  }

  /**
   * A subscription was saved: the thread asks again whether anyone wants entitlement.updated. Sent
   * at once, ahead of the receiver writes that follow, so a webhook that arrives after the save's
   * answer is applied knowing of it.
   */
  subscriptionsChanged(): void {
    this.thread?.postMessage({ type: 'subscriptions' });
  }

  /** Receiver writes for the thread; false when there is no thread to take them. */
  send(calls: StoreCall[]): boolean {
    if (this.thread === null) return false;
    this.thread.postMessage({ type: 'store', calls });
    return true;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Lets in-flight jobs finish (deadlineMs), then ends the thread; terminates it if it hangs. */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.checkpointer?.postMessage({ type: 'stop' });
    const thread = this.thread;
    if (thread === null) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage({ type: 'stop', deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs + 2000);
    });
    if ((await Promise.race([exited, late])) === 'late') {
      this.options.logger.warn('apply thread did not stop in time; terminating it');
      await thread.terminate();
    }
    clearTimeout(timer);
  }

  private receive(message: FromThread): void {
    switch (message.type) {
      case 'started':
        this.running = true;
        break;
      case 'applied':
        this.options.onApplied(message.latenciesMs);
        break;
      case 'finished':
        this.options.onFinished(message.kind, message.result);
        break;
      case 'stored':
        this.options.onStoreReplies(message.replies);
        break;
      case 'deliveries':
        this.options.onDeliveries();
        break;
      case 'stopped':
        this.running = false;
        break;
    }
  }
}
