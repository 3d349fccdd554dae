import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { Spool } from '../../src/spool/spool';
import { tempDir } from '../support/db';
import { nacho } from '../support/fixtures';
import { listen, sql, startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// Secrets at rest and in answers: files only the owner can read, secret-looking headers and query
// parameters masked by name (a bin may opt out), and the session cookie Secure behind TLS.
// (The SQLite file's own modes are checked in security-secrets.sqlite.test.ts.)

const SECRET = 'sk_live_0123456789abcdefghijWXYZ';
const FROM_PAGE = { 'Sec-Fetch-Site': 'same-origin', 'X-Iaphook-Csrf': '1' };
const mode = (file: string) => fs.statSync(file).mode & 0o777;

let rt: TestRuntime;
afterEach(async () => {
  await rt?.stop();
});
const admin = () => `Bearer ${rt.adminToken()}`;

describe('files at rest', () => {
  it('when a webhook is spooled, then the spool folder is 0700 and its segment 0600', () => {
    const dir = path.join(tempDir(), 'spool');
    const spool = new Spool(dir);
    const raw = {
      id: 'req_1',
      receivedAt: 1,
      method: 'POST',
      path: '/webhooks/nachocode',
      query: null,
      headers: {},
      body: null,
      bodySize: 0,
      bodySha256: null,
      contentType: null,
      remoteAddr: null,
      requestId: null,
      keyFingerprint: null,
      source: 'webhook' as const,
    };
    spool.append({
      kind: 'rejected',
      spooledAt: 1,
      reason: 'test',
      durationMs: 1,
      raw,
      answer: { status: 401, body: {}, outcome: 'rejected', reason: 'unauthorized', eventId: null },
    });
    spool.close();
    expect(mode(dir)).toBe(0o700);
    for (const name of fs.readdirSync(dir)) expect(mode(path.join(dir, name))).toBe(0o600);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    rt = undefined as unknown as TestRuntime;
  });
});

describe('secrets in captured requests', () => {
  const SENDER_HEADERS = ['x-auth-token', 'api-key', 'x-hub-signature-256', 'x-shopify-hmac-sha256', 'stripe-signature', 'x-webhook-secret'];

  it('when a webhook carries secrets in headers and the query string, then the list, detail, cURL and exports show none of them', async () => {
    rt = await startRuntime();
    const req = rt.http
      .post(`/webhooks/nachocode/purchase?api_key=${SECRET}&page=1`)
      .set('Authorization', `Bearer ${WEBHOOK_KEY}`)
      .set('Content-Type', 'application/json');
    for (const name of SENDER_HEADERS) req.set(name, SECRET);
    await req.send(JSON.stringify(nacho.purchaseIos())).expect(200);

    const list = await rt.http.get('/api/inspector/requests').set('Authorization', admin()).expect(200);
    const detail = await rt.http.get(`/api/inspector/requests/${list.body.data[0].id}`).set('Authorization', admin()).expect(200);
    expect(detail.body.query).toBe('api_key=****WXYZ&page=1');
    for (const name of SENDER_HEADERS) expect([name, detail.body.headers[name]]).toEqual([name, '****WXYZ']);
    const csv = await rt.http.get('/api/inspector/requests/export?format=csv').set('Authorization', admin()).expect(200);
    const json = await rt.http.get('/api/inspector/requests/export?format=json').set('Authorization', admin()).expect(200);
    for (const text of [JSON.stringify(list.body), JSON.stringify(detail.body), csv.text, json.text]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(0, 12));
    }
  });

  it('when a bin is made with maskSecrets: false, then its captures keep signatures as sent (to check them) but never cookies', async () => {
    rt = await startRuntime();
    const server = await listen(rt.app);
    try {
      const clear = await rt.http.post('/api/bins').set('Authorization', admin()).send({ maskSecrets: false }).expect(201);
      const masked = await rt.http.post('/api/bins').set('Authorization', admin()).send({}).expect(201);
      expect([clear.body.maskSecrets, masked.body.maskSecrets]).toEqual([false, true]);
      const headers = { 'x-hub-signature-256': `sha256=${SECRET}`, cookie: `iaphook_admin=${rt.adminToken()}` };
      for (const bin of [clear.body, masked.body])
        await (await request(`${server.url}/bins/${bin.id}?token=${SECRET}`, { method: 'POST', headers, body: 'x' })).body.dump();
      const captured = async (binId: string) =>
        (await rt.rows<{ headers: string; query: string }>(sql`SELECT headers, query FROM raw_requests WHERE bin_id = ${binId}`))[0];
      const kept = await captured(clear.body.id);
      expect(JSON.parse(kept.headers)['x-hub-signature-256']).toBe(`sha256=${SECRET}`);
      expect(JSON.parse(kept.headers).cookie).toMatch(/^\*{4}/);
      expect(kept.query).toBe(`token=${SECRET}`);
      const hidden = await captured(masked.body.id);
      expect(JSON.parse(hidden.headers)['x-hub-signature-256']).toBe('****WXYZ');
      expect(hidden.query).toBe('token=****WXYZ');
    } finally {
      await server.close();
    }
  });
});

describe('the session cookie behind a TLS proxy', () => {
  const signIn = (extra: Record<string, string>) => rt.http.post('/inspector/session').set(FROM_PAGE).set(extra).send({ token: rt.adminToken() }).expect(204);
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(([] as string[]).concat(res.headers['set-cookie'] as string[])[0]);

  it('when TRUST_PROXY names the proxy and it says the request was HTTPS, then the cookie is Secure', async () => {
    rt = await startRuntime({ TRUST_PROXY: 'loopback' });
    expect(cookieOf(await signIn({ 'X-Forwarded-Proto': 'https' }))).toMatch(/; Secure/);
    expect(cookieOf(await signIn({}))).not.toMatch(/; Secure/);
  });

  it('when TRUST_PROXY is not set, then X-Forwarded-Proto is not believed', async () => {
    rt = await startRuntime();
    expect(cookieOf(await signIn({ 'X-Forwarded-Proto': 'https' }))).not.toMatch(/; Secure/);
  });

  it("when TRUST_PROXY is set, then a keyless sender's quota follows its X-Forwarded-For address, not the proxy's", async () => {
    rt = await startRuntime({ TRUST_PROXY: '1', RAW_UNVERIFIED_PER_ADDRESS: '2' });
    for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.2']) {
      await rt.http.post('/webhooks/nachocode/purchase').set('X-Forwarded-For', client).send(nacho.purchaseIos()).expect(401);
    }
    const addresses = await rt.rows<{ a: string }>(sql`SELECT remote_addr AS a FROM raw_requests ORDER BY id`);
    expect(addresses.map((r) => r.a)).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2']);
  });
});
