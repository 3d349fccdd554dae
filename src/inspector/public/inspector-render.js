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
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.append(child instanceof Node ? child : String(child));
  }

  var pad = function (n, w) { return String(n).padStart(w || 2, '0'); };
  function fmtTime(iso) {
    var d = new Date(iso);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }
  function fmtDateTime(iso) {
    return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) + ' (' + iso + ')' : '—';
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
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch (e) { return value; }
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

  function rowFor(item) {
    return h('tr', { tabindex: '0', dataset: { id: item.id, eventId: item.eventId || '', outcome: item.outcome } },
      h('td', { class: 'mono', title: item.receivedAt }, fmtTime(item.receivedAt)),
      h('td', { class: 'mono' }, item.method),
      h('td', { class: 'mono path', title: item.path + (item.query ? '?' + item.query : '') },
        item.path, item.query ? h('span', { class: 'muted' }, '?' + item.query) : null,
        item.source === 'replay' ? h('span', { class: 'tag' }, 'replay') : null),
      h('td', null, statusCell(item.status)),
      h('td', null, badge(item)),
      h('td', { class: 'num' }, fmtBytes(item.size)),
      h('td', { class: 'num' }, fmtMs(item.durationMs)));
  }

  function dl(pairs) {
    return h('dl', { class: 'facts' }, pairs.filter(function (p) { return p[1] !== undefined; }).map(function (p) {
      return [h('dt', null, p[0]), h('dd', { class: p[2] || null }, p[1] === null || p[1] === '' ? '—' : p[1])];
    }));
  }
  function table(headers, rows) {
    return h('table', { class: 'grid' },
      h('thead', null, h('tr', null, headers.map(function (t) { return h('th', null, t); }))),
      h('tbody', null, rows.map(function (r) { return h('tr', null, r.map(function (c) { return h('td', null, c === null || c === undefined ? '—' : c); })); })));
  }
  function section(title, children, open) {
    return h('details', { class: 'section', open: open !== false }, h('summary', null, title), children);
  }
  function tabs(views) {
    var pres = views.map(function (v, i) { return h('pre', { class: 'code', hidden: i > 0, dataset: { view: v[0] } }, v[1]); });
    var buttons = views.map(function (v, i) {
      return h('button', { type: 'button', class: i === 0 ? 'tab active' : 'tab', onclick: function () {
        pres.forEach(function (p, j) { p.hidden = j !== i; });
        buttons.forEach(function (b, j) { b.classList.toggle('active', j === i); });
      } }, v[0]);
    });
    return h('div', { class: 'tabs' }, h('div', { class: 'tab-bar' }, buttons), pres);
  }

  window.InspectorRender = {
    h: h, rowFor: rowFor, badge: badge, statusCell: statusCell, dl: dl, table: table, section: section, tabs: tabs,
    fmtTime: fmtTime, fmtDateTime: fmtDateTime, fmtBytes: fmtBytes, fmtMs: fmtMs, pretty: pretty, hexDump: hexDump,
  };
})();
