import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { verifyToken } from '../../src/http/tokens';
import { JWT_SECRET, startRuntime, type TestRuntime } from '../support/runtime';

// The page, its sign-in and session cookie, its Content-Security-Policy and its assets.

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startRuntime({}, { startWorker: false });
});
afterAll(() => rt.stop());

const PUBLIC = path.join(__dirname, '..', '..', 'src', 'inspector', 'public');
const cookieOf = (res: { headers: Record<string, unknown> }) => ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? [])[0] ?? '';
/** What the sign-in page's own script sends with a session change. */
const FROM_PAGE = { 'Sec-Fetch-Site': 'same-origin', 'X-Iaphook-Csrf': '1' };
const csp = (res: { headers: Record<string, unknown> }) => String(res.headers['content-security-policy']);

describe('signing in', () => {
  it('when the page is opened without a session, then it redirects to sign-in', async () => {
    const res = await rt.http.get('/inspector').expect(303);
    expect(res.headers.location).toBe('/inspector/signin');
  });

  it('when the page is opened with filters and without a session, then sign-in is told to come back to them', async () => {
    const res = await rt.http.get('/inspector?outcome=rejected&path=%2Fwebhooks').expect(303);
    expect(res.headers.location).toBe(`/inspector/signin?next=${encodeURIComponent('/inspector?outcome=rejected&path=%2Fwebhooks')}`);
  });

  it('when an admin token is posted, then an httpOnly, SameSite=Strict cookie holds it as long as the token lives', async () => {
    const token = rt.adminToken();
    const res = await rt.http.post('/inspector/session').set(FROM_PAGE).send({ token }).expect(204);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(new RegExp(`^iaphook_admin=${token};`));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
    expect(maxAge).toBeGreaterThan(3500);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  it('when the session cookie is sent, then the page and the API open', async () => {
    const cookie = `iaphook_admin=${rt.adminToken()}`;
    const page = await rt.http.get('/inspector').set('Cookie', cookie).expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<title>iaphook inspector</title>');
    await rt.http.get('/api/inspector/requests').set('Cookie', cookie).expect(200);
  });

  it.each<[string, number, unknown]>([
    ['a user token', 403, { token: 'user' }],
    ['a token signed with another secret', 401, { token: jwt.sign({ role: 'admin' }, 'x'.repeat(40), { expiresIn: 60 }) }],
    ['an expired token', 401, { token: jwt.sign({ role: 'admin', exp: Math.floor(Date.now() / 1000) - 5 }, JWT_SECRET) }],
    ['no token', 400, {}],
  ])('when %s is posted, then %i and no cookie', async (_name, status, body) => {
    const payload = (body as { token?: string }).token === 'user' ? { token: rt.userToken('u1') } : body;
    const res = await rt.http
      .post('/inspector/session')
      .set(FROM_PAGE)
      .send(payload as object)
      .expect(status);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('when signing out, then the cookie is cleared', async () => {
    const res = await rt.http.delete('/inspector/session').set(FROM_PAGE).expect(204);
    expect(cookieOf(res)).toMatch(/^iaphook_admin=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('when a user token sits in the cookie, then the page still asks to sign in', async () => {
    await rt.http
      .get('/inspector')
      .set('Cookie', `iaphook_admin=${rt.userToken('u1')}`)
      .expect(303);
  });
});

describe('what the page sends', () => {
  it.each([
    ['the sign-in page', '/inspector/signin'],
    ['an asset', '/inspector/assets/inspector.js'],
  ])('when %s is served, then a strict Content-Security-Policy comes with it', async (_name, url) => {
    const res = await rt.http.get(url).expect(200);
    const policy = csp(res);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    // Scripts and styles: exactly the inspector's files, never 'self' (which would let in /bins/<id>).
    const directive = (name: string) =>
      (
        policy
          .split(';')
          .map((d) => d.trim())
          .find((d) => d.startsWith(`${name} `)) ?? ''
      )
        .split(' ')
        .slice(1);
    const origin = new URL((res as unknown as { request: { url: string } }).request.url).origin;
    const scripts = fs.readdirSync(PUBLIC).filter((f) => f.endsWith('.js'));
    expect(directive('script-src').sort()).toEqual(scripts.map((f) => `${origin}/inspector/assets/${f}`).sort());
    expect(directive('style-src')).toEqual([`${origin}/inspector/assets/inspector.css`]);
  });

  it('when PUBLIC_URL is set, then its origin is allowed beside the one the browser used', async () => {
    const other = await startRuntime({ PUBLIC_URL: 'https://iaphook.example.com/base/' }, { startWorker: false });
    try {
      const policy = csp(await other.http.get('/inspector/signin').expect(200));
      expect(policy).toContain('https://iaphook.example.com/inspector/assets/signin.js');
      expect(policy).toMatch(/http:\/\/127\.0\.0\.1:\d+\/inspector\/assets\/signin\.js/);
    } finally {
      await other.stop();
    }
  });

  it('when the Host header is malformed, then no script source is allowed at all', async () => {
    const res = await rt.http.get('/inspector/signin').set('Host', 'a b;script-src *').expect(200);
    expect(csp(res)).toContain("script-src 'none'");
    expect(csp(res)).not.toContain('script-src *');
  });

  it.each([
    ['inspector.js', 'text/javascript; charset=utf-8'],
    ['inspector-render.js', 'text/javascript; charset=utf-8'],
    ['inspector-detail.js', 'text/javascript; charset=utf-8'],
    ['signin.js', 'text/javascript; charset=utf-8'],
    ['signin-link.js', 'text/javascript; charset=utf-8'],
    ['inspector.css', 'text/css; charset=utf-8'],
  ])('when the asset %s is asked for, then it comes as %s', async (name, type) => {
    const res = await rt.http.get(`/inspector/assets/${name}`).expect(200);
    expect(res.headers['content-type']).toBe(type);
  });

  it.each(['nope.js', '..%2Fpage-routes.ts'])('when an unknown asset %s is asked for, then 404', async (name) => {
    await rt.http.get(`/inspector/assets/${name}`).expect(404);
  });

  // The CSP forbids inline code, and the page must never turn data into markup: checked on the files.
  const files = fs.readdirSync(PUBLIC);
  it.each(files.filter((f) => f.endsWith('.html')))('when %s is read, then it has no inline script, style or handler', (name) => {
    const html = fs.readFileSync(path.join(PUBLIC, name), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it.each(files.filter((f) => f.endsWith('.js')))('when %s is read, then it never builds markup from strings', (name) => {
    const js = fs.readFileSync(path.join(PUBLIC, name), 'utf8');
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});

describe('npm run token -- --link', () => {
  it('when a sign-in link is asked for, then the token rides in the fragment of the sign-in URL and lasts 12 hours', async () => {
    const root = path.join(__dirname, '..', '..');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/token.ts', '--role', 'admin', '--link'],
      {
        cwd: root,
        env: { ...process.env, JWT_SECRET, PORT: '4321', HOST: '127.0.0.1', PUBLIC_URL: '', ...rt.database.env, NODE_ENV: 'test' },
        timeout: 20_000,
      },
    );
    const match = /^http:\/\/127\.0\.0\.1:4321\/inspector\/signin#token=(\S+)\n$/.exec(stdout);
    expect(match).not.toBeNull();
    const result = verifyToken(JWT_SECRET, match![1], Date.now());
    expect(result).toEqual({ ok: true, principal: { role: 'admin', sub: null } });
    const { exp, iat } = jwt.decode(match![1]) as { exp: number; iat: number };
    expect(exp - iat).toBe(12 * 3600);
  }, 30_000);

  it('when a token longer than JWT_MAX_TTL is asked for, then the command refuses to mint it', async () => {
    const root = path.join(__dirname, '..', '..');
    const run = promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/token.ts', '--role', 'admin', '--expires', '3650d'],
      {
        cwd: root,
        env: { ...process.env, JWT_SECRET, JWT_MAX_TTL: '30d', ...rt.database.env, NODE_ENV: 'test' },
        timeout: 20_000,
      },
    );
    await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('longer than JWT_MAX_TTL') });
  }, 30_000);
});
