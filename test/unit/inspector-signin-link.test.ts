import path from 'node:path';

// The sign-in page's `next` check and the fragment it carries. The file is plain browser script
// (no build step for the page), so it is loaded with require rather than imported with types.

interface SigninLink {
  safeNext(next: string | null, origin: string): string;
  carriedFragment(hash: string): string;
  signinUrl(loc: { pathname: string; search: string; hash: string }): string;
  afterSignin(loc: { search: string; hash: string; origin: string }): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the page's own script, loaded as the browser gets it
const link = require(path.join(__dirname, '..', '..', 'src', 'inspector', 'public', 'signin-link.js')) as SigninLink;

const ORIGIN = 'http://127.0.0.1:3000';

describe('safeNext', () => {
  it.each([
    ['/inspector', '/inspector'],
    ['/inspector?outcome=rejected&path=%2Fwebhooks', '/inspector?outcome=rejected&path=%2Fwebhooks'],
    ['/reconciliation?environment=production&from=2026-03-01', '/reconciliation?environment=production&from=2026-03-01'],
    ['/inspector#request=req_1', '/inspector'],
  ])('when next is the path %s on this site, then sign-in returns to %s', (next, expected) => {
    expect(link.safeNext(next, ORIGIN)).toBe(expected);
  });

  it.each([
    ['missing', null],
    ['empty', ''],
    ['another site', 'https://evil.example/inspector'],
    ['a protocol-relative URL', '//evil.example/inspector'],
    ['a backslash read as a slash', '/\\evil.example'],
    ['a backslash later on', '/inspector\\..\\x'],
    ['a tab that URL parsers drop', '/\t/evil.example'],
    ['a newline', '/inspector\n'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative path', 'inspector'],
    ['the sign-in page itself', '/inspector/signin?next=/x'],
    ['a dot segment before two slashes', '/.//localhost:38202/phish'],
    ['a parent segment before two slashes', '/..//localhost:38202/phish'],
    ['a parent segment after a path', '/inspector/..//localhost:38202/phish'],
    ['an encoded dot segment', '/%2e//localhost:38202/phish'],
    ['an encoded parent segment', '/%2e%2e//evil.example'],
    ['dot segments that leave a backslash-free double slash', '/a/b/../..//evil.example/x?y=1'],
    ['an encoded dot before a slash and a backslash', '/%2E/\\evil.example'],
  ])('when next is %s, then sign-in goes to the inspector', (_name, next) => {
    expect(link.safeNext(next, ORIGIN)).toBe('/inspector');
  });
});

describe('carriedFragment', () => {
  it.each([
    ['', ''],
    ['#', ''],
    ['#request=req_01K', '#request=req_01K'],
    ['#event=evt_01K', '#event=evt_01K'],
    ['#token=eyJ.a.b', ''],
    ['#token=eyJ.a.b&event=evt_01K', '#event=evt_01K'],
  ])('when the fragment is %p, then %p goes along (never the token)', (hash, expected) => {
    expect(link.carriedFragment(hash)).toBe(expected);
  });
});

describe('there and back', () => {
  it('when a signed-out page sends the browser to sign in, then sign-in brings it back to the same filters and deep link', () => {
    const url = new URL(link.signinUrl({ pathname: '/inspector', search: '?outcome=rejected', hash: '#event=evt_01K' }), ORIGIN);
    expect(url.pathname).toBe('/inspector/signin');
    expect(link.afterSignin({ search: url.search, hash: url.hash, origin: ORIGIN })).toBe('/inspector?outcome=rejected#event=evt_01K');
  });

  it.each(['%2F%2Fevil.example', '%2F.%2F%2Flocalhost%3A38202%2Fphish', '%2Finspector%2F..%2F%2Flocalhost%3A38202%2Fphish'])(
    'when the sign-in page is reached with next=%s, then the deep link still survives but the site is not left',
    (next) => {
      expect(link.afterSignin({ search: `?next=${next}`, hash: '#request=req_1', origin: ORIGIN })).toBe('/inspector#request=req_1');
    },
  );
});
