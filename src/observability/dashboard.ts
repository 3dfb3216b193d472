/**
 * The live dashboard: one self-contained HTML page (inline CSS and script; no CDN, no web fonts,
 * so it works offline) that the observability server serves at `GET /`. The page reads the
 * server's live stream (`GET /live`, a `Snapshot` a second, see types.ts) and shows at a glance
 * what is wrong: health, active alerts, the supervision tree with failing actors and open
 * breakers marked, workers, NATS, dead letters (with replay when the system has NATS) and error
 * events. The client script is dashboard-script.ts.
 *
 * Hooks that tests and scripts may rely on: `#health-status` holds the status word; each actor
 * row has `data-path` and `data-breaker` (`closed`, `open`, `half-open` or `none`) and the class
 * `failing` while its breaker is not closed or for 5 s after its failed count grew; each active
 * alert in `#alerts-active` has `data-alert="<name>"`; the token form is `#token-form`.
 */
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

const STYLE = `
:root { --bg: #f6f7f9; --fg: #1d2330; --muted: #6b7385; --card: #fff; --line: #e2e5ea;
  --ok: #1f8a4c; --warn: #b7791f; --bad: #c53030; --stop: #5a6270; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header.banner { padding: 10px 16px; color: #fff; background: var(--stop); display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; }
.banner.status-healthy { background: var(--ok); } .banner.status-degraded { background: var(--warn); }
.banner.status-critical { background: var(--bad); } .banner.status-stopped { background: var(--stop); }
#health-status { font-size: 20px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; }
#system-name { font-size: 16px; font-weight: 600; }
#health-summary { flex-basis: 100%; opacity: .92; }
#health-reasons { flex-basis: 100%; margin: 0; padding-left: 18px; font-weight: 600; }
#health-reasons:empty { display: none; }
.conn { margin-left: auto; font-size: 12px; padding: 1px 8px; border-radius: 9px; background: rgba(0,0,0,.18); }
.conn.bad, .conn.warn { background: #000; }
main { padding: 12px 16px; display: grid; gap: 12px; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
@media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } }
h2 { font-size: 13px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
h2 span { text-transform: none; letter-spacing: 0; font-weight: 400; margin-left: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.path { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
td.msg { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-word; max-width: 28em; }
tr.failing { background: #fde8e8; } tr.failing td.path { color: var(--bad); font-weight: 700; }
tr.failing td.path::before { content: "\\25CF  "; color: var(--bad); }
.hot, .bad-text { color: var(--bad); font-weight: 600; } .ok-text { color: var(--ok); }
.breaker { padding: 0 6px; border-radius: 8px; font-size: 12px; }
.b-closed { background: #e6f4ea; color: var(--ok); } .b-open { background: var(--bad); color: #fff; font-weight: 700; }
.b-half-open { background: #fff3cd; color: #7a5200; font-weight: 700; }
.tag { margin-left: 6px; padding: 0 5px; border-radius: 8px; font-size: 11px; background: var(--line); color: var(--fg); font-family: system-ui, sans-serif; }
.tag.warn { background: #fff3cd; color: #7a5200; }
.chip { display: inline-block; margin: 0 6px 4px 0; padding: 1px 8px; border-radius: 9px; background: var(--line); }
.c-critical, .c-fatal { background: var(--bad); color: #fff; } .c-error { background: #fde8e8; color: var(--bad); }
.c-warn, .c-warning { background: #fff3cd; color: #7a5200; }
.muted { color: var(--muted); margin: 0; }
.alert { border-left: 5px solid var(--warn); background: #fff8e6; padding: 6px 10px; margin-bottom: 6px; border-radius: 3px; }
.alert.sev-critical { border-color: var(--bad); background: #fde8e8; } .alert.sev-info { border-color: #3182ce; background: #ebf4ff; }
.alert.past { opacity: .7; background: transparent; }
.alert .sev { font-size: 11px; text-transform: uppercase; color: var(--muted); }
.alert .when { float: right; color: var(--muted); font-size: 12px; }
#alerts-active .alert { font-size: 14px; }
details summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
.meter { display: inline-block; width: 48px; height: 8px; background: var(--line); border-radius: 4px; margin-right: 6px; vertical-align: middle; overflow: hidden; }
.meter span { display: block; height: 100%; background: #3182ce; }
#err-hourly { display: flex; align-items: flex-end; gap: 2px; height: 48px; margin: 6px 0 10px; border-bottom: 1px solid var(--line); }
#err-hourly .bar { flex: 1; height: 100%; display: flex; align-items: flex-end; }
#err-hourly .bar span { display: block; width: 100%; background: var(--bad); border-radius: 2px 2px 0 0; }
.row { margin: 4px 0; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--card); cursor: pointer; }
#token-form { margin: 24px auto; max-width: 360px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 16px; }
#token-form input { font: inherit; padding: 4px 6px; width: 100%; margin: 6px 0 10px; }
#token-error { color: var(--bad); margin: 0 0 8px; }
#token-error:empty { display: none; }
`;

const BODY = `
<header id="banner" class="banner status-unknown">
  <span id="health-status">connecting</span>
  <span id="system-name">troupe</span>
  <span id="node-name"></span>
  <span id="conn" class="conn">connecting…</span>
  <span id="health-summary"></span>
  <ul id="health-reasons"></ul>
</header>
<form id="token-form" hidden autocomplete="off">
  <label for="token-input"><b>This dashboard needs a token.</b></label>
  <input id="token-input" name="token" type="password" autocomplete="current-password" placeholder="token">
  <p id="token-error"></p>
  <button type="submit">Connect</button>
</form>
<main>
  <section class="wide" id="alerts">
    <h2>Alerts</h2>
    <div id="alerts-active"><p class="muted">Waiting for data…</p></div>
    <details><summary>History <span id="alerts-history-count"></span></summary><div id="alerts-history"></div></details>
  </section>
  <section class="wide">
    <h2>Supervision tree <span id="actors-count"></span> <span id="backpressured"></span></h2>
    <table id="tree">
      <thead><tr><th>path</th><th>type</th><th class="n">worker</th><th class="n">mailbox</th><th class="n">msg/s</th>
        <th class="n">failed</th><th class="n">restarts</th><th>breaker</th></tr></thead>
      <tbody id="tree-body"></tbody>
    </table>
  </section>
  <section>
    <h2>Error events <span id="err-total"></span></h2>
    <div class="row">severity: <span id="err-severity"></span></div>
    <div class="row">category: <span id="err-category"></span></div>
    <div id="err-hourly" title="events per hour, the last 24 hours"></div>
    <div id="err-recent"></div>
  </section>
  <section>
    <h2>Workers</h2>
    <div id="workers"></div>
    <h2 style="margin-top:14px">NATS</h2>
    <div id="nats"></div>
  </section>
  <section class="wide">
    <h2>Dead letters <span id="dl-total"></span></h2>
    <div class="row"><span id="dl-reasons"></span>
      <button id="replay" type="button" hidden>Replay</button> <span id="replay-result"></span></div>
    <div id="dl-recent"></div>
  </section>
</main>
`;

/** The dashboard page: self-contained HTML (about 23 KB), the same for every request. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>troupe</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
