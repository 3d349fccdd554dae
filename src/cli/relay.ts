import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeTime, encodeTime } from 'ulid';
import { Agent, request, type Dispatcher } from 'undici';
import { isSecretHeader } from '../http/mask';
import { RecentIds } from '../inspector/live';
import { sseMessages } from './sse';

// `iaphook listen`: follows the inspector's live stream of a remote iaphook and forwards each
// request it lists to a local URL, with its exact body bytes. The stream gives list items; the
// detail of each (headers, body) is fetched by id. After a disconnect the stream is reopened with
// Last-Event-ID a little before the last id forwarded (a request can commit just after a later
// one), and ids already forwarded are skipped, so nothing is missed or sent twice.

export interface RelayFilter {
  path?: string;
  outcome?: string[];
}

export interface RelayOptions {
  /** The remote iaphook, without a trailing slash. */
  base: string;
  token: string;
  forwardTo: string;
  filter: RelayFilter;
  print(line: string): void;
  /** Stops the relay. */
  signal: AbortSignal;
  /** How far before the last forwarded id a reconnect resumes (the ids after it already forwarded are skipped). */
  lookbackMs?: number;
  /** A forward's answer is awaited this long. */
  forwardTimeoutMs?: number;
  /** Longest wait between reconnection attempts. */
  maxBackoffMs?: number;
}

/** A list item of the stream, as much of it as the relay reads. */
interface ListedRequest {
  id: string;
  receivedAt: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
  reason: string | null;
}

interface RequestDetail extends ListedRequest {
  headers: Record<string, string | string[]>;
  body: { base64: string; truncated: { receivedSize: number } | null } | null;
}

/** Fatal: the server refused the token or the filter; reconnecting cannot help. */
export class RelayRefused extends Error {}

/** Headers that describe one hop (the relay makes its own connection) or that undici sets itself. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'expect',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
]);

export const REQUEST_ID_HEADER = 'x-iaphook-request-id';
export const TRUNCATED_HEADER = 'x-iaphook-body-truncated';

/**
 * What is forwarded of a stored request's headers: every header except those whose name looks
 * secret (the inspector's masking rule: Authorization with the webhook key, signatures, cookies),
 * whatever the stored value (a bin may keep them unmasked), and the per-hop ones. Then the id.
 */
export function forwardedHeaders(stored: Record<string, string | string[]>, requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(stored)) {
    const lower = name.toLowerCase();
    if (isSecretHeader(lower) || HOP_HEADERS.has(lower) || lower === REQUEST_ID_HEADER) continue;
    out[lower] = value;
  }
  out[REQUEST_ID_HEADER] = requestId;
  return out;
}

/** An id that sorts just before every id made `ms` milliseconds earlier than this one. */
export function resumeIdBefore(id: string, ms: number): string {
  const time = Math.max(0, decodeTime(id.slice(4)) - ms);
  return `req_${encodeTime(time, 10)}${'0'.repeat(16)}`;
}

const timeOf = (iso: string) => iso.replace('T', ' ').replace('Z', '');

export class Relay {
  /** The newest id forwarded (or skipped as gone); a reconnect resumes from it. */
  private lastId: string | undefined;
  private readonly forwarded = new RecentIds(100_000);
  private readonly api: Dispatcher;
  private readonly local: Dispatcher;

  constructor(private readonly options: RelayOptions) {
    this.api = new Agent({ keepAliveTimeout: 4000 });
    this.local = new Agent({ keepAliveTimeout: 1000 });
  }

  /** Runs until the signal aborts; throws RelayRefused when the server will not serve this token or filter. */
  async run(): Promise<void> {
    const { signal } = this.options;
    let backoff = 250;
    let connectedOnce = false;
    try {
      while (!signal.aborted) {
        try {
          const opened = await this.follow(connectedOnce, () => {
            connectedOnce = true;
            backoff = 250;
          });
          if (opened) this.options.print(`stream ended; reconnecting${this.lastId === undefined ? '' : ` after ${this.lastId}`}`);
        } catch (error) {
          if (error instanceof RelayRefused) throw error;
          if (signal.aborted) break;
          this.options.print(`stream lost (${(error as Error).message}); reconnecting in ${backoff} ms`);
        }
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 5000);
      }
    } finally {
      await Promise.all([this.api.close(), this.local.close()]);
    }
  }

  private filterQuery(): URLSearchParams {
    const query = new URLSearchParams();
    if (this.options.filter.path !== undefined) query.set('path', this.options.filter.path);
    if (this.options.filter.outcome !== undefined) query.set('outcome', this.options.filter.outcome.join(','));
    return query;
  }

  /** One stream connection, its messages handled in order. Returns whether it opened. */
  private async follow(reconnect: boolean, onOpen: () => void): Promise<boolean> {
    const resumeAfter = this.lastId === undefined ? undefined : resumeIdBefore(this.lastId, this.options.lookbackMs ?? 5000);
    const res = await request(`${this.options.base}/api/inspector/stream?${this.filterQuery()}`, {
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: 'text/event-stream',
        ...(resumeAfter === undefined ? {} : { 'last-event-id': resumeAfter }),
      },
      dispatcher: this.api,
      signal: this.options.signal,
      // The server sends a heartbeat every 15 s: a minute of silence is a dead connection.
      bodyTimeout: 60_000,
    });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      const message = `${this.options.base} answered ${res.statusCode}: ${text.slice(0, 300)}`;
      if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 408 && res.statusCode !== 429) throw new RelayRefused(message);
      throw new Error(message);
    }
    for await (const message of sseMessages(res.body)) {
      if (message.event === 'ready') {
        onOpen();
        const target = `${this.options.base} to ${this.options.forwardTo}`;
        this.options.print(
          reconnect ? `reconnected; resuming after ${this.lastId ?? 'the start'}` : `ready: forwarding requests from ${target} (Ctrl-C to stop)`,
        );
      } else if (message.event === 'request') {
        await this.handle(JSON.parse(message.data) as ListedRequest);
      } else if (message.event === 'reset') {
        // More was missed than the stream catches up: page through the list for the gap.
        await this.fillGap(resumeAfter);
      }
    }
    return true;
  }

  /** Everything after `after` that the list holds, oldest first (the list pages newest first). */
  private async fillGap(after: string | undefined): Promise<void> {
    if (after === undefined) return;
    const missed: ListedRequest[] = [];
    let cursor: string | null = null;
    do {
      const query = this.filterQuery();
      query.set('from', String(decodeTime(after.slice(4))));
      query.set('limit', '500');
      if (cursor !== null) query.set('cursor', cursor);
      const page = await this.getJson<{ data: ListedRequest[]; nextCursor: string | null }>(`/api/inspector/requests?${query}`);
      if (page === null) break;
      missed.push(...page.data.filter((r) => r.id > after));
      cursor = page.nextCursor;
    } while (cursor !== null);
    for (const item of missed.reverse()) await this.handle(item);
  }

  private async getJson<T>(path: string): Promise<T | null> {
    const res = await request(`${this.options.base}${path}`, {
      headers: { authorization: `Bearer ${this.options.token}` },
      dispatcher: this.api,
      signal: this.options.signal,
    });
    const text = await res.body.text();
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  /** Forwards one request, unless it was already. A failed detail fetch throws: the stream reconnects and resumes before it. */
  private async handle(item: ListedRequest): Promise<void> {
    if (this.forwarded.has(item.id)) return;
    const detail = await this.getJson<RequestDetail>(`/api/inspector/requests/${item.id}`);
    const remote = `iaphook ${item.status} ${item.outcome}${item.reason === null ? '' : ` (${item.reason})`}`;
    const head = `${timeOf(item.receivedAt)}  ${item.method} ${item.path}  ${remote}`;
    if (detail === null) {
      this.options.print(`${head}  -> not forwarded: no longer stored  ${item.id}`);
    } else {
      this.options.print(`${head}  -> ${await this.forward(detail)}  ${item.id}`);
    }
    this.forwarded.add(item.id);
    if (this.lastId === undefined || item.id > this.lastId) this.lastId = item.id;
  }

  /** Sends the stored request to the local URL; answers with what to print. Never throws: a local failure is printed. */
  private async forward(detail: RequestDetail): Promise<string> {
    const headers = forwardedHeaders(detail.headers, detail.id);
    const body = detail.body === null || detail.method === 'GET' || detail.method === 'HEAD' ? undefined : Buffer.from(detail.body.base64, 'base64');
    if (detail.body?.truncated) headers[TRUNCATED_HEADER] = String(detail.body.truncated.receivedSize);
    const started = performance.now();
    const timeout = this.options.forwardTimeoutMs ?? 30_000;
    try {
      const res = await request(this.options.forwardTo, {
        method: detail.method as 'POST',
        headers,
        body,
        dispatcher: this.local,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      await res.body.dump();
      return `local ${res.statusCode} in ${Math.round(performance.now() - started)} ms`;
    } catch (error) {
      return `local failed after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`;
    }
  }
}
