// Sign-in and back: where the sign-in page may send the browser afterwards (`next`, checked so
// that it stays on this site) and the fragment it carries along (#request=, #event=), which no
// server ever sees. Plain script for the pages, and a CommonJS module for the unit tests.
(function (root) {
  'use strict';
  var SIGNIN_PATH = '/inspector/signin';
  var DEFAULT_NEXT = '/inspector';

  // A path on this origin, with its query: one leading slash (not "//host"), no backslash (read as
  // a slash) and no control characters (tabs and newlines are dropped by URL parsers, so "/\t/host"
  // would become "//host"). The same holds for the result after the parser has normalised it:
  // dot segments go ("/.//host", "/%2e//host" and "/x/..//host" all become "//host"), and a path
  // starting with two slashes would be read as another host once the browser is sent there. The
  // result, parsed again, must still be this origin, and not sign-in itself.
  var ONE_SLASH = /^\/(?![/\\])/;
  function safeNext(next, origin) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (typeof next !== 'string' || !ONE_SLASH.test(next) || /[\\\u0000-\u001f\u007f]/.test(next)) return DEFAULT_NEXT;
    var here = new URL(origin).origin;
    var url;
    try {
      url = new URL(next, origin);
    } catch (e) {
      return DEFAULT_NEXT;
    }
    if (url.origin !== here || !ONE_SLASH.test(url.pathname) || url.pathname.replace(/\/+$/, '') === SIGNIN_PATH) return DEFAULT_NEXT;
    var result = url.pathname + url.search;
    return new URL(result, origin).origin === here ? result : DEFAULT_NEXT;
  }

  // The fragment to keep, without the sign-in token (which must leave the address bar at once).
  function carriedFragment(hash) {
    var raw = String(hash || '').replace(/^#/, '');
    var params = new URLSearchParams(raw);
    if (!params.has('token')) return raw ? '#' + raw : '';
    params.delete('token');
    var rest = params.toString();
    return rest ? '#' + rest : '';
  }

  // The sign-in URL that comes back to a location (path, query and fragment) afterwards.
  function signinUrl(loc) {
    return SIGNIN_PATH + '?next=' + encodeURIComponent(loc.pathname + loc.search) + carriedFragment(loc.hash);
  }

  // Where to go once signed in: `next` from the sign-in page's query, with the fragment it was given.
  function afterSignin(loc) {
    return safeNext(new URLSearchParams(loc.search).get('next'), loc.origin) + carriedFragment(loc.hash);
  }

  var api = { safeNext: safeNext, carriedFragment: carriedFragment, signinUrl: signinUrl, afterSignin: afterSignin };
  // Node's module, when the unit tests load this file; absent in the browser.
  // eslint-disable-next-line no-undef
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.SigninLink = api;
})(this);
