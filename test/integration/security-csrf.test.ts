import request from 'supertest';
import { nacho } from '../support/fixtures';
import { listen, sql, startRuntime, type TestRuntime } from '../support/runtime';

// Same-site request forgery: SameSite=Strict keeps the session cookie from other sites, but not
// from another port of this host. A change carried by the cookie must come from this origin with
// the header only the pages' own scripts send; Bearer calls are unchanged. (The browser test
// test/e2e/security-browser.test.ts runs the same attacks from a real page.)

const ATTACKER = 'http://127.0.0.1:38200';
let rt: TestRuntime;
let server: Awaited<ReturnType<typeof listen>>;
let http: ReturnType<typeof request>;
let cookie: string;
const count = async (table: 'bins' | 'events' | 'ledger_entries' | 'raw_requests') =>
  (await rt.rows<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.raw(table)}`))[0].n;

beforeAll(async () => {
  rt = await startRuntime({ PUBLIC_URL: 'https://iaphook.example.com' });
  server = await listen(rt.app);
  http = request(server.url);
  cookie = `iaphook_admin=${rt.adminToken()}`;
});
afterAll(async () => {
  await server.close();
  await rt.stop();
});

describe('a change carried by the session cookie', () => {
  it.each<[string, () => Record<string, string>]>([
    ['nothing but the cookie (an auto-submitted form from an old browser)', () => ({})],
    ['Sec-Fetch-Site: same-site (a page on another port)', () => ({ 'Sec-Fetch-Site': 'same-site', Origin: ATTACKER })],
    ['another port as Origin, with the header', () => ({ Origin: ATTACKER, 'X-Iaphook-Csrf': '1' })],
    ['this origin but no CSRF header (a form on this origin)', () => ({ Origin: server.url })],
    ['Sec-Fetch-Site: same-origin but no CSRF header', () => ({ 'Sec-Fetch-Site': 'same-origin' })],
  ])('when it comes with %s, then 403 and no bin is made', async (_name, headers) => {
    const before = await count('bins');
    const res = await http.post('/api/bins').set('Cookie', cookie).set(headers()).set('Content-Type', 'text/plain').send('{}');
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('session cookie') });
    expect(await count('bins')).toBe(before);
  });

  it.each<[string, () => Record<string, string>]>([
    ['Sec-Fetch-Site: same-origin and the header', () => ({ 'Sec-Fetch-Site': 'same-origin', 'X-Iaphook-Csrf': '1' })],
    ['this origin as Origin and the header', () => ({ Origin: server.url, 'X-Iaphook-Csrf': '1' })],
    ["PUBLIC_URL's origin and the header", () => ({ Origin: 'https://iaphook.example.com', 'X-Iaphook-Csrf': '1' })],
  ])('when it comes with %s, then it is done', async (_name, headers) => {
    await http.post('/api/bins').set('Cookie', cookie).set(headers()).send({}).expect(201);
  });

  it('when a Bearer token carries it, then nothing more is asked (scripts and tools)', async () => {
    await http.post('/api/bins').set('Authorization', `Bearer ${rt.adminToken()}`).send({}).expect(201);
    await http.post('/api/bins').set('Authorization', `Bearer ${rt.adminToken()}`).set('Origin', ATTACKER).send({}).expect(201);
  });

  it('when a page on another port replays a keyless purchase with the confirmation in the query, then nothing reaches the ledger', async () => {
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos({ userId: 'forged-user' }), null).expect(401);
    const [{ id }] = await rt.rows<{ id: string }>(sql`SELECT id FROM raw_requests ORDER BY id DESC LIMIT 1`);
    const before = await count('raw_requests');
    const form = { 'Sec-Fetch-Site': 'same-site', Origin: ATTACKER, 'Content-Type': 'application/x-www-form-urlencoded' };
    await http.post(`/api/inspector/requests/${id}/replay?acceptUnverified=true`).set('Cookie', cookie).set(form).send('x=1').expect(403);
    // Even from this origin the confirmation in the query string is refused.
    const fromPage = { 'Sec-Fetch-Site': 'same-origin', 'X-Iaphook-Csrf': '1' };
    await http.post(`/api/inspector/requests/${id}/replay?acceptUnverified=true`).set('Cookie', cookie).set(fromPage).expect(400);
    await rt.worker.whenIdle();
    expect(await count('raw_requests')).toBe(before);
    expect(await count('events')).toBe(0);
    expect(await count('ledger_entries')).toBe(0);
  });

  it('when sign-in or sign-out is posted from another port, then 403 and no cookie changes', async () => {
    const signIn = await http.post('/inspector/session').set({ 'Sec-Fetch-Site': 'same-site', Origin: ATTACKER }).send({ token: rt.adminToken() }).expect(403);
    expect(signIn.headers['set-cookie']).toBeUndefined();
    const signOut = await http.delete('/inspector/session').set('Cookie', cookie).set({ Origin: ATTACKER }).expect(403);
    expect(signOut.headers['set-cookie']).toBeUndefined();
  });

  it('when the cookie only reads, then it needs nothing more (another origin cannot read the answer)', async () => {
    await http.get('/api/bins').set('Cookie', cookie).expect(200);
  });
});
