/**
 * The dashboard's client script, as the text of one inline <script> (dashboard.ts embeds it).
 *
 * It reads `GET live` (server-sent `snapshot` events, the `Snapshot` of types.ts) with a
 * streaming fetch(), not EventSource, so that it can send `Authorization: Bearer <token>`. On a
 * 401 it shows the token form and keeps the token in sessionStorage (never in the URL). When the
 * stream ends, fails, or says nothing for STALE_MS, it reconnects after a backoff of 250 ms
 * doubling to 5 s (back to 250 ms after a snapshot arrives).
 *
 * Every piece of snapshot text reaches the page through textContent or setAttribute: actor paths,
 * messages and reasons are user data, and no string of theirs is ever parsed as HTML.
 *
 * Plain ES2020 for any current browser; written without backticks or dollar-brace so that it
 * can live in a String.raw template. URLs are relative, so the page works behind a path prefix.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var TOKEN_KEY = 'troupe.dashboard.token';
  /** A row stays marked failing this long after its failed count last grew. */
  var FAILING_MS = 5000;
  /** No snapshot for this long: the stream is taken for dead and reopened. */
  var STALE_MS = 5000;
  var BACKOFF_MIN_MS = 250, BACKOFF_MAX_MS = 5000;
  var LIST_LIMIT = 20;

  var $ = function (id) { return document.getElementById(id); };
  var prev = new Map();      // path -> { processed, failed, time } from the previous snapshot
  var failedAt = new Map();  // path -> page time its failed count last grew
  var backoff = BACKOFF_MIN_MS;
  var lastSnapshotAt = 0;
  var current = null;        // the AbortController of the open stream
  var retryTimer = null;

  /** An element: attrs set with setAttribute (class via 'class'), children appended as text or nodes. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(parent, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(parent, x); }); return; }
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  /** A class-name-safe form of a word from the server. */
  function cls(word) { return String(word).toLowerCase().replace(/[^a-z0-9-]/g, '_'); }
  function clock(t) { return t ? new Date(t).toLocaleTimeString() : '–'; }
  function num(n) { return typeof n === 'number' ? n.toLocaleString() : '–'; }
  function chips(record) {
    var keys = Object.keys(record || {}).sort(function (a, b) { return record[b] - record[a]; });
    if (keys.length === 0) return el('span', { class: 'muted' }, 'none');
    return keys.map(function (k) { return el('span', { class: 'chip c-' + cls(k) }, k + ' ', el('b', null, num(record[k]))); });
  }
  function table(head, rows, empty) {
    if (rows.length === 0) return el('p', { class: 'muted' }, empty);
    return el('table', null, el('thead', null, el('tr', null, head.map(function (h) { return el('th', null, h); }))), el('tbody', null, rows));
  }

  // ---- token ----
  function token() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function authHeaders() { var t = token(); return t ? { Authorization: 'Bearer ' + t } : {}; }
  function askToken(refused) {
    $('token-error').textContent = refused ? 'That token was refused.' : '';
    $('token-form').hidden = false;
    setConn('needs a token', 'warn');
    $('token-input').focus();
  }
  $('token-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = $('token-input').value.trim();
    if (!t) return;
    try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode: the token lives only in this try */ }
    $('token-input').value = '';
    $('token-form').hidden = true;
    reconnect(0);
  });

  // ---- the stream ----
  function setConn(text, kind) { var c = $('conn'); c.textContent = text; c.className = 'conn ' + (kind || ''); }
  function reconnect(delay) {
    if (retryTimer !== null) clearTimeout(retryTimer);
    // Cleared before the abort, so that the aborted connect() does not schedule a retry of its own.
    var old = current;
    current = null;
    if (old) old.abort();
    retryTimer = setTimeout(function () { retryTimer = null; connect(); }, delay);
  }
  function retryLater(why) {
    var d = backoff;
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    setConn(why + ': reconnecting in ' + (d / 1000).toFixed(1) + ' s', 'bad');
    reconnect(d);
  }
  async function connect() {
    var ctl = new AbortController();
    current = ctl;
    try {
      var res = await fetch('live', { headers: authHeaders(), cache: 'no-store', signal: ctl.signal });
      if (res.status === 401) { askToken(token() !== null); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      setConn('connected', 'ok');
      lastSnapshotAt = Date.now();
      var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      var buf = '';
      for (;;) {
        var r = await reader.read();
        if (r.done) break;
        buf += r.value;
        var m;
        while ((m = /\r?\n\r?\n/.exec(buf)) !== null) {
          onEvent(buf.slice(0, m.index));
          buf = buf.slice(m.index + m[0].length);
        }
      }
      if (current === ctl) retryLater('the stream ended');
    } catch (e) {
      if (current === ctl) retryLater(ctl.signal.aborted ? 'no data' : 'offline');
    }
  }
  /** One server-sent event: its lines 'event: x' and 'data: y' (several data lines join with newlines). */
  function onEvent(block) {
    var type = 'message', data = [];
    block.split(/\r?\n/).forEach(function (line) {
      var i = line.indexOf(':');
      if (i === 0) return; // a comment (keep-alive)
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    });
    if (type !== 'snapshot' || data.length === 0) return;
    var s;
    try { s = JSON.parse(data.join('\n')); } catch (e) { console.warn('troupe dashboard: a snapshot that is not JSON', e); return; }
    lastSnapshotAt = Date.now();
    backoff = BACKOFF_MIN_MS;
    setConn('live', 'ok');
    try { render(s); } catch (e) { console.error('troupe dashboard: cannot show a snapshot', e); }
  }
  setInterval(function () {
    if (!current || retryTimer !== null || !$('token-form').hidden || lastSnapshotAt === 0) return;
    var age = Date.now() - lastSnapshotAt;
    if (age > STALE_MS) { current.abort(); } // connect()'s catch reconnects
    else if (age > 2500) setConn('no data for ' + Math.round(age / 1000) + ' s', 'warn');
  }, 1000);

  // ---- rendering ----
  function render(s) {
    renderHealth(s);
    renderAlerts(s.alerts);
    renderTree(s);
    renderWorkers(s.actors.workers);
    renderNats(s.nats);
    renderDeadLetters(s.deadLetters);
    renderErrors(s.errors);
  }

  function renderHealth(s) {
    var h = s.health;
    $('banner').className = 'banner status-' + cls(h.status);
    $('health-status').textContent = h.status;
    $('system-name').textContent = s.system;
    $('node-name').textContent = s.node ? 'node ' + s.node : '';
    $('health-summary').textContent = num(h.actors) + ' actors · ' + h.workers.alive + '/' + h.workers.total + ' workers alive · ' +
      num(h.processed) + ' processed · ' + num(h.failed) + ' failed · ' + num(h.restarts) + ' restarts · ' +
      num(h.deadLetters) + ' dead letters · ' + (h.successRate * 100).toFixed(2) + ' % success';
    $('health-reasons').replaceChildren.apply($('health-reasons'), h.reasons.map(function (r) { return el('li', null, r); }));
    document.title = h.status + ' · ' + s.system + ' · troupe';
  }

  function alertEl(a, active) {
    return el('div', { class: 'alert sev-' + cls(a.severity) + (active ? '' : ' past'), 'data-alert': a.name, 'data-severity': a.severity },
      el('b', null, a.name), ' ', el('span', { class: 'sev' }, a.severity), ' ', a.message,
      el('span', { class: 'when' }, active ? 'since ' + clock(a.firedAt) : clock(a.firedAt) + ' – ' + clock(a.resolvedAt)));
  }
  function renderAlerts(alerts) {
    var box = $('alerts-active');
    box.replaceChildren.apply(box, alerts.active.length === 0 ? [el('p', { class: 'muted' }, 'No active alerts.')]
      : alerts.active.map(function (a) { return alertEl(a, true); }));
    var hist = $('alerts-history');
    hist.replaceChildren.apply(hist, alerts.history.length === 0 ? [el('p', { class: 'muted' }, 'None yet.')]
      : alerts.history.slice(0, LIST_LIMIT).map(function (a) { return alertEl(a, false); }));
    $('alerts-history-count').textContent = '(' + alerts.history.length + ')';
  }

  function renderTree(s) {
    var rows = s.actors.actors, now = Date.now(), seen = new Map();
    var byPath = new Map(rows.map(function (r) { return [r.path, r]; }));
    var kids = new Map(), roots = [];
    rows.forEach(function (r) {
      if (r.parent !== null && r.parent !== r.path && byPath.has(r.parent)) {
        if (!kids.has(r.parent)) kids.set(r.parent, []);
        kids.get(r.parent).push(r);
      } else roots.push(r);
    });
    var byName = function (a, b) { return a.path < b.path ? -1 : a.path > b.path ? 1 : 0; };
    var out = [], visited = new Set();
    function walk(r, depth) {
      if (visited.has(r.path)) return;
      visited.add(r.path);
      out.push(row(r, depth));
      (kids.get(r.path) || []).sort(byName).forEach(function (c) { walk(c, depth + 1); });
    }
    function row(r, depth) {
      var p = prev.get(r.path), rate = null;
      if (p && r.failed > p.failed) failedAt.set(r.path, now);
      if (p && s.time > p.time) rate = Math.max(0, (r.processed - p.processed) * 1000 / (s.time - p.time));
      seen.set(r.path, { processed: r.processed, failed: r.failed, time: s.time });
      var breaker = r.breaker === null ? 'none' : r.breaker;
      var failing = (r.breaker !== null && r.breaker !== 'closed') || now - (failedAt.get(r.path) || -Infinity) < FAILING_MS;
      var label = depth === 0 ? r.path : r.path.slice(r.parent.length);
      return el('tr', { 'data-path': r.path, 'data-breaker': breaker, class: failing ? 'failing' : null },
        el('td', { class: 'path', title: r.path + (r.name ? ' (name ' + r.name + ')' : '') + ' · ' + r.children + ' children, ' + r.subtree + ' below' },
          el('span', { style: 'padding-left:' + (depth * 1.25) + 'em' }, depth > 0 ? '└ ' : '', label),
          r.backpressured ? el('span', { class: 'tag warn' }, 'backpressured') : null),
        el('td', null, r.type),
        el('td', { class: 'n' }, r.worker < 0 ? 'pool' : r.worker),
        el('td', { class: 'n' + (r.mailbox > 1000 ? ' hot' : '') }, num(r.mailbox)),
        el('td', { class: 'n' }, rate === null ? '…' : rate === 0 ? '0' : rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString()),
        el('td', { class: 'n' + (r.failed > 0 ? ' bad-text' : '') }, num(r.failed)),
        el('td', { class: 'n' }, num(r.restarts)),
        el('td', null, el('span', { class: 'breaker b-' + cls(breaker) }, breaker === 'none' ? '–' : breaker)));
    }
    roots.sort(byName).forEach(function (r) { walk(r, 0); });
    prev = seen;
    failedAt.forEach(function (t, path) { if (now - t >= FAILING_MS) failedAt.delete(path); });
    var body = $('tree-body');
    body.replaceChildren.apply(body, out.length ? out : [el('tr', null, el('td', { colspan: 8, class: 'muted' }, 'No actors.'))]);
    $('actors-count').textContent = rows.length === s.actors.total ? num(s.actors.total) + ' actors'
      : 'showing ' + num(rows.length) + ' of ' + num(s.actors.total) + ' (the busiest)';
    $('backpressured').textContent = s.actors.backpressured > 0 ? s.actors.backpressured + ' backpressured' : '';
  }

  function renderWorkers(workers) {
    var box = $('workers');
    box.replaceChildren(table(['worker', 'state', 'actors', 'queued', 'busy', 'heap MB'], workers.map(function (w) {
      var busy = Math.round(Math.max(0, Math.min(1, w.busy)) * 100);
      return el('tr', { class: w.alive ? null : 'failing', 'data-worker': w.worker },
        el('td', { class: 'n' }, w.worker, w.dedicated ? el('span', { class: 'tag' }, 'dedicated') : null),
        el('td', { class: w.alive ? 'ok-text' : 'bad-text' }, w.alive ? 'alive' : 'dead'),
        el('td', { class: 'n' }, num(w.actors)),
        el('td', { class: 'n' }, num(w.queued)),
        el('td', { class: 'n' }, el('span', { class: 'meter' }, el('span', { style: 'width:' + busy + '%' })), busy + ' %'),
        el('td', { class: 'n' }, (w.heapUsed / 1048576).toFixed(1) + ' / ' + (w.heapTotal / 1048576).toFixed(1)));
    }), 'No workers.'));
  }

  function renderNats(n) {
    var box = $('nats');
    if (n === null) box.replaceChildren(el('span', { class: 'muted' }, 'embedded (no NATS)'));
    else box.replaceChildren(el('span', { class: n.connected ? 'ok-text' : 'bad-text' }, n.connected ? 'connected' : 'disconnected'),
      ' · outbox ', el('b', null, num(n.outbox)));
  }

  function renderDeadLetters(d) {
    $('dl-total').textContent = num(d.total);
    var reasons = $('dl-reasons');
    reasons.replaceChildren.apply(reasons, [].concat(chips(d.byReason)));
    $('replay').hidden = !d.replay;
    $('dl-recent').replaceChildren(table(['time', 'reason', 'target', 'sender', 'message', 'error'], d.recent.slice(0, LIST_LIMIT).map(function (x) {
      return el('tr', null, el('td', null, clock(x.time)), el('td', null, x.reason), el('td', { class: 'path' }, x.target),
        el('td', { class: 'path' }, x.sender || '–'), el('td', { class: 'msg' }, x.message), el('td', { class: 'msg' }, x.error || ''));
    }), 'No dead letters.'));
  }
  $('replay').addEventListener('click', async function () {
    var btn = $('replay'), out = $('replay-result');
    btn.disabled = true;
    out.textContent = 'replaying…';
    try {
      var res = await fetch('dead-letters/replay', { method: 'POST', headers: authHeaders(), cache: 'no-store' });
      if (res.status === 401) { out.textContent = 'refused: a token is needed'; askToken(token() !== null); return; }
      var text = await res.text();
      var body = null;
      try { body = JSON.parse(text); } catch (e) { /* not JSON: shown as text */ }
      out.textContent = res.ok && body ? 'replayed ' + body.replayed + ', skipped ' + body.skipped : 'HTTP ' + res.status + ': ' + text.slice(0, 200);
    } catch (e) {
      out.textContent = 'failed: ' + e.message;
    } finally {
      btn.disabled = false;
    }
  });

  function renderErrors(e) {
    var t = e.totals;
    $('err-total').textContent = num(t.total) + ' in 24 h' + (t.source === 'nats' ? ' (all nodes)' : ' (this node)');
    var sev = $('err-severity'), cat = $('err-category');
    sev.replaceChildren.apply(sev, [].concat(chips(t.bySeverity)));
    cat.replaceChildren.apply(cat, [].concat(chips(t.byCategory)));
    var max = Math.max.apply(null, [1].concat(t.hourly));
    var bars = t.hourly.map(function (n, i) {
      var ago = t.hourly.length - 1 - i;
      return el('span', { class: 'bar', title: n + ' event(s), ' + (ago === 0 ? 'this hour' : ago + ' h ago') },
        el('span', { style: 'height:' + (n === 0 ? 0 : Math.max(4, Math.round(n / max * 100))) + '%' }));
    });
    $('err-hourly').replaceChildren.apply($('err-hourly'), bars);
    var recent = e.recent.slice().sort(function (a, b) { return b.time - a.time; }).slice(0, LIST_LIMIT);
    $('err-recent').replaceChildren(table(['time', 'severity', 'category', 'actor', 'message'], recent.map(function (x) {
      return el('tr', null, el('td', null, clock(x.time)), el('td', null, el('span', { class: 'chip c-' + cls(x.severity) }, x.severity)),
        el('td', null, x.category), el('td', { class: 'path' }, x.actor || '–'), el('td', { class: 'msg' }, x.message));
    }), 'No error events.'));
  }

  if (!window.fetch || !window.TextDecoderStream) setConn('this browser cannot read the live stream', 'bad');
  else connect();
})();
`;
