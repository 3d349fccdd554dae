import type { Answer, IngestResult, IngestStore, PreparedEvent, RawRequestRecord, StoreOptions } from '../../../receiver';
import type { StoreCall, StoreReply } from './messages';

type Call = StoreCall extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The channel to the thread: ApplyThread implements it. */
export interface StoreChannel {
  /** Sends calls now; false when the thread is not running (restarting or stopped). */
  send(calls: StoreCall[]): boolean;
}

/**
 * The receiver's store when the apply thread runs: ingest and rejected requests are written by the
 * thread's connection, so the SQL, the group commit and its fsync leave the HTTP thread, which
 * only sends the prepared records and waits for the outcome. Calls are sent in one message per
 * event-loop turn. Restores from the spool go to the HTTP thread's own store (rare, and they must
 * work while the thread is restarting).
 */
export class ThreadIngestStore implements IngestStore {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private queued: StoreCall[] = [];

  constructor(private readonly channel: StoreChannel) {}

  ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options: StoreOptions = {}): Promise<IngestResult> {
    return this.call({ op: 'ingest', raw, event, startedAt: startedAt(elapsed), deadline: options.deadline }, options.signal) as Promise<IngestResult>;
  }

  async recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number, options: StoreOptions = {}): Promise<'recorded'> {
    await this.call({ op: 'reject', raw, answer, startedAt: startedAt(elapsed), deadline: options.deadline }, options.signal);
    return 'recorded';
  }

  /** Outcomes from the thread. */
  settle(replies: StoreReply[]): void {
    for (const reply of replies) {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (pending === undefined) continue;
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(Object.assign(new Error(reply.message), { code: reply.code }));
    }
  }

  /** The thread went away: its writes may or may not have committed, and the callers spool them. */
  failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }

  private call(call: Call, signal?: AbortSignal): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.enqueue({ ...call, id } as StoreCall);
      signal?.addEventListener('abort', () => this.enqueue({ op: 'cancel', id }), { once: true });
    });
  }

  private enqueue(call: StoreCall): void {
    if (this.queued.length === 0) setImmediate(() => this.flush());
    this.queued.push(call);
  }

  private flush(): void {
    const calls = this.queued.splice(0);
    if (calls.length === 0 || this.channel.send(calls)) return;
    const stopped = new Error('the database thread is not running');
    for (const call of calls) {
      if (call.op === 'cancel') continue;
      const pending = this.pending.get(call.id);
      this.pending.delete(call.id);
      pending?.reject(stopped);
    }
  }
}

function startedAt(elapsed: () => number): number {
  return performance.timeOrigin + performance.now() - elapsed();
}
