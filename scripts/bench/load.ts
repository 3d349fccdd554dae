import autocannon from 'autocannon';
import { purchaseBody } from './payloads';

export interface LoadOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  /** Seconds; the run also stops after maxRequests. */
  durationSec: number;
  maxRequests?: number;
  /** Keep the eventId and client-side time of every 200 (processing lag). */
  collectAcks?: boolean;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  rps: number;
  p50: number;
  p99: number;
  /** eventId → Date.now() when its 200 arrived. */
  acks: Map<string, number>;
}

/** One autocannon run posting distinct purchases; latency figures are autocannon's (ms). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const acks = new Map<string, number>();
  const onResponse = options.collectAcks
    ? (status: number, body: string) => {
        if (status !== 200) return;
        const eventId = (JSON.parse(body) as { eventId?: string }).eventId;
        if (typeof eventId === 'string') acks.set(eventId, Date.now());
      }
    : undefined;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    amount: options.maxRequests,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: options.path,
        headers: { 'content-type': 'application/json', ...options.headers },
        setupRequest: (request) => ({ ...request, body: purchaseBody() }),
        onResponse,
      },
    ],
  });
  const seconds = Math.max(0.001, result.duration);
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    acks,
  };
}
