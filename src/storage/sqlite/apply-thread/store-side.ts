import type { IngestStore, RawRequestRecord, StoreOptions } from '../../../receiver';
import type { StoreCall, StoreReply } from './messages';

export interface StoreSideDeps {
  store: Pick<IngestStore, 'ingest' | 'recordRejected'>;
  reply(replies: StoreReply[]): void;
  /** A new event committed: wake the apply worker. */
  onStored(): void;
}

/** Structured clone turns a Buffer into a plain Uint8Array; SQLite binds only Buffers as blobs. */
function withBuffer(raw: RawRequestRecord): RawRequestRecord {
  const body = raw.body as Uint8Array | null;
  return body === null || Buffer.isBuffer(body) ? raw : { ...raw, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

const elapsedSince = (startedAt: number) => () => performance.timeOrigin + performance.now() - startedAt;

/**
 * The apply thread's side of the receiver's writes: runs each call through its own ingest store
 * (so the group commit, its fsync and the SQL happen on this thread) and sends the outcomes back,
 * one message per event-loop turn.
 */
export function storeSide(deps: StoreSideDeps): (calls: StoreCall[]) => void {
  const inFlight = new Map<number, AbortController>();
  const replies: StoreReply[] = [];
  const send = (reply: StoreReply) => {
    if (replies.length === 0) setImmediate(() => deps.reply(replies.splice(0)));
    replies.push(reply);
  };
  const run = (id: number, deadline: number | undefined, write: (options: StoreOptions) => Promise<unknown>) => {
    const controller = new AbortController();
    inFlight.set(id, controller);
    write({ signal: controller.signal, deadline }).then(
      (value) => {
        inFlight.delete(id);
        if ((value as { kind?: string } | undefined)?.kind === 'stored') deps.onStored();
        send({ id, ok: true, value });
      },
      (error: Error & { code?: string }) => {
        inFlight.delete(id);
        send({ id, ok: false, message: error?.message ?? String(error), code: typeof error?.code === 'string' ? error.code : undefined });
      },
    );
  };
  return (calls) => {
    for (const call of calls) {
      if (call.op === 'cancel') inFlight.get(call.id)?.abort(new Error('the request went to the spool'));
      else if (call.op === 'ingest')
        run(call.id, call.deadline, (options) => deps.store.ingest(withBuffer(call.raw), call.event, elapsedSince(call.startedAt), options));
      else run(call.id, call.deadline, (options) => deps.store.recordRejected(withBuffer(call.raw), call.answer, elapsedSince(call.startedAt), options));
    }
  };
}
