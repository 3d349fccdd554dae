import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import type { PlannedRequest, SampleRoute } from './payloads';

export interface SendResult {
  label: string;
  url: string;
  /** null when no answer came (network error, timeout). */
  status: number | null;
  latencyMs: number;
  /** The start of the answer body, or the error message. */
  answer: string;
  ok: boolean;
}

export interface SendOptions {
  /** The URL of each route; --url sends every request to one URL instead. */
  urlFor(route: SampleRoute): string;
  /** Sent as Authorization: Bearer <key>; null sends none (to test a 401). */
  key: string | null;
  concurrency: number;
  timeoutMs?: number;
  /** Called as each request finishes, in completion order. */
  onResult?(result: SendResult): void;
  dispatcher?: Dispatcher;
}

const ANSWER_SNIPPET = 300;

const routePath = (route: SampleRoute) => `/webhooks/nachocode${route === 'auto' ? '' : `/${route}`}`;

/** The default target: this machine's iaphook, on the configured port. */
export function defaultUrlFor(port: number): (route: SampleRoute) => string {
  return (route) => `http://127.0.0.1:${port}${routePath(route)}`;
}

/**
 * Where --url sends: the URL as given (a bin, a proxy, one webhook route), except that a bare
 * server address (no path) means that server's webhook route for the kind sent.
 */
export function urlForTarget(target: string): (route: SampleRoute) => string {
  const url = new URL(target);
  if (url.pathname !== '/' || url.search !== '') return () => target;
  return (route) => `${url.origin}${routePath(route)}`;
}

async function sendOne(item: PlannedRequest, options: SendOptions, dispatcher: Dispatcher): Promise<SendResult> {
  const url = options.urlFor(item.route);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'iaphook-send-sample' };
  if (options.key !== null) headers.authorization = `Bearer ${options.key}`;
  const started = performance.now();
  try {
    const res = await request(url, {
      method: 'POST',
      headers,
      body: item.rawBody ?? JSON.stringify(item.body),
      dispatcher,
      headersTimeout: options.timeoutMs ?? 10_000,
      bodyTimeout: options.timeoutMs ?? 10_000,
    });
    const text = await res.body.text();
    const latencyMs = performance.now() - started;
    return {
      label: item.label,
      url,
      status: res.statusCode,
      latencyMs,
      answer: text.slice(0, ANSWER_SNIPPET),
      ok: res.statusCode >= 200 && res.statusCode < 300,
    };
  } catch (error) {
    return { label: item.label, url, status: null, latencyMs: performance.now() - started, answer: (error as Error).message, ok: false };
  }
}

/**
 * Sends units of requests with at most `concurrency` units in flight. The requests of one unit
 * (a purchase and then its refund) go one after the other; units run side by side.
 */
export async function sendUnits(units: PlannedRequest[][], options: SendOptions): Promise<SendResult[]> {
  const dispatcher = options.dispatcher ?? new Agent({ connections: Math.max(1, options.concurrency), keepAliveTimeout: 1000 });
  const results: SendResult[] = [];
  let next = 0;
  const lane = async () => {
    while (next < units.length) {
      const unit = units[next++];
      for (const item of unit) {
        const result = await sendOne(item, options, dispatcher);
        results.push(result);
        options.onResult?.(result);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, units.length)) }, lane));
  } finally {
    if (options.dispatcher === undefined) await dispatcher.close();
  }
  return results;
}

export interface SendSummary {
  total: number;
  ok: number;
  failed: number;
  byStatus: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  perSecond: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(results: SendResult[], elapsedMs: number): SendSummary {
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const byStatus: Record<string, number> = {};
  for (const r of results) byStatus[r.status === null ? 'error' : String(r.status)] = (byStatus[r.status === null ? 'error' : String(r.status)] ?? 0) + 1;
  const ok = results.filter((r) => r.ok).length;
  return {
    total: results.length,
    ok,
    failed: results.length - ok,
    byStatus,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    maxMs: latencies[latencies.length - 1] ?? 0,
    perSecond: elapsedMs > 0 ? (results.length * 1000) / elapsedMs : 0,
  };
}

/** One line per request: status, latency, what was sent and the start of the answer. */
export function formatResult(result: SendResult): string {
  const status = result.status === null ? 'ERR' : String(result.status);
  return `${status.padEnd(4)} ${result.latencyMs.toFixed(1).padStart(8)} ms  ${result.label}  ${result.answer.replace(/\s+/g, ' ').slice(0, 160)}`;
}

export function formatSummary(s: SendSummary): string {
  const statuses = Object.entries(s.byStatus)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  return [
    `sent ${s.total}: ${s.ok} ok, ${s.failed} failed (${statuses})`,
    `latency p50 ${s.p50Ms.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms, max ${s.maxMs.toFixed(1)} ms; ${s.perSecond.toFixed(0)} requests/s`,
  ].join('\n');
}
