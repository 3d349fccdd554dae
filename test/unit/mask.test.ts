import { isCookieHeader, isSecretHeader, maskHeaders, maskQuery, maskSecret } from '../../src/http/mask';

const SECRET = 'whk_s3cr3t_0123456789abcdefXYZ9';

describe('maskHeaders hiding secret headers', () => {
  it.each<[string, string, string]>([
    ['authorization', `Bearer ${SECRET}`, 'Bearer ****XYZ9'],
    ['Authorization', `Bearer ${SECRET}`, 'Bearer ****XYZ9'],
    ['AUTHORIZATION', `bearer ${SECRET}`, 'bearer ****XYZ9'],
    ['authorization', `Basic ${Buffer.from(`admin:${SECRET}`).toString('base64')}`, 'Basic ****OQ=='],
    ['proxy-authorization', `Basic ${SECRET}`, 'Basic ****XYZ9'],
    ['cookie', `session=${SECRET}`, '****XYZ9'],
    ['cookie', `a=1; session=${SECRET}`, '****XYZ9'],
    ['Cookie', `session=${SECRET}`, '****XYZ9'],
    ['set-cookie', `session=${SECRET}; HttpOnly`, '****Only'],
    ['x-webhook-token', SECRET, '****XYZ9'],
    ['X-Webhook-Token', SECRET, '****XYZ9'],
    ['x-api-key', SECRET, '****XYZ9'],
    ['webhook-signature', `v1,${SECRET}`, '****XYZ9'],
    ['Webhook-Signature', `v1,${SECRET} v1,${SECRET}`, '****XYZ9'],
    ['x-auth-token', SECRET, '****XYZ9'],
    ['api-key', SECRET, '****XYZ9'],
    ['x-hub-signature-256', `sha256=${SECRET}`, '****XYZ9'],
    ['x-shopify-hmac-sha256', SECRET, '****XYZ9'],
    ['stripe-signature', `t=1,v1=${SECRET}`, '****XYZ9'],
    ['x-webhook-secret', SECRET, '****XYZ9'],
    ['x-session-id', SECRET, '****XYZ9'],
    ['x-password', SECRET, '****XYZ9'],
    ['x-sig', SECRET, '****XYZ9'],
    ['authorization', 'Bearer short', 'Bearer ****'],
    ['x-webhook-token', 'short', '****'],
    ['authorization', '', '****'],
  ])('when the header is %s: %s, then it is stored as %s', (name, value, masked) => {
    expect(maskHeaders([name, value])).toEqual({ [name.toLowerCase()]: masked });
  });

  it.each<[string, string]>([
    ['authorization', `Bearer ${SECRET}`],
    ['cookie', `session=${SECRET}`],
    ['x-webhook-token', SECRET],
    ['webhook-signature', `v1,${SECRET}`],
    ['x-api-key', SECRET],
  ])('when the %s header holds a secret, then no more than its last four characters appear in the output', (name, value) => {
    const output = JSON.stringify(maskHeaders(['host', 'example.com', name, value]));
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(SECRET.slice(0, -4));
    expect(output).not.toContain(SECRET.slice(-5));
  });
});

describe('maskHeaders leaving other headers alone', () => {
  it.each<[string, string]>([
    ['content-type', 'application/json; charset=utf-8'],
    ['user-agent', 'nachocode-webhook/1.0'],
    ['x-request-id', 'req_01HZX0000000000000000000'],
    ['content-length', '512'],
    ['x-forwarded-for', '203.0.113.7, 10.0.0.1'],
    ['x-design', 'Bearer not-a-secret-header-value'],
    ['accept', 'application/json'],
    ['x-iaphook-replay-of', 'req_01HZX0000000000000000000'],
  ])('when the header is %s, then its value is kept as is', (name, value) => {
    expect(maskHeaders([name, value])).toEqual({ [name]: value });
  });

  it('when header names are mixed case, then they are lower-cased', () => {
    expect(maskHeaders(['Content-Type', 'application/json', 'X-Request-Id', 'abc'])).toEqual({ 'content-type': 'application/json', 'x-request-id': 'abc' });
  });
});

describe('maskHeaders with repeated headers', () => {
  it.each<[string, string[], string | string[]]>([
    ['an unmasked header twice', ['x-forwarded-for', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2'], ['1.1.1.1', '2.2.2.2']],
    ['an unmasked header three times', ['via', 'a', 'via', 'b', 'via', 'c'], ['a', 'b', 'c']],
    ['a secret header twice', ['authorization', `Bearer ${SECRET}`, 'Authorization', 'Bearer other-key-1234567890'], ['Bearer ****XYZ9', 'Bearer ****7890']],
    ['cookies three times', ['cookie', 'a=1', 'cookie', 'b=2', 'cookie', `c=${SECRET}`], ['****', '****', '****XYZ9']],
    ['a header once', ['via', 'a'], 'a'],
  ])('when the request has %s, then every value is kept in order', (_name, raw, expected) => {
    const name = raw[0].toLowerCase();
    expect(maskHeaders(raw)[name]).toEqual(expected);
  });

  it('when a dangling name has no value, then it is ignored', () => {
    expect(maskHeaders(['via', 'a', 'orphan'])).toEqual({ via: 'a' });
  });

  it('when a header is named __proto__, then it is stored as a plain entry without touching prototypes', () => {
    const out = maskHeaders(['__proto__', 'x']);
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(out['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('maskSecret', () => {
  it.each<[string, string]>([
    [`Bearer ${SECRET}`, 'Bearer ****XYZ9'],
    [`Token ${SECRET}`, 'Token ****XYZ9'],
    [SECRET, '****XYZ9'],
    ['0123456789abcdef', '****cdef'],
    ['0123456789abcde', '****'],
    ['Bearer 0123456789abcde', 'Bearer ****'],
    ['Bearer', '****'],
    ['', '****'],
  ])('when masking %p, then the result is %p', (value, masked) => {
    expect(maskSecret(value)).toBe(masked);
  });
});

describe('isSecretHeader', () => {
  it.each<[string, boolean]>([
    ['authorization', true],
    ['Authorization', true],
    ['cookie', true],
    ['x-webhook-token', true],
    ['webhook-signature', true],
    ['x-authorization-hint', true],
    ['X-Shopify-Hmac-Sha256', true],
    ['content-type', false],
    ['webhook-id', false],
    ['keep-alive', false],
  ])('when the name is %s, then isSecretHeader is %s', (name, secret) => {
    expect(isSecretHeader(name)).toBe(secret);
  });
});

describe('maskQuery', () => {
  it.each<[string | null, string | null]>([
    [null, null],
    ['', ''],
    ['a=1&b=2', 'a=1&b=2'],
    [`api_key=${SECRET}`, 'api_key=****XYZ9'],
    [`apiKey=${SECRET}&page=2`, 'apiKey=****XYZ9&page=2'],
    [`access_token=${SECRET}&token=short`, 'access_token=****XYZ9&token=****'],
    [`x=1&Signature=${encodeURIComponent(SECRET)}&x=2`, 'x=1&Signature=****XYZ9&x=2'],
    [`%61pi_key=${SECRET}`, '%61pi_key=****XYZ9'],
    [`password=${SECRET.replace('_', '%20')}`, 'password=****XYZ9'],
    ['flag&key', 'flag&key'],
    ['key=%E0%A4%A', 'key=****'],
  ])('when the query is %p, then it is stored as %p', (query, masked) => {
    expect(maskQuery(query)).toBe(masked);
  });
});

describe('isCookieHeader', () => {
  it.each<[string, boolean]>([
    ['cookie', true],
    ['Cookie', true],
    ['authorization', false],
    ['x-hub-signature-256', false],
  ])('when the name is %s, then a bin that shows its secrets still hides it: %s', (name, hidden) => {
    expect(isCookieHeader(name)).toBe(hidden);
  });
});
