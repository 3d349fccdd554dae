import pg from 'pg';
import type { SignalChannel, Signals } from '../port';

export interface PgSignalsOptions {
  pool: pg.Pool;
  url: string;
  instanceId: string;
  onError?(error: Error, context: string): void;
}

const CHANNELS: Record<SignalChannel, string> = { jobs: 'iaphook_jobs', requests: 'iaphook_requests', subscriptions: 'iaphook_subscriptions' };
const RECONNECT_MS = 1000;
/** NOTIFY payloads must stay under 8,000 bytes; items are joined up to this length. */
const MAX_PAYLOAD = 7000;
const FLUSH_MS = 10;

/**
 * Wake-ups across instances with LISTEN/NOTIFY: an instance that committed work (a webhook to
 * apply, a delivery to send, a request to show live) tells the others, so any of them acts on it
 * within milliseconds instead of at its next poll. Best effort by design: a message lost to a
 * dropped connection costs one poll interval, never data, because the work itself is in a table.
 * Items published within FLUSH_MS go out together: at a few hundred webhooks a second that is a
 * NOTIFY every few webhooks instead of one or two each (every one a statement and a commit on the
 * server, and a wake-up of every listening instance), for a wake-up at most FLUSH_MS later.
 */
export class PgSignals implements Signals {
  private listener: pg.Client | null = null;
  private readonly listeners = new Map<SignalChannel, Set<(payload: string) => void>>();
  private stopped = false;
  private reconnect: NodeJS.Timeout | null = null;
  private readonly outgoing = new Map<SignalChannel, Set<string>>();
  private flushQueued = false;

  constructor(private readonly options: PgSignalsOptions) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => this.deliver(message.channel, message.payload ?? ''));
    await client.connect();
    for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
    this.listener = client;
  }

  /** payload must not contain a comma (kinds and ids do not). */
  publish(channel: SignalChannel, payload: string): void {
    if (this.stopped) return;
    let items = this.outgoing.get(channel);
    if (items === undefined) {
      items = new Set();
      this.outgoing.set(channel, items);
    }
    items.add(payload);
    if (this.flushQueued) return;
    this.flushQueued = true;
    setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  private flush(): void {
    this.flushQueued = false;
    for (const [channel, items] of this.outgoing) {
      this.outgoing.delete(channel);
      for (const message of batches(this.options.instanceId, [...items])) {
        this.options.pool
          .query('SELECT pg_notify($1, $2)', [CHANNELS[channel], message])
          .catch((error: Error) => this.options.onError?.(error, `notify ${channel}`));
      }
    }
  }

  subscribe(channel: SignalChannel, listener: (payload: string) => void): () => void {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  async stop(): Promise<void> {
    // What was published before the stop still goes out (the pool closes after this).
    if (this.flushQueued) this.flush();
    this.stopped = true;
    if (this.reconnect !== null) clearTimeout(this.reconnect);
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => undefined);
  }

  private deliver(pgChannel: string, message: string): void {
    const channel = (Object.keys(CHANNELS) as SignalChannel[]).find((c) => CHANNELS[c] === pgChannel);
    const at = message.indexOf(':');
    if (channel === undefined || at < 0 || message.slice(0, at) === this.options.instanceId) return;
    for (const payload of message.slice(at + 1).split(',')) {
      for (const listener of this.listeners.get(channel) ?? []) listener(payload);
    }
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (this.stopped || this.listener !== client) return;
    this.listener = null;
    if (error !== null) this.options.onError?.(error, 'signal listener');
    client.end().catch(() => undefined);
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      this.start().catch((e: Error) => this.lost(client, e));
    }, RECONNECT_MS);
    this.reconnect.unref();
  }
}

/** `instanceId:a,b,c` messages, each within the payload limit. */
function batches(instanceId: string, items: string[]): string[] {
  const messages: string[] = [];
  let current = '';
  for (const item of items) {
    if (current !== '' && instanceId.length + current.length + item.length + 2 > MAX_PAYLOAD) {
      messages.push(`${instanceId}:${current}`);
      current = '';
    }
    current = current === '' ? item : `${current},${item}`;
  }
  if (current !== '') messages.push(`${instanceId}:${current}`);
  return messages;
}
