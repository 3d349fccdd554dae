import type { Response } from 'express';
import type { Queryable } from '../storage/port';
import { isRequestId, type RequestFilter } from './filters';
import { matchingSummary, requestsAfter } from './repository';
import { listItemView, type RequestListItem } from './views';

export interface LiveFeedOptions {
  db: Queryable;
  /** A comment line this often keeps proxies and the browser from dropping an idle stream. */
  heartbeatMs?: number;
}

interface Subscriber {
  filter: RequestFilter;
  res: Response;
  /** Ids to check against the filter, in the order they were recorded. */
  queue: string[];
  /** A catch-up to run before anything in the queue (a reconnect's Last-Event-ID). */
  catchUpAfter: string | undefined;
  /** Whether this stream's queue is being worked through (one query at a time, in order). */
  working: boolean;
  open: boolean;
  /** What this stream was sent lately: a catch-up and the live list can both carry a request. */
  sent: RecentIds;
}

/** A stream reconnecting after more than this many requests is told to reload instead. */
const CATCH_UP_LIMIT = 500;
/** A client this far behind is disconnected; it reconnects with Last-Event-ID and catches up. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How many recent ids a feed, and each stream, remembers to skip a request seen twice. */
const RECENT_IDS = 1000;

/**
 * The inspector's live list over server-sent events. The receiver and the bins call recorded(id)
 * after a request has committed (and the composition root calls recordedElsewhere(id) for requests
 * other instances of a cluster recorded); each open stream gets the request if it matches the
 * stream's filter, decided by the list's own SQL so the live list and a reload always agree.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly recent = new RecentIds(RECENT_IDS);
  private pending: string[] = [];
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly heartbeatMs: number;

  constructor(private readonly options: LiveFeedOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  /**
   * Must return at once: it runs on the request path, so the matching happens after the answer is
   * sent. An id recorded again (lately) is ignored.
   */
  recorded(id: string): void {
    this.accept(id);
  }

  /**
   * A request another instance of the cluster recorded, its id as a signal delivered it (anything
   * that is not a request id is ignored). Does not go through recorded(), so a composition root
   * that publishes from recorded() never sends another instance's request back out.
   */
  recordedElsewhere(id: string): void {
    if (isRequestId(id)) this.accept(id);
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
    const subscriber: Subscriber = { filter, res, queue: [], catchUpAfter: lastEventId, working: false, open: true, sent: new RecentIds(RECENT_IDS) };
    this.subscribers.add(subscriber);
    res.on('close', () => this.remove(subscriber));
    this.startHeartbeat();
    if (lastEventId !== undefined) this.work(subscriber);
  }

  size(): number {
    return this.subscribers.size;
  }

  /** Ends every stream (shutdown): browsers reconnect to whichever server comes up next. */
  close(): void {
    this.closed = true;
    for (const subscriber of this.subscribers) {
      subscriber.open = false;
      subscriber.res.end();
    }
    this.subscribers.clear();
    this.stopHeartbeat();
  }

  private accept(id: string): void {
    if (this.closed || this.subscribers.size === 0 || this.recent.has(id)) return;
    this.recent.add(id);
    this.pending.push(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ids = this.pending;
    this.pending = [];
    for (const subscriber of this.subscribers) {
      subscriber.queue.push(...ids);
      this.work(subscriber);
    }
  }

  /**
   * Works through one stream's catch-up and queue, one query at a time so the stream gets requests
   * in the order they were recorded. Every await may outlive the stream: nothing is written once
   * it has closed. A failed query ends the stream; the browser reconnects and catches up.
   */
  private work(subscriber: Subscriber): void {
    if (subscriber.working) return;
    subscriber.working = true;
    this.drain(subscriber)
      .catch(() => this.end(subscriber))
      .finally(() => {
        subscriber.working = false;
        if (subscriber.open && subscriber.queue.length > 0) this.work(subscriber);
      });
  }

  private async drain(subscriber: Subscriber): Promise<void> {
    if (subscriber.catchUpAfter !== undefined) {
      const lastEventId = subscriber.catchUpAfter;
      subscriber.catchUpAfter = undefined;
      await this.catchUp(subscriber, lastEventId);
    }
    for (let id = subscriber.queue.shift(); id !== undefined && subscriber.open; id = subscriber.queue.shift()) {
      if (subscriber.sent.has(id)) continue;
      const row = await matchingSummary(this.options.db, id, subscriber.filter);
      if (row !== undefined) this.send(subscriber, listItemView(row));
    }
  }

  private async catchUp(subscriber: Subscriber, lastEventId: string): Promise<void> {
    const missed = await requestsAfter(this.options.db, subscriber.filter, lastEventId, CATCH_UP_LIMIT + 1);
    if (!subscriber.open) return;
    if (missed.length > CATCH_UP_LIMIT) {
      subscriber.res.write(`event: reset\ndata: ${JSON.stringify({ reason: 'too many requests were missed; reload the list' })}\n\n`);
      return;
    }
    for (const row of missed) this.send(subscriber, listItemView(row));
  }

  /** One SSE message; the id lets a reconnecting EventSource resume with Last-Event-ID. */
  private send(subscriber: Subscriber, item: RequestListItem): void {
    if (!subscriber.open || subscriber.sent.has(item.id)) return;
    subscriber.sent.add(item.id);
    subscriber.res.write(`id: ${item.id}\nevent: request\ndata: ${JSON.stringify(item)}\n\n`);
    if (subscriber.res.writableLength > MAX_BUFFERED_BYTES) this.end(subscriber);
  }

  private end(subscriber: Subscriber): void {
    if (!subscriber.open) return;
    subscriber.open = false;
    subscriber.res.end();
    this.remove(subscriber);
  }

  private remove(subscriber: Subscriber): void {
    subscriber.open = false;
    subscriber.queue = [];
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

/** The last `max` ids added, oldest forgotten first. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
  }
}
