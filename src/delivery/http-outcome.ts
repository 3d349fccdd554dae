/**
 * What one HTTP delivery attempt means for the delivery, as a pure function of what came back.
 * The rules are ABC User Feedback's documented ones, which its own sender does not follow:
 * 2xx succeeds; 5xx, timeouts and network errors are retried; 4xx is not, except 408 and 429
 * (the receiver asks us to come back, Retry-After honoured); 410 means the endpoint is gone for
 * good; 3xx is a failure because redirects are not followed (a redirect to an internal address is
 * the classic way around an SSRF check) and retrying will not change the answer.
 */

export type NetworkErrorClass = 'timeout' | 'connection_refused' | 'connection_reset' | 'dns' | 'tls' | 'blocked_address' | 'network' | 'aborted';

export type HttpErrorClass = 'redirect' | 'client_error' | 'request_timeout' | 'rate_limited' | 'gone' | 'server_error' | 'unexpected_status';

export type AttemptInput = { statusCode: number; retryAfter?: string | null; now: number } | { error: NetworkErrorClass };

export type Outcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; errorClass: HttpErrorClass | NetworkErrorClass; retryAfterMs?: number }
  | { kind: 'permanent'; errorClass: HttpErrorClass | NetworkErrorClass; gone?: true };

export function classifyOutcome(input: AttemptInput): Outcome {
  if ('error' in input) {
    // A blocked address stays blocked: the subscription's URL has to change, not the timing.
    return input.error === 'blocked_address' ? { kind: 'permanent', errorClass: input.error } : { kind: 'retry', errorClass: input.error };
  }
  const status = input.statusCode;
  const hinted = (errorClass: HttpErrorClass): Outcome => {
    const retryAfterMs = parseRetryAfter(input.retryAfter, input.now);
    return retryAfterMs === undefined ? { kind: 'retry', errorClass } : { kind: 'retry', errorClass, retryAfterMs };
  };
  if (status >= 200 && status < 300) return { kind: 'succeeded' };
  if (status >= 300 && status < 400) return { kind: 'permanent', errorClass: 'redirect' };
  if (status === 408) return hinted('request_timeout');
  if (status === 429) return hinted('rate_limited');
  if (status === 410) return { kind: 'permanent', errorClass: 'gone', gone: true };
  if (status >= 400 && status < 500) return { kind: 'permanent', errorClass: 'client_error' };
  if (status >= 500 && status < 600) return hinted('server_error');
  return { kind: 'permanent', errorClass: 'unexpected_status' };
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the IMF-fixdate family: Date.parse accepts far more than RFC 9110 allows.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_FAIL', 'EAI_NONAME']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** The error class of a thrown network error, from its code or its cause's (undici wraps them). */
export function networkErrorClass(thrown: unknown): NetworkErrorClass {
  for (const code of errorCodes(thrown)) {
    if (code === 'ERR_BLOCKED_ADDRESS') return 'blocked_address';
    if (code === 'ECONNREFUSED') return 'connection_refused';
    if (DNS_CODES.has(code)) return 'dns';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (RESET_CODES.has(code)) return 'connection_reset';
    if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code)) return 'tls';
  }
  return 'network';
}

/** Codes along the cause chain and inside AggregateErrors (happy eyeballs tries several addresses). */
function errorCodes(thrown: unknown, depth = 0): string[] {
  if (depth > 5 || typeof thrown !== 'object' || thrown === null) return [];
  const error = thrown as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof error.code === 'string' ? [error.code] : [];
  const nested = Array.isArray(error.errors) ? error.errors.flatMap((e) => errorCodes(e, depth + 1)) : [];
  return [...own, ...nested, ...errorCodes(error.cause, depth + 1)];
}
