import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import { networkErrorClass, type NetworkErrorClass } from './http-outcome';
import { assertLiteralAllowed, guardedLookup, systemResolver, type Resolver } from './ssrf-guard';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** null sends none (GET, DELETE). */
  body: string | null;
}

export interface HttpResponseInfo {
  statusCode: number;
  /** Header values as undici gives them (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The first bytes of the body, decoded as UTF-8 (the rest is discarded unread). */
  snippet: string;
  latencyMs: number;
}

/** A request that got no HTTP answer: what went wrong, classified, and how long it took. */
export class SendError extends Error {
  constructor(
    readonly errorClass: NetworkErrorClass,
    readonly latencyMs: number,
    cause: unknown,
  ) {
    super(`${errorClass}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'SendError';
  }
}

export interface HttpSenderOptions {
  /** Per attempt, connect to last byte of the snippet. */
  timeoutMs: number;
  allowPrivate: boolean;
  resolve?: Resolver;
  snippetBytes?: number;
  /** Monotonic milliseconds for latency; the wall clock can jump. */
  hrNow?: () => number;
}

export interface HttpSender {
  send(req: HttpRequest, signal?: AbortSignal): Promise<HttpResponseInfo>;
  /** Drops every connection, aborting requests still in flight. */
  close(): Promise<void>;
}

class TimeoutReason extends Error {
  readonly code = 'ETIMEDOUT';
}

/**
 * Sends one request with undici directly (not the global fetch): no redirect is followed (undici's
 * request has no redirect handling unless asked), every connection goes through the SSRF lookup,
 * and the attempt is cut at timeoutMs. Only a snippet of the answer is read; the rest is dropped.
 */
export function createHttpSender(options: HttpSenderOptions): HttpSender {
  const hrNow = options.hrNow ?? (() => performance.now());
  const snippetBytes = options.snippetBytes ?? 2048;
  const dispatcher: Dispatcher = new Agent({
    connect: { lookup: guardedLookup(options.resolve ?? systemResolver, options.allowPrivate), timeout: options.timeoutMs },
    // Keep-alive is worth having for busy endpoints, but an idle socket must not pin a closed subscriber.
    keepAliveTimeout: 4_000,
  });

  async function send(req: HttpRequest, signal?: AbortSignal): Promise<HttpResponseInfo> {
    const started = hrNow();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutReason(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    try {
      const url = new URL(req.url);
      assertLiteralAllowed(url, options.allowPrivate);
      const res = await request(url, {
        dispatcher,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body ?? undefined,
        signal: controller.signal,
      });
      const snippet = await readSnippet(res.body, snippetBytes);
      return { statusCode: res.statusCode, headers: res.headers, snippet, latencyMs: hrNow() - started };
    } catch (thrown) {
      const reason: unknown = controller.signal.reason;
      const errorClass = reason instanceof TimeoutReason ? 'timeout' : signal?.aborted ? 'aborted' : networkErrorClass(thrown);
      throw new SendError(errorClass, hrNow() - started, thrown);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }

  // destroy, not close: it runs after the workers stopped, and a request still hanging then has
  // been abandoned (its job is retried after the lease); waiting for it would stall the shutdown.
  return { send, close: () => dispatcher.destroy() };
}

async function readSnippet(body: AsyncIterable<Buffer> & { destroy?(): void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream: the connection is dropped rather than drained.
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
