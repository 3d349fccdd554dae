import jwt from 'jsonwebtoken';
import { lifetimeProblem, signToken, verifyToken, type Principal, type SignOptions } from '../../src/http/tokens';

const SECRET = 'test-jwt-secret-0123456789abcdefghij';
const OTHER_SECRET = 'other-jwt-secret-0123456789abcdefgh';
const HOUR_MS = 3600 * 1000;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

function rejected(token: string, now = Date.now(), secret = SECRET): string {
  const result = verifyToken(secret, token, now);
  if (result.ok) throw new Error(`expected the token to be rejected, got ${JSON.stringify(result.principal)}`);
  return result.reason;
}

describe('verifyToken with valid tokens', () => {
  it.each<[string, SignOptions, Principal]>([
    ['an admin token', { role: 'admin' }, { role: 'admin', sub: null }],
    ['an admin token with a sub', { role: 'admin', sub: 'ops@example.com' }, { role: 'admin', sub: 'ops@example.com' }],
    ['a user token', { role: 'user', sub: 'user-7f3a' }, { role: 'user', sub: 'user-7f3a' }],
    ['a user token with a long lifetime', { role: 'user', sub: 'user-19c2', expiresInSeconds: 30 * 24 * 3600 }, { role: 'user', sub: 'user-19c2' }],
  ])('when the token is %s, then it verifies to its principal', (_name, options, principal) => {
    expect(verifyToken(SECRET, signToken(SECRET, options), Date.now())).toEqual({ ok: true, principal });
  });

  it.each<[string, number]>([
    ['just issued', 0],
    ['59 minutes later', 59 * 60 * 1000],
    ['one second before expiry', HOUR_MS - 1000],
  ])('when a default (1 hour) token is checked %s, then it is still valid', (_name, offsetMs) => {
    const token = signToken(SECRET, { role: 'admin' });
    const issuedAt = (jwt.decode(token) as { iat: number }).iat * 1000;
    expect(verifyToken(SECRET, token, issuedAt + offsetMs).ok).toBe(true);
  });

  it('when a token is signed, then it is HS256 with an exp one hour after iat by default', () => {
    const decoded = jwt.decode(signToken(SECRET, { role: 'admin' }), { complete: true }) as jwt.Jwt;
    const payload = decoded.payload as jwt.JwtPayload;
    expect(decoded.header.alg).toBe('HS256');
    expect(payload.exp! - payload.iat!).toBe(3600);
  });
});

describe('verifyToken with rejected tokens', () => {
  it.each<[string, number, number]>([
    ['at the exact expiry second', 60, 60 * 1000],
    ['an hour after a 1-minute token expired', 60, 61 * 60 * 1000],
    ['a day after a default token expired', 3600, 25 * HOUR_MS],
  ])('when a token is checked %s, then it is rejected as expired', (_name, lifetime, offsetMs) => {
    const token = signToken(SECRET, { role: 'admin', expiresInSeconds: lifetime });
    const issuedAt = (jwt.decode(token) as { iat: number }).iat * 1000;
    expect(rejected(token, issuedAt + offsetMs)).toBe('the token has expired');
  });

  it.each<[string, () => string, RegExp]>([
    ['signed with another secret', () => signToken(OTHER_SECRET, { role: 'admin' }), /^invalid token: invalid signature/],
    [
      'an alg none token with an empty signature',
      () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ role: 'admin', exp: nowSeconds() + 3600 })}.`,
      /^invalid token:/,
    ],
    [
      'an alg none token that keeps a valid HS256 signature',
      () => {
        const [, payload, signature] = signToken(SECRET, { role: 'admin' }).split('.');
        return `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
      },
      /^invalid token:/,
    ],
    [
      'HS512-signed with the right secret',
      () => jwt.sign({ role: 'admin' }, SECRET, { algorithm: 'HS512', expiresIn: 3600 }),
      /^invalid token: invalid algorithm/,
    ],
    [
      'HS384-signed with the right secret',
      () => jwt.sign({ role: 'admin' }, SECRET, { algorithm: 'HS384', expiresIn: 3600 }),
      /^invalid token: invalid algorithm/,
    ],
    ['without exp', () => jwt.sign({ role: 'admin' }, SECRET, { algorithm: 'HS256', noTimestamp: true }), /^invalid token claims: exp$/],
    ['without exp but with iat', () => jwt.sign({ role: 'admin' }, SECRET, { algorithm: 'HS256' }), /^invalid token claims: exp$/],
    ['with a bad role', () => jwt.sign({ role: 'root' }, SECRET, { algorithm: 'HS256', expiresIn: 3600 }), /^invalid token claims: role$/],
    ['without a role', () => jwt.sign({ sub: 'user-7f3a' }, SECRET, { algorithm: 'HS256', expiresIn: 3600 }), /^invalid token claims: role$/],
    ['with an empty sub', () => jwt.sign({ role: 'admin', sub: '' }, SECRET, { algorithm: 'HS256', expiresIn: 3600 }), /^invalid token claims: sub$/],
    ['with a numeric sub', () => jwt.sign({ role: 'user', sub: 42 }, SECRET, { algorithm: 'HS256', expiresIn: 3600 }), /^invalid token claims: sub$/],
    ['a user token without sub', () => signToken(SECRET, { role: 'user' }), /^a user token needs a sub claim$/],
    ['a string payload', () => jwt.sign('admin', SECRET, { algorithm: 'HS256' }), /^invalid token claims:/],
    ['not a JWT', () => 'not-a-token', /^invalid token: jwt malformed/],
    ['empty', () => '', /^invalid token:/],
    [
      'a payload altered after signing',
      () => {
        const [header, , signature] = signToken(SECRET, { role: 'user', sub: 'user-7f3a' }).split('.');
        return `${header}.${b64url({ role: 'admin', exp: nowSeconds() + 3600 })}.${signature}`;
      },
      /^invalid token: invalid signature/,
    ],
  ])('when the token is %s, then it is rejected', (_name, build, reason) => {
    expect(rejected(build())).toMatch(reason);
  });

  it('when the token is not yet valid (nbf in the future of now), then it is rejected', () => {
    const token = jwt.sign({ role: 'admin' }, SECRET, { algorithm: 'HS256', expiresIn: 7200, notBefore: 3600 });
    expect(rejected(token)).toMatch(/^invalid token: jwt not active/);
  });
});

describe('token lifetime (JWT_MAX_TTL)', () => {
  const NOW = 1_800_000_000;
  const DAY = 86_400;
  const MAX = 30 * DAY;

  it.each<[string, { exp: number; iat?: number }, RegExp | null]>([
    ['an hour-long token', { exp: NOW + 3600, iat: NOW }, null],
    ['exactly the maximum', { exp: NOW + MAX, iat: NOW }, null],
    ['no iat, ending within the maximum', { exp: NOW + DAY }, null],
    ['a 31-day token on its first day', { exp: NOW + 31 * DAY, iat: NOW }, /further ahead than JWT_MAX_TTL/],
    ['a 10-year token on its last day', { exp: NOW + DAY, iat: NOW + DAY - 3650 * DAY }, /lifetime is longer than JWT_MAX_TTL/],
    ['exp: 1e20', { exp: 1e20 }, /further ahead/],
    ['exp: 1e20 with iat just before it', { exp: 1e20, iat: 1e20 - 60 }, /further ahead/],
    ['an infinite iat', { exp: NOW + 60, iat: -Infinity }, /lifetime/],
  ])('when the token is %s, then the lifetime check says %p', (_name, claims, problem) => {
    const found = lifetimeProblem(claims, NOW, MAX);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });

  it.each<[string, () => string]>([
    ['exp: 1e20', () => jwt.sign({ role: 'admin', exp: 1e20 }, SECRET, { algorithm: 'HS256' })],
    ['a 10-year token', () => signToken(SECRET, { role: 'admin', expiresInSeconds: 3650 * DAY })],
  ])('when verifying %s, then it is refused for its lifetime', (_name, token) => {
    expect(rejected(token())).toMatch(/JWT_MAX_TTL/);
  });

  it('when the maximum is an hour, then a two-hour token is refused and a 30-minute one passes', () => {
    expect(verifyToken(SECRET, signToken(SECRET, { role: 'admin', expiresInSeconds: 7200 }), Date.now(), 3600).ok).toBe(false);
    expect(verifyToken(SECRET, signToken(SECRET, { role: 'admin', expiresInSeconds: 1800 }), Date.now(), 3600).ok).toBe(true);
  });
});
