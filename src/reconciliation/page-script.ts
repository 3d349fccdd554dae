/** Where the page loads its one script from (the CSP allows exactly this URL). */
export const PAGE_SCRIPT_PATH = '/reconciliation/acknowledge.js';

/**
 * The page's only script: the acknowledge forms. Kept in TypeScript, as the stylesheet is, so the
 * build carries it into dist/. It posts as the inspector's pages do, with X-Iaphook-Csrf: a
 * cookie-carried change must carry it, and a plain form (or another origin) cannot send it.
 */
export const PAGE_SCRIPT = `(function () {
  'use strict';
  document.addEventListener('submit', async function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('ack')) return;
    event.preventDefault();
    var out = form.querySelector('output');
    var button = form.querySelector('button');
    var reason = form.elements.namedItem('reason').value;
    button.disabled = true;
    out.textContent = '';
    try {
      var res = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Iaphook-Csrf': '1' },
        body: JSON.stringify({ reason: reason }),
      });
      if (res.ok) {
        location.reload();
        return;
      }
      var body = await res.json().catch(function () { return null; });
      out.textContent = body && body.error ? body.error.message : 'HTTP ' + res.status;
    } catch (error) {
      out.textContent = error.message;
    }
    button.disabled = false;
  });
})();
`;
