// Where to send webhooks, and the list's empty states: nothing received yet (the webhook URLs and
// the key, as webhook.site puts its URL first), an empty bin (its URL), no match for the filters.
// Also a bin's settings: its name and what it answers.
(function () {
  'use strict';
  var R = window.InspectorRender;
  var h = R.h;
  var ROUTE_LABELS = { purchase: 'Purchase webhook URL', refund: 'Refund webhook URL', 'unavailable-users': 'Unavailable users URL', auto: 'Any event' };

  /** One webhook key, masked until Reveal; Copy fetches it without showing it. */
  function keyRow(key, api) {
    var shown = h('code', { class: 'wrap key-value', dataset: { fingerprint: key.fingerprint } }, key.masked);
    var fetchKey = async function () {
      return (await api('/api/inspector/webhook-keys/' + encodeURIComponent(key.fingerprint))).key;
    };
    var reveal = h('button', { type: 'button', class: 'copy reveal-key' }, 'Reveal');
    reveal.addEventListener('click', async function () {
      if (reveal.dataset.revealed) {
        shown.textContent = key.masked;
        delete reveal.dataset.revealed;
        reveal.textContent = 'Reveal';
        return;
      }
      try {
        shown.textContent = await fetchKey();
        reveal.dataset.revealed = '1';
        reveal.textContent = 'Hide';
      } catch (e) {
        shown.textContent = key.masked + ' (' + e.message + ')';
      }
    });
    return h(
      'li',
      { class: 'setup-row' },
      h('span', { class: 'setup-label' }, 'Webhook key', h('span', { class: 'muted small' }, ' · fingerprint ' + key.fingerprint)),
      h('span', { class: 'copyable' }, shown, reveal, R.copyButton('Copy', fetchKey, { class: 'copy copy-key' })),
    );
  }

  /** The webhook URLs and keys to paste into the nachocode dashboard. */
  function setupPanel(setup, api) {
    // The two the nachocode dashboard asks for first.
    var order = ['purchase', 'refund', 'auto', 'unavailable-users'];
    var sorted = setup.webhookUrls.slice().sort(function (a, b) {
      return order.indexOf(a.route) - order.indexOf(b.route);
    });
    var urls = sorted.map(function (u) {
      return h(
        'li',
        { class: 'setup-row', dataset: { route: u.route } },
        h('span', { class: 'setup-label' }, ROUTE_LABELS[u.route] || u.route),
        R.copyable(u.url, 'Copy', { class: 'copy copy-url', dataset: { url: u.url } }),
      );
    });
    var keys = setup.keys.map(function (k) {
      return keyRow(k, api);
    });
    return h(
      'div',
      { class: 'setup' },
      h('ul', { class: 'setup-list' }, urls, keys),
      h(
        'p',
        { class: 'muted small' },
        'Paste them into the nachocode dashboard (Webhook settings), with the key as a Bearer token; every request shows up here as it arrives. Keys are shown to signed-in admins only.',
      ),
      h('p', { class: 'small' }, 'Or send a realistic sample from a terminal: ', R.copyable('npm run send -- purchase', 'Copy')),
    );
  }

  /**
   * The list's empty state. kind: 'nothing' (no request at all), 'bin' (the bin filter alone and
   * the bin is empty) or 'filtered' (filters that match nothing).
   */
  function emptyState(kind, ctx) {
    if (kind === 'bin') {
      var url = ctx.bin ? ctx.bin.url : '';
      return h(
        'div',
        { class: 'empty-state', dataset: { empty: 'bin' } },
        h('h2', null, 'This bin is empty'),
        h('p', null, 'Send anything to its URL, any method, any path below it, and watch it arrive here:'),
        h('p', null, R.copyable(url, 'Copy URL', { class: 'copy copy-url', dataset: { url: url } })),
        h(
          'p',
          { class: 'small' },
          'For example: ',
          R.copyable('curl -X POST ' + url + ' -H \'Content-Type: application/json\' -d \'{"hello":"bin"}\'', 'Copy'),
        ),
      );
    }
    if (kind === 'filtered') {
      return h(
        'div',
        { class: 'empty-state', dataset: { empty: 'filtered' } },
        h('h2', null, 'No request matches these filters'),
        h('p', { class: 'muted' }, 'Requests that arrive and match will appear here live.'),
        h('button', { type: 'button', id: 'empty-clear', onclick: ctx.clear }, 'Clear the filters'),
      );
    }
    return h(
      'div',
      { class: 'empty-state', dataset: { empty: 'nothing' } },
      h('h2', null, 'No requests yet'),
      h('p', null, 'Send a webhook to one of these URLs and it appears here as soon as it is stored.'),
      ctx.setup ? setupPanel(ctx.setup, ctx.api) : h('p', { class: 'muted' }, 'Loading the webhook URLs…'),
    );
  }

  // ---- bin settings ---------------------------------------------------------------------------
  function field(label, input, hint) {
    return h('label', { class: 'bin-field' }, h('span', null, label), input, hint ? h('span', { class: 'muted small' }, hint) : null);
  }

  /**
   * The selected bin: its name and URL, and the form that changes what it answers (from its next
   * request on). `on.save(patch)` returns the updated bin; `on.remove()` deletes it.
   */
  function binPanel(bin, on) {
    var name = h('input', { name: 'name', value: bin.name || '', maxlength: '100', placeholder: 'bin …' + bin.id.slice(-6) });
    var status = h('input', { name: 'status', type: 'number', min: '200', max: '599', required: true, value: String(bin.status) });
    var contentType = h('input', { name: 'contentType', value: bin.contentType || '', placeholder: 'text/plain; charset=utf-8' });
    var delay = h('input', { name: 'delayMs', type: 'number', min: '0', max: '30000', step: '1', value: String(bin.delayMs) });
    var body = h('textarea', { name: 'body', rows: '3', maxlength: '65536', placeholder: '(empty: {"received": true, "binId": …, "requestId": …} as JSON)' });
    body.value = bin.body === null ? '' : bin.body;
    var result = h('span', { class: 'bin-result', role: 'status', 'aria-live': 'polite' });
    var form = h(
      'form',
      { class: 'bin-form', id: 'bin-form' },
      field('Name', name),
      field('Status', status),
      field('Content type', contentType, 'used with a body'),
      field('Delay (ms)', delay, 'up to 30000'),
      h('label', { class: 'bin-field bin-body' }, h('span', null, 'Body'), body),
      h(
        'div',
        { class: 'bin-buttons' },
        h('button', { type: 'submit', id: 'bin-save' }, 'Save'),
        h('button', { type: 'button', id: 'delete-bin', onclick: on.remove }, 'Delete bin'),
        result,
      ),
    );
    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      var patch = {
        name: name.value.trim() === '' ? null : name.value.trim(),
        status: Number(status.value),
        contentType: contentType.value.trim() === '' ? null : contentType.value.trim(),
        delayMs: Number(delay.value || 0),
        body: body.value === '' ? null : body.value,
      };
      result.textContent = 'Saving…';
      try {
        await on.save(patch);
        result.textContent = 'Saved: the bin answers this way from its next request on.';
      } catch (err) {
        result.textContent = 'Not saved: ' + err.message;
      }
    });
    return h(
      'details',
      { class: 'bin-panel-box', open: true },
      h(
        'summary',
        null,
        h('span', { class: 'bin-name' }, bin.name || 'bin …' + bin.id.slice(-6)),
        ' ',
        h('span', { class: 'muted small' }, bin.requestCount + ' captured · answers ' + bin.status + (bin.delayMs ? ' after ' + bin.delayMs + ' ms' : '')),
      ),
      h(
        'p',
        { class: 'bin-url-line' },
        h('span', { class: 'muted' }, 'URL '),
        h('code', { id: 'bin-url', class: 'wrap' }, bin.url),
        ' ',
        R.copyButton('Copy URL', bin.url, { class: 'copy copy-url', id: 'copy-bin-url' }),
      ),
      form,
    );
  }

  window.InspectorSetup = { setupPanel: setupPanel, emptyState: emptyState, binPanel: binPanel };
})();
