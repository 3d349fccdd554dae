import { classifyOutcome, networkErrorClass, parseRetryAfter, type AttemptInput, type Outcome } from '../../src/delivery';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('classifyOutcome', () => {
  it.each<[string, AttemptInput, Outcome]>([
    ['200', { statusCode: 200, now: NOW }, { kind: 'succeeded' }],
    ['204', { statusCode: 204, now: NOW }, { kind: 'succeeded' }],
    ['299', { statusCode: 299, now: NOW }, { kind: 'succeeded' }],
    ['301', { statusCode: 301, now: NOW }, { kind: 'permanent', errorClass: 'redirect' }],
    ['302', { statusCode: 302, now: NOW }, { kind: 'permanent', errorClass: 'redirect' }],
    ['304', { statusCode: 304, now: NOW }, { kind: 'permanent', errorClass: 'redirect' }],
    ['400', { statusCode: 400, now: NOW }, { kind: 'permanent', errorClass: 'client_error' }],
    ['401', { statusCode: 401, now: NOW }, { kind: 'permanent', errorClass: 'client_error' }],
    ['404', { statusCode: 404, now: NOW }, { kind: 'permanent', errorClass: 'client_error' }],
    ['408', { statusCode: 408, now: NOW }, { kind: 'retry', errorClass: 'request_timeout' }],
    ['408 with Retry-After 5', { statusCode: 408, retryAfter: '5', now: NOW }, { kind: 'retry', errorClass: 'request_timeout', retryAfterMs: 5000 }],
    ['410', { statusCode: 410, now: NOW }, { kind: 'permanent', errorClass: 'gone', gone: true }],
    ['422', { statusCode: 422, now: NOW }, { kind: 'permanent', errorClass: 'client_error' }],
    ['429', { statusCode: 429, now: NOW }, { kind: 'retry', errorClass: 'rate_limited' }],
    ['429 with Retry-After 10', { statusCode: 429, retryAfter: '10', now: NOW }, { kind: 'retry', errorClass: 'rate_limited', retryAfterMs: 10_000 }],
    ['429 with an invalid Retry-After', { statusCode: 429, retryAfter: 'soon', now: NOW }, { kind: 'retry', errorClass: 'rate_limited' }],
    ['500', { statusCode: 500, now: NOW }, { kind: 'retry', errorClass: 'server_error' }],
    ['503 with Retry-After 2', { statusCode: 503, retryAfter: '2', now: NOW }, { kind: 'retry', errorClass: 'server_error', retryAfterMs: 2000 }],
    ['599', { statusCode: 599, now: NOW }, { kind: 'retry', errorClass: 'server_error' }],
    ['101', { statusCode: 101, now: NOW }, { kind: 'permanent', errorClass: 'unexpected_status' }],
    ['a timeout', { error: 'timeout' }, { kind: 'retry', errorClass: 'timeout' }],
    ['connection refused', { error: 'connection_refused' }, { kind: 'retry', errorClass: 'connection_refused' }],
    ['a DNS failure', { error: 'dns' }, { kind: 'retry', errorClass: 'dns' }],
    ['a reset', { error: 'connection_reset' }, { kind: 'retry', errorClass: 'connection_reset' }],
    ['a TLS error', { error: 'tls' }, { kind: 'retry', errorClass: 'tls' }],
    ['a worker stopping', { error: 'aborted' }, { kind: 'retry', errorClass: 'aborted' }],
    ['a blocked address', { error: 'blocked_address' }, { kind: 'permanent', errorClass: 'blocked_address' }],
  ])('when the attempt ends with %s, then the outcome is as ABC documents', (_label, input, expected) => {
    expect(classifyOutcome(input)).toEqual(expected);
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | null | undefined, number | undefined]>([
    [undefined, undefined],
    [null, undefined],
    ['0', 0],
    ['10', 10_000],
    [' 7 ', 7000],
    ['-1', undefined],
    ['1.5', undefined],
    ['tomorrow', undefined],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:59:00 GMT', 0],
    ['2026-03-01T12:00:30Z', undefined],
  ])('when Retry-After is %p, then the delay is %p ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('networkErrorClass', () => {
  const err = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });
  it.each<[string, unknown, string]>([
    ['ECONNREFUSED', err('ECONNREFUSED'), 'connection_refused'],
    ['ENOTFOUND', err('ENOTFOUND'), 'dns'],
    ['EAI_AGAIN', err('EAI_AGAIN'), 'dns'],
    ['a wrapped ECONNRESET', err('UND_ERR_SOCKET', err('ECONNRESET')), 'connection_reset'],
    ['a connect timeout', err('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    ['a headers timeout', err('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['an AggregateError of refusals', Object.assign(new AggregateError([err('ECONNREFUSED')]), {}), 'connection_refused'],
    ['a blocked address', err('ERR_BLOCKED_ADDRESS'), 'blocked_address'],
    ['a certificate error', err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    ['an unknown error', new Error('boom'), 'network'],
    ['a non-error', 'boom', 'network'],
  ])('when the request fails with %s, then the class is %s', (_label, thrown, expected) => {
    expect(networkErrorClass(thrown)).toBe(expected);
  });
});
