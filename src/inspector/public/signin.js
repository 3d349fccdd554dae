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
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token }),
    });
    if (res.ok) {
      location.replace(nextPage());
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

  // Back to the page that sent us here (the reconciliation report, say); same-origin paths only.
  function nextPage() {
    var next = new URLSearchParams(location.search).get('next');
    return next && /^\/(?!\/)[A-Za-z0-9/_-]*$/.test(next) ? next : '/inspector';
  }

  var fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    history.replaceState(null, '', location.pathname + location.search);
    signIn(fromLink);
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    signIn(input.value.trim());
  });
})();
