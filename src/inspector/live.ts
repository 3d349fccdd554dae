import type { Response } from 'express';
import type { Db } from '../storage/sqlite/database';
import type { RequestFilter } from './filters';
import { matchingSummary, requestsAfter } from './repository';
import { summaryView, type RequestSummary } from './views';

export interface LiveFeedOptions {
  db: Db;
  /** A comment line this often keeps proxies and the browser from dropping an idle stream. */
  heartbeatMs?: number;
}

interface Subscriber {
  filter: RequestFilter;
  res: Response;
}

/** A stream reconnecting after more than this many requests is told to reload instead. */
const CATCH_UP_LIMIT = 500;
/** A client this far behind is disconnected; it reconnects with Last-Event-ID and catches up. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The inspector's live list over server-sent events. The receiver and the bins call recorded(id)
 * after a request has committed; each open stream gets the request if it matches the stream's
 * filter, decided by the list's own SQL so the live list and a reload always agree.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private pending: string[] = [];
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly heartbeatMs: number;

  constructor(private readonly options: LiveFeedOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  /** Must return at once: it runs on the request path, so the matching happens after the answer is sent. */
  recorded(id: string): void {
    if (this.closed || this.subscribers.size === 0) return;
    this.pending.push(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Starts a stream on res. lastEventId (sent by a reconnecting EventSource) replays what was missed. */
  open(res: Response, filter: RequestFilter, lastEventId?: string): void {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 2000\nevent: ready\ndata: {}\n\n`);
    if (this.closed) {
      res.end();
      return;
    }
    if (lastEventId !== undefined) this.catchUp(res, filter, lastEventId);
    const subscriber: Subscriber = { filter, res };
    this.subscribers.add(subscriber);
    res.on('close', () => this.remove(subscriber));
    this.startHeartbeat();
  }

  size(): number {
    return this.subscribers.size;
  }

  /** Ends every stream (shutdown): browsers reconnect to whichever server comes up next. */
  close(): void {
    this.closed = true;
    for (const subscriber of this.subscribers) subscriber.res.end();
    this.subscribers.clear();
    this.stopHeartbeat();
  }

  private catchUp(res: Response, filter: RequestFilter, lastEventId: string): void {
    const missed = requestsAfter(this.options.db, filter, lastEventId, CATCH_UP_LIMIT + 1);
    if (missed.length > CATCH_UP_LIMIT) {
      res.write(`event: reset\ndata: ${JSON.stringify({ reason: 'too many requests were missed; reload the list' })}\n\n`);
      return;
    }
    for (const row of missed) send(res, summaryView(row));
  }

  private flush(): void {
    this.scheduled = false;
    const ids = this.pending;
    this.pending = [];
    for (const subscriber of this.subscribers) {
      for (const id of ids) {
        const row = matchingSummary(this.options.db, id, subscriber.filter);
        if (row !== undefined) send(subscriber.res, summaryView(row));
      }
      if (subscriber.res.writableLength > MAX_BUFFERED_BYTES) subscriber.res.end();
    }
  }

  private remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== null) return;
    this.heartbeat = setInterval(() => {
      for (const subscriber of this.subscribers) subscriber.res.write(`: heartbeat\n\n`);
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

/** One SSE message; the id lets a reconnecting EventSource resume with Last-Event-ID. */
function send(res: Response, item: RequestSummary): void {
  res.write(`id: ${item.id}\nevent: request\ndata: ${JSON.stringify(item)}\n\n`);
}
