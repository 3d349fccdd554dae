// The inspector page: a live list over server-sent events, filters kept in the address bar, a
// detail view, replay, copy as cURL, export and capture bins. Plain script, no build step.
(function () {
  'use strict';
  var R = window.InspectorRender;
  var h = R.h;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var form = $('filters');
  var rows = $('rows');
  var state = { ids: new Set(), nextCursor: null, selected: null, source: null, bins: [], setup: null, emptyShown: null, binShown: null };
  var S = window.InspectorSetup;

  // Every call says it comes from this page: the server refuses a cookie-carried change without it.
  var CSRF = { 'X-Iaphook-Csrf': '1' };
  async function api(path, options) {
    var opts = Object.assign({ credentials: 'same-origin' }, options);
    opts.headers = Object.assign({}, CSRF, opts.headers);
    var res = await fetch(path, opts);
    if (res.status === 401) {
      // Back to this very view after signing in: filters, and the #request= or #event= in view.
      location.assign(window.SigninLink.signinUrl(location));
      throw new Error('signed out');
    }
    var body = res.status === 204 ? null : await res.json();
    if (!res.ok) {
      var error = body && body.error ? body.error : { message: 'HTTP ' + res.status };
      throw Object.assign(new Error(error.message), { code: error.code || null });
    }
    return body;
  }

  // ---- filters ------------------------------------------------------------------------------
  function filterParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value === '') return;
      // datetime-local is local time without a zone; the API wants an instant.
      params.set(key, key === 'from' || key === 'to' ? new Date(value).toISOString() : value);
    });
    return params;
  }
  function restoreFilters() {
    new URLSearchParams(location.search).forEach(function (value, key) {
      var field = form.elements.namedItem(key);
      if (!field) return;
      if (key === 'from' || key === 'to') {
        var d = new Date(value);
        value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
      }
      if (
        field.tagName === 'SELECT' &&
        !Array.prototype.some.call(field.options, function (o) {
          return o.value === value;
        })
      ) {
        field.append(h('option', { value: value }, value));
      }
      field.value = value;
    });
  }
  var debounce = null;
  function filtersChanged() {
    clearTimeout(debounce);
    debounce = setTimeout(function () {
      var query = filterParams().toString();
      history.replaceState(null, '', location.pathname + (query ? '?' + query : ''));
      reload();
    }, 250);
  }
  form.addEventListener('input', filtersChanged);
  form.elements.namedItem('binId').addEventListener('change', function () {
    renderBinPanel();
  });
  form.addEventListener('reset', function () {
    setTimeout(filtersChanged, 0);
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
  });

  // ---- the list -----------------------------------------------------------------------------
  function updateCount() {
    $('count').textContent = state.ids.size + (state.nextCursor ? '+' : '') + ' shown';
    renderEmpty();
    renderBinPanel();
    $('more').hidden = state.nextCursor === null;
    var params = filterParams();
    ['json', 'csv'].forEach(function (format) {
      params.set('format', format);
      $('export-' + format).href = '/api/inspector/requests/export?' + params.toString();
    });
  }

  // ---- empty states -------------------------------------------------------------------------
  function selectedBin() {
    var id = form.elements.namedItem('binId').value;
    return (
      state.bins.find(function (b) {
        return b.id === id;
      }) || null
    );
  }
  /** Which empty state fits: nothing at all yet, an empty bin (only the bin filter is set), or filters that match nothing. */
  function emptyKind() {
    var keys = [];
    filterParams().forEach(function (_, key) {
      keys.push(key);
    });
    if (keys.length === 0) return 'nothing';
    if (keys.length === 1 && keys[0] === 'binId') return 'bin';
    return 'filtered';
  }
  function renderEmpty() {
    var empty = $('empty');
    if (state.ids.size > 0) {
      empty.hidden = true;
      return;
    }
    var kind = emptyKind();
    var bin = kind === 'bin' ? selectedBin() : null;
    // Drawn again only when what it shows changes, so a copy button's "Copied" is not cut short.
    var signature = kind + '|' + (bin ? bin.url : '') + '|' + (state.setup ? 'setup' : '');
    if (state.emptyShown !== signature || empty.hidden) {
      empty.replaceChildren(
        S.emptyState(kind, {
          setup: state.setup,
          api: api,
          bin: bin,
          clear: function () {
            form.reset();
          },
        }),
      );
      state.emptyShown = signature;
    }
    empty.hidden = false;
  }
  async function loadSetup() {
    try {
      state.setup = await api('/api/inspector/setup');
    } catch (e) {
      return;
    }
    state.emptyShown = null;
    if (state.ids.size === 0) renderEmpty();
  }
  // The same URLs and key, when requests are listed: under the detail view's placeholder.
  $('setup-box').addEventListener('toggle', function () {
    if ($('setup-box').open && state.setup && !$('setup-slot').firstChild) $('setup-slot').append(S.setupPanel(state.setup, api));
  });
  // "… ago" in the list stays true while the page is open.
  setInterval(function () {
    R.refreshAgo(rows);
  }, 10000);
  function addRow(item, where) {
    if (state.ids.has(item.id)) return null;
    state.ids.add(item.id);
    var tr = R.rowFor(item);
    if (item.id === state.selected) tr.classList.add('selected');
    if (where === 'top') {
      tr.classList.add('fresh');
      rows.prepend(tr);
    } else {
      rows.append(tr);
    }
    return tr;
  }
  async function loadPage(cursor) {
    var params = filterParams();
    params.set('limit', '100');
    if (cursor) params.set('cursor', cursor);
    var page = await api('/api/inspector/requests?' + params.toString());
    page.data.forEach(function (item) {
      addRow(item, 'bottom');
    });
    state.nextCursor = page.nextCursor;
    updateCount();
  }
  async function reload() {
    rows.replaceChildren();
    state.ids.clear();
    state.nextCursor = null;
    connect();
    try {
      await loadPage(null);
    } catch (e) {
      showBanner(e.message, 'error');
    }
  }
  $('more').addEventListener('click', function () {
    loadPage(state.nextCursor);
  });
  rows.addEventListener('click', function (e) {
    var tr = e.target.closest('tr[data-id]');
    if (tr) select(tr.dataset.id);
  });
  rows.addEventListener('keydown', function (e) {
    var tr = e.target.closest('tr[data-id]');
    if (!tr) return;
    var next = e.key === 'ArrowDown' ? tr.nextElementSibling : e.key === 'ArrowUp' ? tr.previousElementSibling : e.key === 'Enter' ? tr : null;
    if (!next) return;
    e.preventDefault();
    next.focus();
    select(next.dataset.id);
  });

  // ---- live stream --------------------------------------------------------------------------
  function setLive(on, text) {
    $('live').className = 'live ' + (on ? 'on' : 'off');
    $('live').textContent = text;
  }
  function connect() {
    if (state.source) state.source.close();
    var source = new EventSource('/api/inspector/stream?' + filterParams().toString());
    state.source = source;
    source.addEventListener('ready', function () {
      setLive(true, 'live');
    });
    source.addEventListener('request', function (e) {
      addRow(JSON.parse(e.data), 'top');
      updateCount();
    });
    source.addEventListener('reset', function () {
      reload();
    });
    source.onerror = function () {
      setLive(false, 'reconnecting…');
      // An EventSource cannot see a 401; ask the API, which sends a signed-out browser to sign in.
      api('/api/inspector/requests?limit=1').catch(function () {});
    };
  }

  // ---- detail and actions -------------------------------------------------------------------
  var handlers = {
    open: function (id) {
      select(id);
    },
    copyCurl: async function (d, result) {
      try {
        await navigator.clipboard.writeText(d.curl);
        result.textContent = 'cURL copied. Set $IAPHOOK_WEBHOOK_KEY before running it.';
      } catch (e) {
        result.textContent = 'Copy blocked by the browser: the command is in the cURL section below.';
        document.querySelector('.detail details:last-of-type').open = true;
      }
    },
    replay: async function (d, button, result) {
      button.disabled = true;
      result.textContent = 'Replaying…';
      try {
        var r = await replayRequest(d.id);
        if (!r) {
          result.textContent = 'Replay cancelled: the request failed the webhook key check.';
          return;
        }
        result.replaceChildren(
          'Replayed as ',
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              id: 'replay-result',
              dataset: { id: r.requestId },
              onclick: function () {
                select(r.requestId);
              },
            },
            r.requestId,
          ),
          ': ' +
            r.status +
            ' ' +
            r.outcome +
            (r.reason ? ' (' + r.reason + ')' : '') +
            (r.eventId ? ', event ' + r.eventId : '') +
            (r.acceptedUnverified ? ', accepted unverified' : ''),
        );
      } catch (e) {
        result.textContent = 'Replay failed: ' + e.message;
      } finally {
        button.disabled = false;
      }
    },
  };
  // A request that failed the webhook key check is replayed only once the admin confirms it; the
  // server says so with a 409 rather than the page guessing. Null when the admin declines.
  async function replayRequest(id) {
    var path = '/api/inspector/requests/' + encodeURIComponent(id) + '/replay';
    try {
      return await api(path, { method: 'POST' });
    } catch (e) {
      if (e.code !== 'replay_of_unauthenticated_request') throw e;
      if (!confirm(e.message + '\n\nReplay it anyway, as if nachocode had sent it?')) return null;
      return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ acceptUnverified: true }) });
    }
  }
  async function select(id) {
    state.selected = id;
    rows.querySelectorAll('tr.selected').forEach(function (tr) {
      tr.classList.remove('selected');
    });
    var tr = rows.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
    if (tr) tr.classList.add('selected');
    try {
      var d = await api('/api/inspector/requests/' + encodeURIComponent(id));
      if (state.selected === id) $('detail').replaceChildren(window.InspectorDetail.render(d, handlers));
    } catch (e) {
      $('detail').replaceChildren(h('p', { class: 'error' }, e.message));
    }
  }

  // ---- bins, banner, session ----------------------------------------------------------------
  function showBanner(content, kind) {
    var banner = $('banner');
    banner.className = 'banner ' + (kind || '');
    banner.replaceChildren(
      content,
      ' ',
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: function () {
            banner.hidden = true;
          },
        },
        'dismiss',
      ),
    );
    banner.hidden = false;
  }
  async function loadBins(selectId) {
    var select = $('bin-select');
    var current = selectId || select.value;
    var bins = (await api('/api/bins')).data;
    state.bins = bins;
    var options = bins.map(function (b) {
      return h('option', { value: b.id, title: b.url }, (b.name || 'bin …' + b.id.slice(-6)) + ' (' + b.requestCount + ')');
    });
    select.replaceChildren.apply(select, [h('option', { value: '' }, 'any')].concat(options));
    select.value = bins.some(function (b) {
      return b.id === current;
    })
      ? current
      : '';
    renderBinPanel();
  }
  /** The selected bin's name, URL and settings, above the list. */
  function renderBinPanel() {
    var panel = $('bin-panel');
    var bin = selectedBin();
    if (!bin) {
      panel.hidden = true;
      panel.replaceChildren();
      state.binShown = null;
      return;
    }
    // Not while someone types in its form: a live capture must not wipe what they typed.
    var signature = JSON.stringify(bin);
    if (state.binShown === signature) return;
    state.binShown = signature;
    panel.replaceChildren(
      S.binPanel(bin, {
        save: async function (patch) {
          await api('/api/bins/' + encodeURIComponent(bin.id), {
            method: 'PATCH',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(patch),
          });
          var result = panel.querySelector('.bin-result');
          await loadBins(bin.id);
          // The panel was drawn again with the saved settings; keep the message on the new one.
          var fresh = panel.querySelector('.bin-result');
          if (fresh && result && fresh !== result) fresh.textContent = 'Saved: the bin answers this way from its next request on.';
        },
        remove: deleteBin,
      }),
    );
    panel.hidden = false;
  }
  $('new-bin').addEventListener('click', async function () {
    try {
      var bin = await api('/api/bins', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      await loadBins(bin.id);
      filtersChanged();
    } catch (e) {
      showBanner('Could not create a bin: ' + e.message, 'error');
    }
  });
  async function deleteBin() {
    var id = form.elements.namedItem('binId').value;
    if (!id || !confirm('Delete this bin and everything it captured?')) return;
    await api('/api/bins/' + id, { method: 'DELETE' });
    await loadBins('');
    filtersChanged();
  }
  $('sign-out').addEventListener('click', async function () {
    await fetch('/inspector/session', { method: 'DELETE', credentials: 'same-origin', headers: CSRF });
    location.assign('/inspector/signin');
  });

  // Deep links from other pages (the reconciliation report): #request=<id> or #event=<id>.
  async function openFromHash() {
    var hash = new URLSearchParams(location.hash.slice(1));
    var requestId = hash.get('request');
    if (!requestId && hash.get('event')) {
      try {
        requestId = (await api('/api/events/' + encodeURIComponent(hash.get('event')))).rawRequestId;
      } catch (e) {
        showBanner('Could not open event ' + hash.get('event') + ': ' + e.message, 'error');
      }
    }
    if (requestId) await select(requestId);
  }

  // Another #request= or #event= link pasted into this open tab changes only the fragment: the
  // browser does not load the page again, so open what it names here.
  window.addEventListener('hashchange', function () {
    openFromHash();
  });

  // A phone starts with the filters folded (they would fill its screen), unless the link set some.
  var narrow = window.matchMedia('(max-width: 640px)');
  function foldFilters() {
    var active = 0;
    filterParams().forEach(function () {
      active += 1;
    });
    $('filters-active').textContent = active ? '(' + active + ' set)' : '';
    return active;
  }
  restoreFilters();
  function fitFilters() {
    $('filters-box').open = !narrow.matches || foldFilters() > 0;
  }
  fitFilters();
  narrow.addEventListener('change', fitFilters);
  form.addEventListener('input', function () {
    setTimeout(foldFilters, 0);
  });
  form.addEventListener('reset', function () {
    setTimeout(foldFilters, 0);
  });
  loadSetup();
  loadBins(new URLSearchParams(location.search).get('binId'))
    .catch(function () {})
    .then(reload)
    .then(openFromHash);
})();
