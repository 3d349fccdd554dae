// Rendering helpers for the inspector page. Every element is built with createElement and every
// value goes in as text, never parsed as markup: webhook bodies and headers are untrusted input.
(function () {
  'use strict';

  function h(tag, props) {
    var el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === 'class') el.className = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.slice(0, 2) === 'on') el.addEventListener(key.slice(2), value);
      else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child))
      child.forEach(function (c) {
        append(el, c);
      });
    else el.append(child instanceof Node ? child : String(child));
  }

  var pad = function (n, w) {
    return String(n).padStart(w || 2, '0');
  };
  // Times arrive as ISO strings or as epoch ms (a number or its digits): both read the same.
  function asDate(value) {
    if (typeof value === 'number') return new Date(value);
    if (typeof value === 'string' && /^\d+$/.test(value)) return new Date(Number(value));
    return new Date(value);
  }
  function isoOf(value) {
    var d = asDate(value);
    return isNaN(d.getTime()) ? String(value) : d.toISOString();
  }
  function fmtTime(value) {
    var d = asDate(value);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  /** "Mar 2 09:01:51" in local time; the year only when it is not this one. */
  function fmtDate(value) {
    var d = asDate(value);
    var year = d.getFullYear() === new Date().getFullYear() ? '' : ' ' + d.getFullYear();
    return MONTHS[d.getMonth()] + ' ' + d.getDate() + year + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  /** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
  function relTime(value, now) {
    var s = Math.round(((now || Date.now()) - asDate(value).getTime()) / 1000);
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function fmtDateTime(value) {
    if (value === null || value === undefined || value === '') return '—';
    return asDate(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) + ' (' + isoOf(value) + ')';
  }
  function fmtBytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  }
  function fmtMs(ms) {
    return ms === null || ms === undefined ? '—' : ms < 10 ? ms.toFixed(2) + ' ms' : Math.round(ms) + ' ms';
  }
  function pretty(value) {
    if (typeof value !== 'string') return JSON.stringify(value, null, 2);
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch (e) {
      return value;
    }
  }
  function hexDump(base64) {
    var bin = atob(base64);
    var lines = [];
    for (var off = 0; off < bin.length; off += 16) {
      var hex = [];
      var ascii = '';
      for (var i = off; i < Math.min(off + 16, bin.length); i++) {
        var c = bin.charCodeAt(i);
        hex.push(c.toString(16).padStart(2, '0'));
        ascii += c >= 32 && c < 127 ? bin[i] : '.';
      }
      lines.push(off.toString(16).padStart(8, '0') + '  ' + hex.join(' ').padEnd(48) + '  ' + ascii);
    }
    return lines.join('\n');
  }

  function badge(item) {
    var text = item.outcome + (item.reason && item.outcome !== 'conflict' ? ' · ' + item.reason : '');
    return h('span', { class: 'badge outcome-' + item.outcome, title: item.reason || item.outcome }, text);
  }
  function statusCell(status) {
    return h('span', { class: 'status s' + String(status).charAt(0) }, String(status));
  }

  /** Breaks a path or an id only after its separators, never inside a word. */
  function breakable(text, separators) {
    var parts = [];
    var last = 0;
    for (var i = 0; i < text.length; i++) {
      if (separators.indexOf(text[i]) !== -1) {
        parts.push(text.slice(last, i + 1), h('wbr'));
        last = i + 1;
      }
    }
    parts.push(text.slice(last));
    return parts;
  }
  function whenCell(receivedAt) {
    return h(
      'td',
      { class: 'when', title: receivedAt },
      h('time', { datetime: receivedAt }, fmtDate(receivedAt)),
      h('span', { class: 'ago muted', dataset: { at: receivedAt } }, relTime(receivedAt)),
    );
  }
  /** Refreshes every "… ago" in a container (the list calls it every few seconds). */
  function refreshAgo(root) {
    var now = Date.now();
    root.querySelectorAll('.ago[data-at]').forEach(function (el) {
      el.textContent = relTime(el.dataset.at, now);
    });
  }
  function factCell(name, value) {
    return h(
      'td',
      { class: 'fact mono ' + name, title: value || null, dataset: { label: name } },
      value === null || value === undefined ? h('span', { class: 'muted' }, '—') : value,
    );
  }

  function rowFor(item) {
    var eventId = item.eventId || null;
    return h(
      'tr',
      { tabindex: '0', dataset: { id: item.id, eventId: eventId || '', outcome: item.outcome } },
      whenCell(item.receivedAt),
      h(
        'td',
        { class: 'mono path', title: item.method + ' ' + item.path + (item.query ? '?' + item.query : '') },
        h('span', { class: 'method' }, item.method),
        ' ',
        breakable(item.path, '/_'),
        item.query ? h('span', { class: 'muted' }, breakable('?' + item.query, '&')) : null,
        item.source === 'replay' ? h('span', { class: 'tag' }, 'replay') : null,
      ),
      h(
        'td',
        { class: 'status-cell' },
        statusCell(item.status),
        h('span', { class: 'sub muted' }, h('span', { class: 'latency' }, fmtMs(item.durationMs)), ' · ', h('span', { class: 'size' }, fmtBytes(item.size))),
      ),
      // The reason under the outcome, so the column stays narrow enough for type, user and product.
      h(
        'td',
        { class: 'outcome' },
        h('span', { class: 'badge outcome-' + item.outcome, title: item.reason || item.outcome }, item.outcome),
        item.reason && item.outcome !== 'conflict' ? h('span', { class: 'sub muted' }, item.reason) : null,
      ),
      factCell('type', item.type),
      factCell('user', item.userId),
      factCell('product', item.productId),
    );
  }

  // ---- copying --------------------------------------------------------------------------------
  /**
   * A button that puts text on the clipboard: `text` is a string or a function giving one (or a
   * promise of one, as a key fetched only when asked for). It says "Copied" for a moment.
   */
  function copyButton(label, text, props) {
    var button = h('button', Object.assign({ type: 'button', class: 'copy', title: 'Copy to the clipboard' }, props || {}), label);
    button.addEventListener('click', async function () {
      try {
        var value = typeof text === 'function' ? await text() : text;
        await navigator.clipboard.writeText(value);
        flash(button, 'Copied', label);
      } catch (e) {
        flash(button, 'Copy blocked', label);
      }
    });
    return button;
  }
  function flash(button, text, label) {
    button.textContent = text;
    button.classList.add('copied');
    clearTimeout(button.flashTimer);
    button.flashTimer = setTimeout(function () {
      button.textContent = label;
      button.classList.remove('copied');
    }, 1500);
  }
  /** A value to copy: shown in code, with its copy button beside it. */
  function copyable(value, label, props) {
    return h('span', { class: 'copyable' }, h('code', { class: 'wrap' }, value), copyButton(label || 'Copy', value, props));
  }

  // ---- JSON tree ------------------------------------------------------------------------------
  var TREE_OPEN_DEPTH = 2;
  /** A collapsible tree of a parsed JSON value: objects and arrays fold, leaves show their type by colour. */
  function jsonTree(value) {
    return h('div', { class: 'json-tree mono' }, treeNode(null, value, 0));
  }
  function treeNode(key, value, depth) {
    var label = key === null ? null : h('span', { class: 'j-key' }, typeof key === 'number' ? String(key) : JSON.stringify(key));
    if (value !== null && typeof value === 'object') {
      var isArray = Array.isArray(value);
      var keys = isArray
        ? value.map(function (_, i) {
            return i;
          })
        : Object.keys(value);
      var size = isArray ? '[' + keys.length + ']' : '{' + keys.length + '}';
      if (keys.length === 0) return h('div', { class: 'j-leaf' }, label, label ? ': ' : null, h('span', { class: 'j-punct' }, isArray ? '[]' : '{}'));
      return h(
        'details',
        { class: 'j-node', open: depth < TREE_OPEN_DEPTH },
        h('summary', null, label, label ? ': ' : null, h('span', { class: 'j-punct' }, size)),
        h(
          'div',
          { class: 'j-children' },
          keys.map(function (k) {
            return treeNode(k, value[k], depth + 1);
          }),
        ),
      );
    }
    var kind = value === null ? 'null' : typeof value;
    return h('div', { class: 'j-leaf' }, label, label ? ': ' : null, h('span', { class: 'j-' + kind }, JSON.stringify(value)));
  }
  /** Expand all or collapse all of a tree, below its root. */
  function setTreeOpen(tree, open) {
    tree.querySelectorAll('details.j-node').forEach(function (d, i) {
      d.open = open || i === 0;
    });
  }

  function dl(pairs) {
    return h(
      'dl',
      { class: 'facts' },
      pairs
        .filter(function (p) {
          return p[1] !== undefined;
        })
        .map(function (p) {
          return [h('dt', null, p[0]), h('dd', { class: p[2] || null }, p[1] === null || p[1] === '' ? '—' : p[1])];
        }),
    );
  }
  function table(headers, rows) {
    return h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map(function (t) {
            return h('th', null, t);
          }),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map(function (r) {
          return h(
            'tr',
            null,
            r.map(function (c) {
              return h('td', null, c === null || c === undefined ? '—' : c);
            }),
          );
        }),
      ),
    );
  }
  function section(title, children, open) {
    return h('details', { class: 'section', open: open !== false }, h('summary', null, title), children);
  }
  /** Views of one thing, one shown at a time: [name, text or element]. */
  function tabs(views) {
    var panes = views.map(function (v, i) {
      var props = { class: 'code', hidden: i > 0, dataset: { view: v[0] } };
      return v[1] instanceof Node ? h('div', Object.assign(props, { class: 'code tree-pane' }), v[1]) : h('pre', props, v[1]);
    });
    var buttons = views.map(function (v, i) {
      return h(
        'button',
        {
          type: 'button',
          class: i === 0 ? 'tab active' : 'tab',
          dataset: { tab: v[0] },
          onclick: function () {
            panes.forEach(function (p, j) {
              p.hidden = j !== i;
            });
            buttons.forEach(function (b, j) {
              b.classList.toggle('active', j === i);
            });
          },
        },
        v[0],
      );
    });
    return h('div', { class: 'tabs' }, h('div', { class: 'tab-bar' }, buttons), panes);
  }

  window.InspectorRender = {
    h: h,
    rowFor: rowFor,
    badge: badge,
    statusCell: statusCell,
    dl: dl,
    table: table,
    section: section,
    tabs: tabs,
    asDate: asDate,
    isoOf: isoOf,
    fmtTime: fmtTime,
    fmtDate: fmtDate,
    relTime: relTime,
    refreshAgo: refreshAgo,
    fmtDateTime: fmtDateTime,
    fmtBytes: fmtBytes,
    fmtMs: fmtMs,
    pretty: pretty,
    hexDump: hexDump,
    breakable: breakable,
    copyButton: copyButton,
    copyable: copyable,
    jsonTree: jsonTree,
    setTreeOpen: setTreeOpen,
  };
})();
