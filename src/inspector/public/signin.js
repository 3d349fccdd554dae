// Sign-in: a pasted token, or the #token= of a link from `npm run token -- --role admin --link`.
// A URL fragment never reaches the server, so the token is not in any request log; it is removed
// from the address bar at once and sent in a POST body to get the session cookie.
(function () {
  'use strict';
  var form = document.getElementById('signin-form');
  var input = document.getElementById('token');
  var message = document.getElementById('signin-message');

  async function signIn(token) {
    message.textContent = 'Signing in…';
    var res = await fetch('/inspector/session', {
      method: 'POST',
      credentials: 'same-origin',
      // The server takes a session change only with this header, which a form on another origin cannot send.
      headers: { 'Content-Type': 'application/json', 'X-Iaphook-Csrf': '1' },
      body: JSON.stringify({ token: token }),
    });
    if (res.ok) {
      location.replace(window.SigninLink.afterSignin(location));
      return;
    }
    var text = 'Sign-in failed (' + res.status + ')';
    try {
      text = (await res.json()).error.message;
    } catch (e) {
      // keep the generic text
    }
    message.textContent = text;
  }

  // A deep link (#request=, #event=) that met the sign-in page stays in the address bar until
  // sign-in succeeds, then goes along to the page in `next`; only the token is taken out at once.
  function signInFromLink() {
    var fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
    if (!fromLink) return;
    history.replaceState(null, '', location.pathname + location.search + window.SigninLink.carriedFragment(location.hash));
    signIn(fromLink);
  }
  signInFromLink();
  // A link pasted into this tab while it is open differs only in its fragment: the browser does
  // not load the page again, it just changes the hash.
  window.addEventListener('hashchange', signInFromLink);
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    signIn(input.value.trim());
  });
})();
