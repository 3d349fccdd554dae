import { crossOriginProblem, type OriginFacts } from '../../src/http/same-origin';

// The decision for a request carried by the session cookie: from this origin, with the header a
// form cannot send, or refused. Another port of the same host is another origin.

const OWN = ['http://127.0.0.1:38111', 'https://iaphook.example.com'];
const facts = (overrides: Partial<OriginFacts>): OriginFacts => ({
  method: 'POST',
  fetchSite: undefined,
  origin: undefined,
  csrfHeader: '1',
  ownOrigins: OWN,
  ...overrides,
});

describe('crossOriginProblem', () => {
  it.each<[string, Partial<OriginFacts>]>([
    ['Sec-Fetch-Site: same-origin', { fetchSite: 'same-origin' }],
    ['the Origin the request was sent to (no Sec-Fetch-Site)', { origin: 'http://127.0.0.1:38111' }],
    ["PUBLIC_URL's origin", { origin: 'https://iaphook.example.com' }],
    ['a DELETE from this origin', { method: 'DELETE', fetchSite: 'same-origin' }],
    ['a GET from anywhere (reads change nothing)', { method: 'GET', fetchSite: 'same-site', csrfHeader: undefined }],
    ['a HEAD without anything', { method: 'HEAD', csrfHeader: undefined }],
  ])('when a cookie request comes with %s, then it goes on', (_name, overrides) => {
    expect(crossOriginProblem(facts(overrides))).toBeNull();
  });

  it.each<[string, Partial<OriginFacts>, RegExp]>([
    ['Sec-Fetch-Site: same-site (another port of this host)', { fetchSite: 'same-site' }, /Sec-Fetch-Site: same-site/],
    ['Sec-Fetch-Site: cross-site', { fetchSite: 'cross-site' }, /cross-site/],
    ['Sec-Fetch-Site: none', { fetchSite: 'none' }, /own pages/],
    ['Sec-Fetch-Site: same-site with our Origin written in', { fetchSite: 'same-site', origin: 'http://127.0.0.1:38111' }, /same-site/],
    ['the Origin of another port', { origin: 'http://127.0.0.1:38200' }, /Origin: http:\/\/127\.0\.0\.1:38200/],
    ['Origin: null (a sandboxed or file page)', { origin: 'null' }, /Origin: null/],
    ['neither Sec-Fetch-Site nor Origin', {}, /no Origin/],
    ['same-origin without the CSRF header (a form)', { fetchSite: 'same-origin', csrfHeader: undefined }, /x-iaphook-csrf: 1/],
    ['same-origin with another header value', { fetchSite: 'same-origin', csrfHeader: 'yes' }, /x-iaphook-csrf: 1/],
    ['a PUT with our Origin but no header', { method: 'PUT', origin: 'http://127.0.0.1:38111', csrfHeader: undefined }, /x-iaphook-csrf/],
  ])('when a cookie request comes with %s, then it is refused', (_name, overrides, why) => {
    expect(crossOriginProblem(facts(overrides))).toMatch(why);
  });
});
