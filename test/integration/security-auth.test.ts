import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { nacho } from '../support/fixtures';
import { JWT_SECRET, startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// Attacks on the JWT checks, through the HTTP entry point: forged algorithms, wrong secrets,
// missing or past expiry, role escalation, and one app user reading another's entitlements.

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const hs256 = (payload: object, secret = JWT_SECRET, options: jwt.SignOptions = {}) => jwt.sign(payload, secret, { algorithm: 'HS256', ...options });

/** A token whose header says `alg`, signed (or not) as the attacker likes. */
function forged(header: object, payload: object, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/** HMAC-SHA256 over any header and payload with the real secret: what a library would refuse to sign. */
function hmacSigned(header: object, payload: object): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${crypto.createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

describe('JWT attacks on the admin and app-user APIs', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await startRuntime();
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos({ userId: 'alice', iapLogId: 1, data: { transactionId: 'tx-1' } })).expect(200);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseAndroid({ userId: 'bob', iapLogId: 2, data: { orderId: 'GPA.2' } })).expect(200);
    await rt.worker.whenIdle();
  });
  afterAll(() => rt.stop());

  const admin = { role: 'admin' };
  const validAdmin = () => hs256({ ...admin, exp: inAnHour() });
  const signedThenEdited = () => {
    const [header, , signature] = hs256({ role: 'user', sub: 'alice', exp: inAnHour() }).split('.');
    return `${header}.${b64url({ role: 'admin', sub: 'alice', exp: inAnHour() })}.${signature}`;
  };

  it.each<[string, () => string]>([
    ['alg none without a signature', () => forged({ alg: 'none', typ: 'JWT' }, { ...admin, exp: inAnHour() })],
    [
      'alg None with a signature copied from a real token',
      () => forged({ alg: 'None', typ: 'JWT' }, { ...admin, exp: inAnHour() }, validAdmin().split('.')[2]),
    ],
    ['a wrong secret', () => hs256({ ...admin, exp: inAnHour() }, 'another-secret-that-is-long-enough-000000')],
    ['an expired token', () => hs256({ ...admin, exp: Math.floor(Date.now() / 1000) - 10 })],
    ['no exp claim', () => hs256(admin)],
    ['an exp that is a string', () => hmacSigned({ alg: 'HS256', typ: 'JWT' }, { ...admin, exp: String(inAnHour()) })],
    ['HS512 with the right secret', () => jwt.sign({ ...admin, exp: inAnHour() }, JWT_SECRET, { algorithm: 'HS512' })],
    ['an RS256 header over an HMAC signature (key confusion)', () => hmacSigned({ alg: 'RS256', typ: 'JWT' }, { ...admin, exp: inAnHour() })],
    ['a user token with its payload edited to admin', signedThenEdited],
    ['a role that does not exist', () => hs256({ role: 'superadmin', exp: inAnHour() })],
    ['a role given as a list', () => hs256({ role: ['admin'], exp: inAnHour() })],
    ['the webhook key instead of a JWT', () => WEBHOOK_KEY],
    ['garbage', () => 'a.b.c'],
  ])('when the admin API gets %s, then the answer is 401', async (_name, token) => {
    const res = await rt.http.get('/api/events').set('Authorization', `Bearer ${token()}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.body).not.toHaveProperty('data');
  });

  it.each<[string, (r: TestRuntime) => Record<string, string>]>([
    ['no token at all', () => ({})],
    ['a token in the query string only', () => ({})],
    ['a forged token in the admin session cookie', () => ({ Cookie: `iaphook_admin=${forged({ alg: 'none' }, { ...admin, exp: inAnHour() })}` })],
  ])('when the admin API gets %s, then the answer is 401', async (_name, headers) => {
    const res = await rt.http.get(`/api/events?token=${validAdmin()}`).set(headers(rt));
    expect(res.status).toBe(401);
  });

  it.each<[string, string]>([
    ['a user token', 'user'],
    ['a user token that also claims admin: true', 'user+admin'],
  ])('when the admin API gets %s, then the answer is 403 and no data', async (_name, kind) => {
    const token = kind === 'user' ? rt.userToken('alice') : hs256({ role: 'user', sub: 'alice', admin: true, exp: inAnHour() });
    for (const path of ['/api/events', '/api/users/bob/entitlements', '/api/projects']) {
      const res = await rt.http.get(path).set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
  });

  it('when an app user reads entitlements, then only their own come back, whatever they ask for', async () => {
    const alice = rt.userToken('alice');
    const own = await rt.http.get('/v1/me/entitlements').set('Authorization', `Bearer ${alice}`).expect(200);
    expect(own.body.userId).toBe('alice');
    expect(own.body.entitlements).toHaveLength(1);
    // There is no way to name another user: an extra parameter is refused, other paths do not exist.
    await rt.http.get('/v1/me/entitlements?userId=bob').set('Authorization', `Bearer ${alice}`).expect(400);
    await rt.http.get('/v1/users/bob/entitlements').set('Authorization', `Bearer ${alice}`).expect(404);
    const bob = await rt.http
      .get('/v1/me/entitlements')
      .set('Authorization', `Bearer ${rt.userToken('bob')}`)
      .expect(200);
    expect(bob.body.userId).toBe('bob');
    expect(bob.body.entitlements.map((e: { productId: string }) => e.productId)).not.toEqual(
      own.body.entitlements.map((e: { productId: string }) => e.productId),
    );
  });

  it.each<[string, () => string]>([
    ['a user token without sub', () => hs256({ role: 'user', exp: inAnHour() })],
    ['an admin token', () => rt.adminToken()],
  ])('when /v1/me gets %s, then it is refused', async (_name, token) => {
    const res = await rt.http.get('/v1/me/entitlements').set('Authorization', `Bearer ${token()}`);
    expect([401, 403]).toContain(res.status);
  });

  it('when a valid admin token is used, then the same routes answer (the checks above are not blanket refusals)', async () => {
    await rt.http.get('/api/events').set('Authorization', `Bearer ${validAdmin()}`).expect(200);
    await rt.http.get('/api/users/bob/entitlements').set('Authorization', `Bearer ${validAdmin()}`).expect(200);
  });
});
