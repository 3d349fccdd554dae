import { Webhook as StandardWebhook } from 'standardwebhooks';
import { buildRequest } from '../../src/outbound/request';
import { activeSecrets, generateSecret, secretKey, sign, signatureHeaders } from '../../src/outbound/signing';
import { nextSigning, ROTATION_OVERLAP_MS } from '../../src/outbound/webhook-service';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = generateSecret();
const NOW = Date.now();

describe('signing', () => {
  it('when a body is signed, then the standardwebhooks library verifies it', () => {
    const body = JSON.stringify({ event: 'ISSUE_CREATION', data: { issue: { id: 1 } } });
    const headers = { 'webhook-id': 'msg_1', ...signatureHeaders({ msgId: 'msg_1', now: NOW, body, secrets: [SECRET] }) };
    expect(new StandardWebhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(sign(SECRET, 'msg_1', Math.floor(NOW / 1000), body)).toBe(new StandardWebhook(SECRET).sign('msg_1', new Date(NOW), body));
  });

  it('when two secrets co-sign, then a receiver holding either one verifies', () => {
    const body = '{"event":"FEEDBACK_CREATION","data":{}}';
    const headers: Record<string, string> = { 'webhook-id': 'msg_2', ...signatureHeaders({ msgId: 'msg_2', now: NOW, body, secrets: [OTHER, SECRET] }) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new StandardWebhook(SECRET).verify(body, headers)).not.toThrow();
    expect(() => new StandardWebhook(OTHER).verify(body, headers)).not.toThrow();
    expect(() => new StandardWebhook(generateSecret()).verify(body, headers)).toThrow();
  });

  it.each<[string, boolean]>([
    [SECRET, true],
    [generateSecret(), true],
    ['whsec_short', false],
    ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', false],
    ['whsec_not base64 at all!!!!!!!!!!!!!!', false],
    [`whsec_${Buffer.alloc(80).toString('base64')}`, false],
  ])('when the secret is %s, then it is accepted: %p', (secret, ok) => {
    expect(secretKey(secret) !== null).toBe(ok);
  });
});

describe('rotation', () => {
  type Signing = ReturnType<typeof nextSigning>;
  const none: Signing = { signingSecret: null, previousSigningSecret: null, previousSecretExpiresAt: null };
  const current: Signing = { signingSecret: SECRET, previousSigningSecret: null, previousSecretExpiresAt: null };
  it.each<[string, Signing | null, string | null | undefined, Signing]>([
    ['a new subscription without a secret', null, undefined, none],
    ['a new subscription with a secret', null, SECRET, current],
    ['an update that leaves the secret out', current, undefined, current],
    ['an update repeating the secret', current, SECRET, current],
    ['an update removing the secret', current, null, none],
    [
      'an update with a new secret',
      current,
      OTHER,
      { signingSecret: OTHER, previousSigningSecret: SECRET, previousSecretExpiresAt: NOW + ROTATION_OVERLAP_MS },
    ],
    ['a first secret on an unsigned subscription', none, OTHER, { signingSecret: OTHER, previousSigningSecret: null, previousSecretExpiresAt: null }],
  ])('when %s, then the signing fields follow', (_label, before, requested, after) => {
    expect(nextSigning(before, requested, NOW)).toEqual(after);
  });

  it.each<[number, string[]]>([
    [NOW, [OTHER, SECRET]],
    [NOW + ROTATION_OVERLAP_MS - 1, [OTHER, SECRET]],
    [NOW + ROTATION_OVERLAP_MS, [OTHER]],
  ])('when it is %i after a rotation at NOW, then the active secrets are %p', (at, secrets) => {
    const rotated = nextSigning({ signingSecret: SECRET, previousSigningSecret: null, previousSecretExpiresAt: null }, OTHER, NOW);
    expect(activeSecrets(rotated, at)).toEqual(secrets);
  });
});

describe('buildRequest', () => {
  const envelope = { event: 'ISSUE_CREATION' as const, data: { issue: { id: 1, name: 'x' } } };
  const base = {
    url: 'https://example.com/hook',
    token: null,
    template: null,
    ...{ signingSecret: null, previousSigningSecret: null, previousSecretExpiresAt: null },
  };

  it("when nothing is configured, then it is ABC's request with a webhook-id", () => {
    expect(buildRequest(base, { id: 'msg_1', envelope, emittedAt: NOW }, { now: NOW, userAgent: 'iaphook/1.2.3' })).toEqual({
      url: 'https://example.com/hook',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'iaphook/1.2.3', 'webhook-id': 'msg_1' },
      body: JSON.stringify(envelope),
    });
  });

  it('when a token and a secret are set, then x-webhook-token and the Standard Webhooks headers are added', () => {
    const req = buildRequest(
      { ...base, token: 'abcdefghijklmnop', signingSecret: SECRET },
      { id: 'msg_1', envelope, emittedAt: NOW },
      { now: NOW, userAgent: 'ua' },
    );
    expect(req.headers).toMatchObject({ 'x-webhook-token': 'abcdefghijklmnop', 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(NOW / 1000)) });
    expect(new StandardWebhook(SECRET).verify(String(req.body), req.headers)).toEqual(envelope);
  });

  it('when a template is set, then its method, headers and body are sent and the signature covers that body', () => {
    const template = { method: 'PUT' as const, headers: { 'Content-Type': 'text/plain' }, body: 'new issue {{data.issue.name}}' };
    const req = buildRequest({ ...base, template, signingSecret: SECRET }, { id: 'msg_1', envelope, emittedAt: NOW }, { now: NOW, userAgent: 'ua' });
    expect(req).toMatchObject({ method: 'PUT', body: 'new issue x', headers: { 'content-type': 'text/plain' } });
    expect(() => new StandardWebhook(SECRET).verify(String(req.body), req.headers, { jsonParse: false })).not.toThrow();
  });

  it.each(['GET', 'DELETE'] as const)(
    'when a %s template is set, then no body is sent, the query is filled and encoded, and the signature covers the query',
    (method) => {
      const url = 'https://example.com/hook?type={{event}}&name={{data.issue.name}}&id={{data.issue.id}}';
      const named = { ...envelope, data: { issue: { id: 1, name: 'a&b=c d/é' } } };
      const req = buildRequest(
        { ...base, url, template: { method }, signingSecret: SECRET, token: 'abcdefghijklmnop' },
        { id: 'msg_1', envelope: named, emittedAt: NOW },
        { now: NOW, userAgent: 'ua' },
      );
      expect(req).toMatchObject({ method, body: null, url: 'https://example.com/hook?type=ISSUE_CREATION&name=a%26b%3Dc%20d%2F%C3%A9&id=1' });
      expect(req.headers['content-type']).toBeUndefined();
      expect(req.headers).toMatchObject({ 'x-webhook-token': 'abcdefghijklmnop', 'webhook-id': 'msg_1' });
      const query = 'type=ISSUE_CREATION&name=a%26b%3Dc%20d%2F%C3%A9&id=1';
      expect(() => new StandardWebhook(SECRET).verify(query, req.headers, { jsonParse: false })).not.toThrow();
      expect(() => new StandardWebhook(SECRET).verify(query.replace('id=1', 'id=2'), req.headers, { jsonParse: false })).toThrow();
    },
  );

  it('when a GET has no query string, then the signed content is empty', () => {
    const req = buildRequest(
      { ...base, template: { method: 'GET' }, signingSecret: SECRET },
      { id: 'msg_1', envelope, emittedAt: NOW },
      { now: NOW, userAgent: 'ua' },
    );
    expect(req).toMatchObject({ url: 'https://example.com/hook', body: null });
    expect(() => new StandardWebhook(SECRET).verify('', req.headers, { jsonParse: false })).not.toThrow();
    expect(() => new StandardWebhook(SECRET).verify('x=1', req.headers, { jsonParse: false })).toThrow();
  });

  it('when a URL without a template has placeholders in its query, then they are filled for the ABC POST too', () => {
    const req = buildRequest(
      { ...base, url: 'https://example.com/hook?e={{event}}' },
      { id: 'msg_1', envelope, emittedAt: NOW },
      { now: NOW, userAgent: 'ua' },
    );
    expect(req).toMatchObject({ method: 'POST', url: 'https://example.com/hook?e=ISSUE_CREATION', body: JSON.stringify(envelope) });
  });
});
