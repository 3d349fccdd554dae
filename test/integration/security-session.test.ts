import jwt from 'jsonwebtoken';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { JWT_SECRET, startRuntime, type TestRuntime } from '../support/runtime';

// Tokens that end: a lifetime beyond JWT_MAX_TTL is refused wherever a token is accepted, and
// signing out ends the session on the server, not only in the browser.

const FROM_PAGE = { 'Sec-Fetch-Site': 'same-origin', 'X-Iaphook-Csrf': '1' };
const DAY = 86_400;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const adminFor = (seconds: number) => jwt.sign({ role: 'admin' }, JWT_SECRET, { algorithm: 'HS256', expiresIn: seconds });

let rt: TestRuntime;
/** The database a restart test made itself (its runtimes do not drop it). */
let restarted: TestDatabase | undefined;
afterEach(async () => {
  await rt.stop();
  await restarted?.drop();
  restarted = undefined;
});

describe('JWT_MAX_TTL', () => {
  it.each<[string, () => string]>([
    ['exp: 1e20', () => jwt.sign({ role: 'admin', exp: 1e20 }, JWT_SECRET, { algorithm: 'HS256' })],
    ['a 10-year token', () => adminFor(3650 * DAY)],
    ['a 31-day token', () => adminFor(31 * DAY)],
    [
      'a token issued long ago that ends tomorrow',
      () => jwt.sign({ role: 'admin', iat: nowSeconds() - 400 * DAY, exp: nowSeconds() + DAY }, JWT_SECRET, { algorithm: 'HS256' }),
    ],
  ])('when %s is used, then the API and the pages refuse it with 401, never 500', async (_name, make) => {
    rt = await startRuntime({}, { startWorker: false });
    const token = make();
    const api = await rt.http.get('/api/events').set('Authorization', `Bearer ${token}`).expect(401);
    expect(api.body.error.message).toMatch(/JWT_MAX_TTL/);
    const signIn = await rt.http.post('/inspector/session').set(FROM_PAGE).send({ token }).expect(401);
    expect(signIn.headers['set-cookie']).toBeUndefined();
    await rt.http.get('/api/events').set('Cookie', `iaphook_admin=${token}`).expect(401);
    await rt.http.get('/inspector').set('Cookie', `iaphook_admin=${token}`).expect(303);
    await rt.http.get('/reconciliation').set('Cookie', `iaphook_admin=${token}`).expect(401);
  });

  it('when JWT_MAX_TTL is 1h, then a 2-hour token is refused and the cookie of a 30-minute one lasts 30 minutes', async () => {
    rt = await startRuntime({ JWT_MAX_TTL: '1h' }, { startWorker: false });
    await rt.http
      .get('/api/events')
      .set('Authorization', `Bearer ${adminFor(7200)}`)
      .expect(401);
    const res = await rt.http
      .post('/inspector/session')
      .set(FROM_PAGE)
      .send({ token: adminFor(1800) })
      .expect(204);
    const maxAge = Number(/Max-Age=(\d+)/.exec(String(res.headers['set-cookie']))![1]);
    expect(maxAge).toBeGreaterThan(1790);
    expect(maxAge).toBeLessThanOrEqual(1800);
  });

  it('when a 30-day token (the default maximum) is used, then it works', async () => {
    rt = await startRuntime({}, { startWorker: false });
    await rt.http
      .get('/api/events')
      .set('Authorization', `Bearer ${adminFor(30 * DAY)}`)
      .expect(200);
  });
});

describe('signing out', () => {
  it('when the inspector signs out, then the same cookie and the same token no longer work anywhere, and other tokens still do', async () => {
    rt = await startRuntime({}, { startWorker: false });
    const token = adminFor(3600);
    const cookie = `iaphook_admin=${token}`;
    await rt.http.post('/inspector/session').set(FROM_PAGE).send({ token }).expect(204);
    await rt.http.get('/api/bins').set('Cookie', cookie).expect(200);
    await rt.http.get('/inspector').set('Cookie', cookie).expect(200);

    await rt.http.delete('/inspector/session').set(FROM_PAGE).set('Cookie', cookie).expect(204);

    const api = await rt.http.get('/api/bins').set('Cookie', cookie).expect(401);
    expect(api.body.error.message).toBe('the token was signed out');
    await rt.http.get('/api/bins').set('Authorization', `Bearer ${token}`).expect(401);
    await rt.http.get('/inspector').set('Cookie', cookie).expect(303);
    await rt.http.get('/reconciliation').set('Cookie', cookie).expect(401);
    await rt.http.post('/inspector/session').set(FROM_PAGE).send({ token }).expect(401);
    await rt.http
      .get('/api/bins')
      .set('Authorization', `Bearer ${adminFor(3600 + 1)}`)
      .expect(200);
  });

  it('when the server restarts, then a signed-out token stays refused', async () => {
    const database = (restarted = await createTestDatabase());
    rt = await startRuntime({}, { startWorker: false, database });
    const token = adminFor(3600);
    await rt.http.delete('/inspector/session').set(FROM_PAGE).set('Cookie', `iaphook_admin=${token}`).expect(204);
    await rt.close(5000);
    rt = await startRuntime({}, { startWorker: false, database });
    await rt.http.get('/api/events').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('when signing out without a session or with a broken cookie, then the cookie is still cleared', async () => {
    rt = await startRuntime({}, { startWorker: false });
    await rt.http.delete('/inspector/session').set(FROM_PAGE).expect(204);
    const res = await rt.http.delete('/inspector/session').set(FROM_PAGE).set('Cookie', 'iaphook_admin=not-a-token').expect(204);
    expect(String(res.headers['set-cookie'])).toMatch(/^iaphook_admin=;/);
  });
});
