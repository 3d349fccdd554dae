import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';

// GET /reconciliation: the server-rendered report page, behind the inspector's admin cookie.

let rt: TestRuntime;
const XSS = '<script>alert(1)</script>';

beforeAll(async () => {
  rt = await startRuntime();
  await rt.post('/webhooks/nachocode', nacho.purchaseIos()).expect(200);
  await rt.post('/webhooks/nachocode', nacho.purchaseIos({ iapLogId: 6001, productId: XSS })).expect(200);
  await rt.post('/webhooks/nachocode', nacho.purchaseAndroid()).expect(200);
  await rt.post('/webhooks/nachocode', nacho.refundAndroid({ refundQuantity: 2 })).expect(200);
  // A purchase that never arrived with the right key (a refused copy of one that did would not count).
  await rt.post('/webhooks/nachocode', nacho.purchaseIos({ iapLogId: 7777 }), 'wrong-key-wrong-key-wrong-key').expect(401);
  await rt.worker.whenIdle();
});
afterAll(() => rt.stop());

const page = (cookie?: string, query = '') => {
  const req = rt.http.get(`/reconciliation${query}`);
  return cookie === undefined ? req : req.set('Cookie', `iaphook_admin=${cookie}`);
};

describe('the reconciliation page', () => {
  it('when there is no session, then it answers 401 with a link to sign in that comes back here', async () => {
    const res = await page(undefined, '?environment=sandbox').expect(401);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('href="/inspector/signin?next=%2Freconciliation%3Fenvironment%3Dsandbox"');
  });

  it('when the session token is invalid or not an admin, then it answers 401 or 403 and shows no data', async () => {
    const bad = await page('not-a-jwt').expect(401);
    expect(bad.text).not.toContain('com.example.app');
    await page(rt.userToken('user-7f3a')).expect(403);
  });

  it('when signed in, then it shows totals, anomalies with inspector links, and a chart', async () => {
    const res = await page(rt.adminToken()).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('<svg class="chart"');
    expect(res.text).toContain('com.example.app.premium_unlock');
    expect(res.text).toMatch(/id="over_refund">over_refund \(1\)/);
    expect(res.text).toMatch(/id="duplicate_transaction_id">duplicate_transaction_id \(1\)/);
    expect(res.text).toMatch(/id="rejected_request">rejected_request \(1\)/);
    expect(res.text).toMatch(/href="\/inspector#event=evt_[0-9A-Z]{26}"/);
    expect(res.text).toMatch(/href="\/inspector#request=req_[0-9A-Z]{26}"/);
  });

  it('when a webhook carried markup, then the page shows it as text', async () => {
    const res = await page(rt.adminToken()).expect(200);
    expect(res.text).not.toContain(XSS);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('when served, then the CSP allows only the page’s own script by exact URL and same-origin styles', async () => {
    const res = await page(rt.adminToken()).expect(200);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toMatch(/script-src http:\/\/127\.0\.0\.1(:\d+)?\/reconciliation\/acknowledge\.js;/);
    expect(csp).not.toContain('unsafe-inline');
    // One script element, by URL: no inline code, no inline style, no event attributes.
    expect(res.text.match(/<script/g)).toEqual(['<script']);
    expect(res.text).toContain('<script src="/reconciliation/acknowledge.js" defer></script>');
    expect(res.text).not.toMatch(/<script>|\sstyle="|\son[a-z]+="/i);
    const js = await rt.http.get('/reconciliation/acknowledge.js').expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text).toContain("'X-Iaphook-Csrf': '1'");
    const css = await rt.http.get('/reconciliation/style.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).toContain('prefers-color-scheme: dark');
  });

  it('when a bearer admin token is sent instead of the cookie, then the page is served too', async () => {
    await rt.http.get('/reconciliation').set('Authorization', `Bearer ${rt.adminToken()}`).expect(200);
  });

  it.each<[string, string, RegExp]>([
    ['from=garbage', '?from=garbage', /<code>from<\/code>: expected a date \(2026-03-01\) or an ISO date-time/],
    ['a month 13', '?to=2026-13-01', /<code>to<\/code>/],
    ['an unknown environment', '?environment=staging', /<code>environment<\/code>/],
    ['from after to', '?from=2026-03-10&to=2026-03-01', /from is after to/],
  ])('when the query has %s, then the page answers the API’s 400 with its message, not a report', async (_name, query, shown) => {
    const res = await page(rt.adminToken(), query).expect(400);
    expect(res.text).toMatch(shown);
    expect(res.text).not.toContain('all time,');
    const api = await rt.http.get(`/api/reconciliation${query}`).set('Authorization', `Bearer ${rt.adminToken()}`).expect(400);
    expect(res.text).toContain(api.body.error.message.replace(/"/g, '&quot;'));
  });

  it('when the form leaves the dates empty, then the page shows all time', async () => {
    const res = await page(rt.adminToken(), '?environment=production&from=&to=').expect(200);
    expect(res.text).toContain('production, all time');
  });

  it('when a range is chosen, then the form keeps it and totals follow it', async () => {
    const res = await page(rt.adminToken(), '?environment=production&from=2026-03-05&to=2026-03-31').expect(200);
    expect(res.text).toContain('value="2026-03-05"');
    expect(res.text).toContain('2026-03-05 to 2026-03-31 (UTC)');
    expect(res.text).not.toContain('com.example.app.coins100');
  });

  it('when an anomaly is open, then it has an acknowledge form; once acknowledged, it shows only with include=acknowledged', async () => {
    const report = (await rt.http.get('/api/reconciliation').set('Authorization', `Bearer ${rt.adminToken()}`).expect(200)).body;
    const over = report.anomalies.find((a: { code: string }) => a.code === 'over_refund');
    const action = `/api/reconciliation/anomalies/${encodeURIComponent(over.id)}/acknowledge`;
    const before = await page(rt.adminToken()).expect(200);
    expect(before.text).toContain(`<form class="ack" method="post" action="${action}">`);
    expect(before.text).toContain('<select name="include"><option value="open" selected>open</option>');
    await rt.http.post(action).set('Authorization', `Bearer ${rt.adminToken()}`).send({ reason: 'refund of <b>two</b> checked with the store' }).expect(200);

    const open = await page(rt.adminToken()).expect(200);
    expect(open.text).not.toContain(action);
    expect(open.text).not.toMatch(/id="over_refund"/);
    expect(open.text).toContain(
      '1 acknowledged not shown. <a href="/reconciliation?environment=production&amp;include=acknowledged">Show acknowledged ones too</a>',
    );

    const all = await page(rt.adminToken(), '?include=acknowledged').expect(200);
    expect(all.text).toMatch(/id="over_refund">over_refund \(0, 1 acknowledged\)/);
    expect(all.text).toContain('<li class="acknowledged">');
    expect(all.text).toContain('Acknowledged by <code>admin</code>');
    expect(all.text).toContain('refund of &lt;b&gt;two&lt;/b&gt; checked with the store');
    expect(all.text).toContain('<option value="acknowledged" selected>open and acknowledged</option>');
    expect(all.text).not.toContain(action);
  });
});
