import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ApplyThreadData, FromThread } from './messages';

export interface ApplyThreadOptions {
  data: ApplyThreadData;
  logger: Logger;
  onApplied(latenciesMs: number[]): void;
  onFinished(kind: string, result: 'succeeded' | 'retry' | 'dead'): void;
}

const RESTART_AFTER_MS = 1000;

/**
 * The HTTP thread's handle on the apply thread (entry.ts): starts it, wakes it when events commit
 * (one message per event-loop turn however many events), restarts it if it dies (its claimed jobs
 * come back when their leases expire), and stops it at shutdown.
 */
export class ApplyThread {
  private thread: Thread | null = null;
  private running = false;
  private stopping = false;
  private wakeQueued = false;

  constructor(private readonly options: ApplyThreadOptions) {}

  start(): void {
    // entry.js when built, entry.ts under tsx (whose loader worker threads inherit).
    const file = path.join(__dirname, `entry${path.extname(__filename)}`);
    const thread = new Thread(file, { workerData: this.options.data });
    this.thread = thread;
    thread.on('message', (message: FromThread) => this.receive(message));
    thread.on('error', (error) => this.options.logger.error({ err: error }, 'apply thread failed'));
    thread.on('exit', (code) => {
      this.running = false;
      this.thread = null;
      if (this.stopping) return;
      this.options.logger.error({ code }, `apply thread exited; restarting in ${RESTART_AFTER_MS} ms`);
      setTimeout(() => this.stopping || this.start(), RESTART_AFTER_MS).unref();
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

  isRunning(): boolean {
    return this.running;
  }

  /** Lets in-flight jobs finish (deadlineMs), then ends the thread; terminates it if it hangs. */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
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
      case 'stopped':
        this.running = false;
        break;
    }
  }
}
