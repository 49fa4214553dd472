/// The dashboard's page, stylesheet and script, embedded in the binary (no file to install,
/// nothing fetched from the internet). The page holds no secret: the kill switch token is
/// typed by the operator and sent only in the request's `Authorization` header.
///
/// The page is built to stay small when left open: the screener's rows and cells are made once
/// and updated in place (a text node's data, a chip's class), sorting moves the existing rows,
/// a row's flash is a class toggled on and off (a CSS transition), hidden views are not drawn,
/// and a view's HTML is replaced only when it changed. Nothing grows with time: the client keeps
/// one row object per symbol and the latest tick.
enum DashboardPage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strategy host — live</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>Strategy host</h1>
  <nav>
    <button data-view="screener" class="active">Screener</button>
    <button data-view="trading">Trading</button>
    <button data-view="charts">Charts</button>
    <button data-view="health">Health</button>
  </nav>
  <span id="kill-badge" class="badge">kill switch: –</span>
  <span id="conn" class="badge off">connecting…</span>
  <span id="clock" class="muted"></span>
</header>
<main>
<section id="view-screener" class="view active">
  <div class="toolbar"><input id="filter" type="search" placeholder="Filter symbols…" autocomplete="off"> <span id="row-count" class="muted"></span></div>
  <table id="screener" class="grid">
    <thead><tr>
      <th data-sort="s">Symbol</th><th data-sort="p" class="num">Price</th><th data-sort="ch" class="num">24h</th>
      <th>Triggers (age)</th><th data-sort="qs" class="num">QDE</th><th>TP / SL</th><th data-sort="qc" class="num">Conf</th>
      <th>Trade</th><th>Icebergs near</th><th data-sort="u" class="num">Updated</th>
    </tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="view-trading" class="view">
  <div id="kill-panel" class="panel"></div>
  <div id="instances"></div>
</section>
<section id="view-charts" class="view">
  <div class="toolbar">
    <label>Symbol <select id="chart-symbol"></select></label>
    <label>Timeframe <select id="chart-tf"></select></label>
  </div>
  <div id="candles" class="chart"></div>
  <h2>Equity curve</h2>
  <div id="equity" class="chart"></div>
  <div id="stats-summary" class="muted"></div>
  <div class="tables">
    <div><h3>Win rate by market</h3><table id="by-market" class="grid small"></table></div>
    <div><h3>By hour (UTC)</h3><table id="by-hour" class="grid small"></table></div>
    <div><h3>By weekday (UTC)</h3><table id="by-weekday" class="grid small"></table></div>
  </div>
</section>
<section id="view-health" class="view">
  <div id="health"></div>
</section>
</main>
</body>
</html>
"""#

    static let style = #"""
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; font-size: 13px; }
header { display: flex; align-items: center; gap: 14px; padding: 8px 16px; background: #1d2330; color: #fff; position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 15px; margin: 0 10px 0 0; }
nav button { background: transparent; color: #cfd6e4; border: 0; padding: 6px 10px; font-size: 13px; cursor: pointer; border-radius: 4px; }
nav button.active { background: #3a4560; color: #fff; }
.badge { padding: 3px 8px; border-radius: 10px; background: #3a4560; font-size: 12px; }
.badge.on { background: #17803d; } .badge.off { background: #9a6700; } .badge.halted { background: #c0262d; }
.muted { color: #777; } header .muted { color: #aab; }
main { padding: 12px 16px; }
.view { display: none; } .view.active { display: block; }
.toolbar { margin-bottom: 8px; display: flex; gap: 14px; align-items: center; }
input[type=search], input[type=password], select { padding: 4px 6px; border: 1px solid #bbb; border-radius: 4px; font-size: 13px; }
table.grid { border-collapse: collapse; background: #fff; width: 100%; }
table.grid th, table.grid td { padding: 3px 8px; border-bottom: 1px solid #e3e5ea; text-align: left; white-space: nowrap; }
table.grid th { background: #eceef2; position: sticky; top: 40px; cursor: default; font-weight: 600; }
table.grid th[data-sort] { cursor: pointer; }
table.grid th.sorted::after { content: " ▾"; } table.grid th.sorted.asc::after { content: " ▴"; }
table.small { width: auto; }
.num { text-align: right !important; font-variant-numeric: tabular-nums; }
.gain { color: #17803d; } .loss { color: #c0262d; }
.chip { display: inline-block; padding: 0 5px; margin-right: 3px; border-radius: 3px; background: #eef; font-size: 12px; }
.chip.up { background: #e2f4e8; } .chip.down { background: #fbe5e6; }
#screener tbody tr { transition: background-color .8s ease-out; }
#screener tbody tr.flash { background-color: #fff3b0; transition: none; }
.panel { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; }
.instance { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; }
.instance h3 { margin: 0 0 6px; font-size: 14px; }
.figures { display: flex; gap: 22px; margin: 6px 0 10px; flex-wrap: wrap; }
.figures div b { display: block; font-size: 15px; }
.chart { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: 6px; display: inline-block; min-width: 300px; min-height: 60px; }
.tables { display: flex; gap: 18px; flex-wrap: wrap; margin-top: 12px; }
h2 { font-size: 14px; margin: 16px 0 6px; } h3 { font-size: 13px; margin: 10px 0 4px; }
button.act { padding: 5px 12px; border-radius: 4px; border: 1px solid #888; background: #fff; cursor: pointer; }
button.danger { background: #c0262d; color: #fff; border-color: #a01d23; }
meter { width: 90px; vertical-align: middle; }
.kill-controls { margin-left: 16px; }
"""#

    static let script = #"""
'use strict';
(function () {
  const S = { rows: new Map(), trs: new Map(), now: 0, sortKey: 's', sortDir: 1, filter: '', needsSort: false,
              trading: null, stats: null, health: null, chartSymbol: null, tf: '1m', equityTrades: -1, view: 'screener',
              snapshots: 0, messages: 0, firstRowsAt: null, flashing: new Set(), flashed: new Set() };
  window.__dash = S;
  const $ = (id) => document.getElementById(id);
  const esc = (t) => String(t == null ? '' : t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const num = (v, d) => (v == null || v === '' ? '–' : Number(v).toFixed(d));
  const price = (v) => v == null ? '–' : (Math.abs(v) >= 1000 ? Number(v).toFixed(2) : Math.abs(v) >= 1 ? Number(v).toFixed(4) : Number(v).toFixed(4));
  const signed = (v, d) => { if (v == null || v === '') return '–'; const n = Number(v); const c = n > 0 ? 'gain' : n < 0 ? 'loss' : ''; return '<span class="' + c + '">' + (n > 0 ? '+' : '') + n.toFixed(d) + '</span>'; };
  const pct = (v) => v == null ? '–' : signed(v * 100, 2) + '%';
  function age(at) {
    if (!at || !S.now) return '';
    const s = Math.max(0, (S.now - at) / 1e9);
    return s < 60 ? s.toFixed(0) + 's' : s < 3600 ? (s / 60).toFixed(0) + 'm' : s < 86400 ? (s / 3600).toFixed(1) + 'h' : (s / 86400).toFixed(1) + 'd';
  }
  function utc(ns) { if (!ns) return ''; return new Date(ns / 1e6).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'; }

  // ---- Screener ----
  // Each row's cells are built once and then updated in place: a text node's data is set, a
  // chip list reuses its <span>s. A pushed update makes no nodes (nothing for the collector to
  // pile up) unless a chip list grows; sorting moves the existing rows.
  function setText(el, s) {
    const n = el.firstChild;
    if (n && n.nodeType === 3 && !n.nextSibling) { if (n.data !== s) n.data = s; } else el.textContent = s;
  }
  function setClass(el, c) { if (el.className !== c) el.className = c; }
  // items: [class, text] pairs, drawn as <span class="chip ...">; a plain text first (the symbol) is kept apart.
  function setChips(td, items, lead) {
    let node = td.firstChild;
    if (lead != null) {
      if (!node || node.nodeType !== 3) { node = document.createTextNode(''); td.insertBefore(node, td.firstChild); }
      if (node.data !== lead) node.data = lead;
      node = node.nextSibling;
    }
    for (const [c, t] of items) {
      if (!node) { node = document.createElement('span'); td.appendChild(node); }
      setClass(node, 'chip ' + c);
      setText(node, t);
      node = node.nextSibling;
    }
    while (node) { const next = node.nextSibling; td.removeChild(node); node = next; }
  }
  const NUMERIC = [false, true, true, false, true, false, true, false, false, true];
  function newRow(s) {
    const tr = document.createElement('tr');
    tr.dataset.s = s;
    for (let i = 0; i < NUMERIC.length; i++) { const td = tr.insertCell(); if (NUMERIC[i]) td.className = 'num'; }
    return tr;
  }
  function drawRow(tr, r) {
    const c = tr.cells;
    const flags = [];
    if (r.stale) flags.push(['down', 'stale']);
    if (r.w === true) flags.push(['up', 'watch']);
    setChips(c[0], flags, r.s);
    setText(c[1], price(r.p));
    const ch = r.ch == null ? null : Number(r.ch) * 100;
    setClass(c[2], 'num' + (ch > 0 ? ' gain' : ch < 0 ? ' loss' : ''));
    setText(c[2], ch == null ? '–' : (ch > 0 ? '+' : '') + ch.toFixed(2) + '%');
    setChips(c[3], r.tr ? Object.keys(r.tr).map((k) => { const t = r.tr[k]; return [t.d > 0 ? 'up' : t.d < 0 ? 'down' : '', k + ' ' + (t.d > 0 ? '▲' : t.d < 0 ? '▼' : '•') + ' ' + age(t.at)]; }) : []);
    const q = r.q;
    setText(c[4], q ? (q.r || '') + ' ' + num(q.sc, 2) : '');
    setText(c[5], q ? price(q.tp) + ' / ' + price(q.sl) : '');
    setText(c[6], q ? num(q.c, 2) : '');
    setChips(c[7], (r.t || []).map((t) => [t.st === 'long' ? 'up' : t.st === 'short' ? 'down' : '', t.i + ': ' + t.st + (t.st !== 'flat' ? ' ' + t.q : '') + (t.ts !== 'ACTIVE' ? ' ' + t.ts : '')]));
    setChips(c[8], (r.ice || []).map((i) => ['', i.side + ' ' + price(i.p) + ' ' + i.co]));
    setText(c[9], age(r.u));
  }
  function sortValue(r, k) {
    switch (k) { case 's': return r.s; case 'p': return r.p; case 'ch': return r.ch; case 'qs': return r.q ? r.q.sc : null; case 'qc': return r.q ? r.q.c : null; default: return r.u; }
  }
  function visible(r) { return !S.filter || r.s.toLowerCase().indexOf(S.filter) >= 0; }
  function sortedSymbols() {
    const list = Array.from(S.rows.values());
    list.sort((a, b) => { const x = sortValue(a, S.sortKey), y = sortValue(b, S.sortKey);
      if (x == null && y == null) return a.s < b.s ? -1 : 1; if (x == null) return 1; if (y == null) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * S.sortDir; });
    return list;
  }
  function countRows() {
    let shown = 0;
    for (const r of S.rows.values()) if (visible(r)) shown++;
    setText($('row-count'), shown + ' of ' + S.rows.size + ' symbols');
  }
  // Rows are kept (by symbol) and moved into the sorted order; only a new symbol makes a row.
  function renderScreener() {
    const tbody = document.querySelector('#screener tbody');
    const list = sortedSymbols();
    for (const [s, tr] of S.trs) if (!S.rows.has(s)) { tr.remove(); S.trs.delete(s); S.flashing.delete(tr); }
    let at = tbody.firstChild;
    for (const r of list) {
      let tr = S.trs.get(r.s);
      if (!tr) { tr = newRow(r.s); S.trs.set(r.s, tr); drawRow(tr, r); }
      tr.hidden = !visible(r);
      if (tr === at) at = at.nextSibling; else tbody.insertBefore(tr, at);
    }
    countRows();
    S.needsSort = false;
  }
  // A changed row lights up (class `flash`) and fades back (a CSS transition) when the class is
  // taken off on the next flash tick: one class toggle, no animation objects piling up.
  function flash(tr) { if (!S.flashing.has(tr)) { tr.classList.add('flash'); S.flashing.add(tr); } S.flashed.add(tr); }
  setInterval(() => {
    for (const tr of S.flashing) if (!S.flashed.has(tr)) { tr.classList.remove('flash'); S.flashing.delete(tr); }
    S.flashed.clear();
  }, 250);
  function updateRow(r) {
    S.rows.set(r.s, r);
    const tr = S.trs.get(r.s);
    if (!tr) { S.needsSort = true; return; }
    drawRow(tr, r);
    flash(tr);
    if (S.sortKey !== 's') S.needsSort = true;
  }
  // Ages move with the engine's clock: once a tick every row's age cells are redrawn (in place).
  function redrawAges() { for (const [s, tr] of S.trs) { const r = S.rows.get(s); if (r) drawRow(tr, r); } }
  document.querySelectorAll('#screener th[data-sort]').forEach((th) => th.addEventListener('click', () => {
    const k = th.dataset.sort;
    S.sortDir = S.sortKey === k ? -S.sortDir : (k === 's' ? 1 : -1);
    S.sortKey = k;
    document.querySelectorAll('#screener th').forEach((h) => h.classList.remove('sorted', 'asc'));
    th.classList.add('sorted'); if (S.sortDir > 0) th.classList.add('asc');
    renderScreener();
  }));
  $('filter').addEventListener('input', (e) => {
    S.filter = e.target.value.trim().toLowerCase();
    for (const [s, tr] of S.trs) tr.hidden = !visible(S.rows.get(s));
    countRows();
  });
  // A hidden view is not drawn; an element's HTML is replaced only when it differs from the last.
  const drawn = {};
  function setHTML(id, html) { if (drawn[id] !== html) { drawn[id] = html; $(id).innerHTML = html; } }

  // ---- Trading ----
  function renderTrading() {
    const t = S.trading; if (!t) return;
    const k = t.kill;
    const badge = $('kill-badge');
    setText(badge, 'kill switch: ' + (k.engaged ? 'ENGAGED' : 'off'));
    setClass(badge, 'badge ' + (k.engaged ? 'halted' : 'on'));
    if (S.view !== 'trading') return;
    const panel = $('kill-panel');
    if (!panel.dataset.built || panel.dataset.controls !== String(k.controls)) {
      panel.dataset.built = '1'; panel.dataset.controls = String(k.controls); delete drawn['kill-state'];
      panel.innerHTML = '<b>Kill switch</b>: <span id="kill-state"></span> '
        + (k.controls ? '<span class="kill-controls">Token <input id="kill-token" type="password" autocomplete="off" size="24"> '
          + '<button id="kill-engage" class="act danger">Engage</button> <button id="kill-release" class="act">Release</button> <span id="kill-result" class="muted"></span></span>'
          : '<span class="muted">(read-only dashboard: no token configured)</span>');
      if (k.controls) { $('kill-engage').onclick = () => killSwitch('engage'); $('kill-release').onclick = () => killSwitch('release'); }
    }
    setHTML('kill-state', k.engaged ? '<b class="loss">ENGAGED</b> — ' + esc(k.reason) : '<span class="gain">off</span>');
    setHTML('instances', t.instances.map((i) => {
      const used = i.day.limitUsed;
      return '<div class="instance" data-id="' + esc(i.id) + '"><h3>' + esc(i.id) + ' <span class="muted">' + esc(i.plugin) + '</span> <span class="chip">' + esc(i.mode) + '</span> '
        + '<span class="chip ' + (i.state === 'ACTIVE' ? 'up' : 'down') + '">' + esc(i.state) + '</span> <span class="muted">' + esc(i.reason) + '</span></h3>'
        + '<div class="figures"><div>Realized PnL<b>' + signed(i.realized, 2) + '</b></div><div>Unrealized<b>' + signed(i.unrealized, 2) + '</b></div>'
        + '<div>Fees<b>' + num(i.fees, 2) + '</b></div><div>Today: trades / wins<b>' + i.day.trades + ' / ' + i.day.wins + '</b></div>'
        + '<div>Today PnL<b>' + signed(i.day.pnl, 2) + '</b></div><div>Daily loss limit used<b>' + (i.day.lossLimit == null ? 'no limit' : '<meter min="0" max="1" low="0.5" high="0.8" optimum="0" value="' + Math.min(1, used) + '"></meter> ' + (used * 100).toFixed(1) + '% of ' + esc(i.day.lossLimit)) + '</b></div></div>'
        + '<table class="grid small positions"><thead><tr><th>Symbol</th><th class="num">Position</th><th class="num">Avg price</th><th class="num">Last</th><th class="num">Unrealized</th></tr></thead><tbody>'
        + (i.positions.length ? i.positions.map((p) => '<tr><td>' + esc(p.s) + '</td><td class="num">' + esc(p.q) + '</td><td class="num">' + esc(p.ap) + '</td><td class="num">' + price(p.last) + '</td><td class="num">' + signed(p.upnl, 4) + '</td></tr>').join('') : '<tr><td colspan="5" class="muted">no open positions</td></tr>')
        + '</tbody></table><h3>Open orders</h3><table class="grid small orders"><thead><tr><th>Id</th><th>Symbol</th><th>Side</th><th class="num">Price</th><th class="num">Size</th><th class="num">Remaining</th><th>Status</th><th>Tag</th></tr></thead><tbody>'
        + (i.orders.length ? i.orders.map((o) => '<tr><td>' + o.id + '</td><td>' + esc(o.s) + '</td><td>' + esc(o.side) + '</td><td class="num">' + esc(o.px == null ? 'market' : o.px) + '</td><td class="num">' + esc(o.size) + '</td><td class="num">' + esc(o.rem) + '</td><td>' + esc(o.st) + '</td><td>' + esc(o.tag) + '</td></tr>').join('') : '<tr><td colspan="8" class="muted">none</td></tr>')
        + '</tbody></table></div>';
    }).join('') || '<p class="muted">No instances.</p>');
  }
  async function killSwitch(action) {
    const token = $('kill-token').value;
    $('kill-result').textContent = '…';
    try {
      const r = await fetch('/api/kill-switch', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token }, body: JSON.stringify({ action: action, reason: 'dashboard ' + action }) });
      const body = await r.json();
      $('kill-result').textContent = body.ok ? body.message : 'refused: ' + body.error;
    } catch (e) { $('kill-result').textContent = 'failed: ' + e; }
  }

  // ---- Charts ----
  function groupTable(id, groups, first) {
    setHTML(id, '<thead><tr><th>' + first + '</th><th class="num">Trades</th><th class="num">Wins</th><th class="num">Win rate</th><th class="num">PnL</th></tr></thead><tbody>'
      + (groups.length ? groups.map((g) => '<tr><td>' + esc(g.k) + '</td><td class="num">' + g.n + '</td><td class="num">' + g.w + '</td><td class="num">' + (g.rate == null ? '–' : (g.rate * 100).toFixed(2) + '%') + '</td><td class="num">' + signed(g.pnl, 2) + '</td></tr>').join('') : '<tr><td colspan="5" class="muted">no trades yet</td></tr>') + '</tbody>');
  }
  function renderStats() {
    const s = S.stats; if (!s || S.view !== 'charts') return;
    setText($('stats-summary'), s.trades + ' trades, ' + s.wins + ' wins' + (s.winRate == null ? '' : ' (' + (s.winRate * 100).toFixed(2) + '%)') + ', total PnL ' + Number(s.total).toFixed(2) + ', max drawdown ' + Number(s.maxDrawdown).toFixed(2));
    groupTable('by-market', s.byMarket, 'Market'); groupTable('by-hour', s.byHour, 'Hour'); groupTable('by-weekday', s.byWeekday, 'Weekday');
    if (s.trades !== S.equityTrades) { S.equityTrades = s.trades; loadSVG('equity', '/charts/equity.svg'); }
  }
  const loading = {};
  async function loadSVG(id, url) {
    if (loading[id]) { loading[id] = url; return; }
    loading[id] = url;
    while (loading[id]) {
      const u = loading[id]; loading[id] = true;
      try { const r = await fetch(u); if (r.ok) $(id).innerHTML = await r.text(); } catch (e) { /* the next push retries */ }
      if (loading[id] === true) loading[id] = null;
    }
  }
  function loadCandles() { if (S.chartSymbol) loadSVG('candles', '/charts/candles.svg?symbol=' + encodeURIComponent(S.chartSymbol) + '&tf=' + encodeURIComponent(S.tf)); }
  function setupCharts(symbols, timeframes) {
    const sel = $('chart-symbol');
    const prev = S.chartSymbol;
    sel.innerHTML = symbols.map((s) => '<option>' + esc(s) + '</option>').join('');
    const withPrice = symbols.find((s) => (S.rows.get(s) || {}).p != null);
    S.chartSymbol = prev && symbols.indexOf(prev) >= 0 ? prev : (withPrice || symbols[0] || null);
    if (S.chartSymbol) sel.value = S.chartSymbol;
    $('chart-tf').innerHTML = timeframes.map((t) => '<option>' + esc(t) + '</option>').join('');
    $('chart-tf').value = S.tf;
    sel.onchange = () => { S.chartSymbol = sel.value; loadCandles(); };
    $('chart-tf').onchange = () => { S.tf = $('chart-tf').value; loadCandles(); };
    loadCandles();
  }

  // ---- Health ----
  function renderHealth() {
    const h = S.health; if (!h || S.view !== 'health') return;
    const kv = (k, v) => '<tr><th>' + k + '</th><td class="num">' + v + '</td></tr>';
    setHTML('health', '<div class="tables"><div><h3>Feeds</h3><table class="grid small" id="feeds"><thead><tr><th>Feed</th><th>State</th></tr></thead><tbody>'
      + h.feeds.map((f) => '<tr><td>' + esc(f.name) + '</td><td>' + esc(f.state) + '</td></tr>').join('') + '</tbody></table>'
      + '<h3>Engine</h3><table class="grid small">' + kv('Events processed', h.events) + kv('Queue depth', h.queueDepth + ' / ' + h.queueCapacity) + kv('Queue high water', h.queueHighWater)
      + kv('Writer lag (rows not committed)', h.writerPending) + kv('Feed → engine p50 / p99', h.lagP50 == null ? 'n/a (simulated)' : num(h.lagP50, 3) + ' / ' + num(h.lagP99, 3) + ' ms')
      + kv('Stale symbols', h.stale.length ? esc(h.stale.join(', ')) : 'none') + '</table></div>'
      + '<div><h3>Plugin callbacks</h3><table class="grid small"><thead><tr><th>Instance</th><th class="num">avg µs</th><th class="num">max µs</th><th class="num">errors</th></tr></thead><tbody>'
      + h.callbacks.map((c) => '<tr><td>' + esc(c.i) + '</td><td class="num">' + num(c.avgUs, 2) + '</td><td class="num">' + num(c.maxUs, 1) + '</td><td class="num">' + c.errors + '</td></tr>').join('') + '</tbody></table>'
      + '<h3>Denials by reason</h3><table class="grid small"><thead><tr><th>Reason</th><th class="num">Orders</th></tr></thead><tbody>'
      + (Object.keys(h.denials).length ? Object.keys(h.denials).map((k) => '<tr><td>' + esc(k) + '</td><td class="num">' + h.denials[k] + '</td></tr>').join('') : '<tr><td colspan="2" class="muted">none</td></tr>')
      + '</tbody></table></div></div>');
  }

  // ---- Messages ----
  function tick(m) {
    S.now = m.now || S.now;
    setText($('clock'), 'engine time ' + utc(S.now));
    S.trading = m.trading; S.stats = m.stats; S.health = m.health;
    renderTrading(); renderStats(); renderHealth();
    if (S.chartSymbol && m.candles && m.candles.indexOf(S.chartSymbol) >= 0 && S.view === 'charts') loadCandles();
    if (S.needsSort) renderScreener();
    if (S.view === 'screener') redrawAges();
  }
  function handle(m) {
    S.messages++;
    if (m.type === 'rows') { S.now = m.now || S.now; for (const r of m.rows) updateRow(r); }
    else if (m.type === 'tick') tick(m);
    else if (m.type === 'snapshot') {
      S.snapshots++;
      S.rows.clear();
      for (const r of m.symbols) S.rows.set(r.s, r);
      S.now = m.now;
      renderScreener();
      redrawAges();
      if (S.firstRowsAt == null) S.firstRowsAt = performance.now();
      setupCharts(m.symbols.map((r) => r.s), m.timeframes);
      tick(m);
    }
  }
  function connect() {
    const es = new EventSource('/events');
    es.onopen = () => { setText($('conn'), 'live'); setClass($('conn'), 'badge on'); };
    es.onerror = () => { setText($('conn'), 'reconnecting…'); setClass($('conn'), 'badge off'); };
    es.onmessage = (e) => handle(JSON.parse(e.data));
  }
  document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => {
    document.querySelectorAll('nav button').forEach((x) => x.classList.toggle('active', x === b));
    document.querySelectorAll('.view').forEach((v) => v.classList.toggle('active', v.id === 'view-' + b.dataset.view));
    S.view = b.dataset.view;
    if (S.view === 'screener') { renderScreener(); redrawAges(); }
    renderTrading(); renderStats(); renderHealth();
    if (S.view === 'charts') loadCandles();
  }));
  connect();
})();
"""#
}
