// The detail view of one request: actions, our answer, headers, body, event, ledger, deliveries.
(function () {
  'use strict';
  var R = window.InspectorRender;
  var h = R.h;
  var HEX_LIMIT = 64 * 1024;

  function bodySection(d) {
    if (!d.body) {
      var why = d.reason === 'payload_too_large' ? 'Not stored: the body was larger than the limit.' : 'No body.';
      return R.section('Body', h('p', { class: 'muted' }, why));
    }
    var views = [];
    var tree = null;
    if (d.body.text !== null) {
      if (d.body.json) {
        tree = R.jsonTree(JSON.parse(d.body.text));
        views.push(['Tree', tree]);
        views.push(['Pretty', R.pretty(d.body.text)]);
      }
      views.push(['Raw', d.body.text]);
    }
    var bytes = d.body.size > HEX_LIMIT ? d.body.base64.slice(0, (HEX_LIMIT / 3) * 4) : d.body.base64;
    views.push(['Hex', R.hexDump(bytes) + (d.body.size > HEX_LIMIT ? '\n… (first 64 KB; download the body for all of it)' : '')]);
    var note =
      d.body.text === null
        ? 'The body is not UTF-8 text: shown as bytes; Copy body copies them as base64.'
        : tree
          ? 'Raw is the exact text received (what Copy body copies); Tree and Pretty re-format it.'
          : 'Raw is the exact text received.';
    var cut = d.body.truncated;
    if (cut)
      note =
        'Only the first ' +
        R.fmtBytes(d.body.size) +
        ' of ' +
        R.fmtBytes(cut.receivedSize) +
        ' were kept: the request failed the webhook key check. SHA-256 of the whole body: ' +
        cut.sha256 +
        '.';
    var tools = h(
      'div',
      { class: 'section-tools' },
      R.copyButton(d.body.text === null ? 'Copy body (base64)' : 'Copy body', d.body.text === null ? d.body.base64 : d.body.text, { id: 'copy-body' }),
      tree
        ? h(
            'button',
            {
              type: 'button',
              id: 'tree-expand',
              onclick: function () {
                R.setTreeOpen(tree, true);
              },
            },
            'Expand all',
          )
        : null,
      tree
        ? h(
            'button',
            {
              type: 'button',
              id: 'tree-collapse',
              onclick: function () {
                R.setTreeOpen(tree, false);
              },
            },
            'Collapse all',
          )
        : null,
    );
    return R.section('Body · ' + R.fmtBytes(cut ? cut.receivedSize : d.body.size), [tools, R.tabs(views), h('p', { class: 'muted small' }, note)]);
  }

  /** The headers as a sender would write them: one "name: value" line each. */
  function headersText(d) {
    var lines = [];
    Object.keys(d.headers).forEach(function (name) {
      [].concat(d.headers[name]).forEach(function (value) {
        lines.push(name + ': ' + value);
      });
    });
    return lines.join('\n');
  }

  function headersSection(d) {
    var rows = [];
    Object.keys(d.headers).forEach(function (name) {
      [].concat(d.headers[name]).forEach(function (value) {
        rows.push([h('span', { class: 'mono' }, name), h('span', { class: 'mono wrap' }, value)]);
      });
    });
    return R.section('Headers', [
      h('div', { class: 'section-tools' }, R.copyButton('Copy headers', headersText(d), { id: 'copy-headers' })),
      R.table(['Name', 'Value'], rows),
      h('p', { class: 'muted small' }, 'Secrets (Authorization, cookies, webhook tokens, signatures) are stored masked.'),
    ]);
  }

  function answerSection(d) {
    return R.section('Our answer', [
      R.dl([
        ['Status', R.statusCell(d.status)],
        ['Outcome', R.badge(d)],
        ['Latency', R.fmtMs(d.durationMs)],
      ]),
      h('pre', { class: 'code' }, R.pretty(d.response.body)),
    ]);
  }

  function eventSection(d, on) {
    var e = d.event;
    if (!e)
      return R.section('Event', h('p', { class: 'muted' }, d.outcome === 'captured' ? 'Captured by a bin: no event.' : 'No event: the request was rejected.'));
    var relation = {
      created: 'created by this request',
      duplicate: 'this request repeated it (nothing applied twice)',
      conflict: 'this request conflicts with it (same identity, other content)',
    }[e.relation];
    var entries = e.ledgerEntries.map(function (x) {
      return [
        x.kind,
        String(x.quantity),
        h('span', { class: 'mono' }, x.productId),
        x.userId,
        x.environment,
        x.amount === null ? null : String(x.amount),
        R.fmtDate(x.createdAt),
      ];
    });
    return R.section('Event', [
      R.dl([
        ['Event', h('span', { class: 'mono' }, e.eventId || e.id)],
        ['Relation', relation],
        ['Type', e.type],
        ['Status', h('span', { class: 'badge event-' + e.status }, e.status)],
        ['Environment', e.environment],
        ['User', e.userId],
        ['Product', e.productId],
        ['iapLogId', e.iapLogId === null ? null : String(e.iapLogId)],
        ['Dedupe key', h('span', { class: 'mono wrap' }, e.dedupeKey)],
        ['Applied', e.appliedAt ? R.fmtDateTime(e.appliedAt) : null],
        ['Error', e.error || undefined],
        [
          'First request',
          e.rawRequestId && e.rawRequestId !== d.id
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  onclick: function () {
                    on.open(e.rawRequestId);
                  },
                },
                e.rawRequestId,
              )
            : undefined,
        ],
      ]),
      h('h4', null, 'Ledger entries'),
      entries.length
        ? R.table(['Kind', 'Qty', 'Product', 'User', 'Env', 'Amount', 'At'], entries)
        : h('p', { class: 'muted' }, e.status === 'held' ? 'None yet: held until its purchase arrives.' : 'None.'),
    ]);
  }

  function attemptsSection(d) {
    if (!d.deliveryAttempts.length) return null;
    var rows = d.deliveryAttempts.map(function (a) {
      return [
        a.webhookName + ' · try ' + a.attempt,
        a.outcome,
        a.statusCode === null ? null : String(a.statusCode),
        R.fmtMs(a.latencyMs),
        a.errorClass ? a.errorClass + ': ' + (a.errorMessage || '') : null,
        R.fmtDate(a.startedAt),
      ];
    });
    return R.section('Outbound delivery attempts', R.table(['Attempt', 'Outcome', 'Status', 'Latency', 'Error', 'Started'], rows));
  }

  function actions(d, on) {
    var result = h('span', { id: 'action-result', class: 'action-result', role: 'status', 'aria-live': 'polite' });
    var title = !d.replayable.ok
      ? d.replayable.reason
      : keyFailed(d)
        ? 'Run the stored bytes through the receiver again (asks first: they never passed the webhook key check)'
        : 'Run the stored bytes through the receiver again';
    var replay = h(
      'button',
      {
        type: 'button',
        id: 'replay',
        disabled: !d.replayable.ok,
        title: title,
        onclick: function () {
          on.replay(d, replay, result);
        },
      },
      'Replay',
    );
    var copy = h(
      'button',
      {
        type: 'button',
        id: 'copy-curl',
        onclick: function () {
          on.copyCurl(d, result);
        },
      },
      'Copy as cURL',
    );
    var download = d.body ? h('a', { class: 'button', href: '/api/inspector/requests/' + d.id + '/body', download: d.id + '.body' }, 'Download body') : null;
    return h('div', { class: 'detail-actions' }, copy, replay, download, result);
  }

  function keyFailed(d) {
    return d.reason === 'unauthorized' || d.acceptedUnverified;
  }
  function keyText(d) {
    if (d.keyFingerprint) return 'fingerprint ' + d.keyFingerprint;
    if (d.acceptedUnverified) return 'not verified: an admin accepted this replay of a request that failed the key check';
    return d.reason === 'unauthorized' ? 'failed the check' : null;
  }

  function render(d, on) {
    var overview = R.dl([
      ['Received', R.fmtDateTime(d.receivedAt)],
      ['Request', d.id, 'mono'],
      ['Source', d.source],
      [
        'Replay of',
        d.replayOf
          ? h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: function () {
                  on.open(d.replayOf);
                },
              },
              d.replayOf,
            )
          : undefined,
      ],
      ['Bin', d.binId || undefined, 'mono'],
      ['From', d.remoteAddr, 'mono'],
      ['Key', keyText(d)],
      ['X-Request-Id', d.requestId, 'mono'],
    ]);
    return h(
      'article',
      { class: 'detail', dataset: { id: d.id } },
      h('h2', null, h('span', { class: 'mono' }, d.method + ' ' + d.path + (d.query ? '?' + d.query : '')), ' ', R.statusCell(d.status), ' ', R.badge(d)),
      actions(d, on),
      R.section('Overview', overview),
      answerSection(d),
      eventSection(d, on),
      attemptsSection(d),
      headersSection(d),
      bodySection(d),
      R.section(
        'cURL',
        [h('pre', { class: 'code', id: 'curl' }, d.curl), h('p', { class: 'muted small' }, 'Masked secrets are shell variables: set them before running it.')],
        false,
      ),
    );
  }

  window.InspectorDetail = { render: render };
})();
