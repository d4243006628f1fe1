// The barrage dashboard: charts from /api/history, then one point per "interval" event of
// /api/stream. Control buttons appear only when the page was opened with ?token=.
'use strict';
(function () {
  const token = new URLSearchParams(location.search).get('token');
  const rows = [];      // interval summaries, in index order
  const events = [];    // events (runtime changes, lost agents, aborts)
  const agentIds = [];
  const charts = {};
  const $ = (id) => document.getElementById(id);
  const fmtMs = (v) => v >= 1000 ? (v / 1000).toFixed(2) + ' s' : v.toFixed(v < 10 ? 2 : 1) + ' ms';

  // Vertical lines at events: runtime changes in blue, the rest in red.
  function marks(canvas, area, g) {
    for (const e of events) {
      const x = g.toDomXCoord(e.t);
      if (x < area.x || x > area.x + area.w) continue;
      canvas.fillStyle = e.what === 'control' ? 'rgba(0,80,220,0.6)' : 'rgba(220,0,0,0.6)';
      canvas.fillRect(x - 1, area.y, 2, area.h);
    }
  }
  function chart(id, labels) {
    charts[id] = new Dygraph($(id), [[0].concat(labels.slice(1).map(() => null))], {
      labels: labels, underlayCallback: marks, legend: 'always', labelsSeparateLines: false,
      xlabel: 's', connectSeparatedPoints: true, includeZero: true });
  }
  function agentSeries(key) {
    return rows.map((r) => [r.t].concat(agentIds.map((id) => {
      const a = (r.agents || []).find((x) => x.id === id);
      return a ? (key === 'cpu' ? a.cpu * 100 : a[key]) : null;
    })));
  }
  function redraw() {
    if (!rows.length) return;
    const upd = (id, data, labels) => {
      if (!charts[id]) chart(id, labels);
      const o = { file: data };
      if (labels) o.labels = labels;
      charts[id].updateOptions(o);
    };
    upd('c-rate', rows.map((r) => [r.t, r.rate, r.errors / r.interval_s]), ['t', 'requests/s', 'errors/s']);
    upd('c-lat', rows.map((r) => [r.t, r.p50, r.p95, r.p99, r.max]), ['t', 'p50', 'p95', 'p99', 'max']);
    upd('c-users', rows.map((r) => [r.t, r.users, r.conns]), ['t', 'users', 'connections']);
    upd('c-arr', rows.map((r) => [r.t, r.arrivals, r.dropped]), ['t', 'arrivals', 'dropped']);
    for (const r of rows) for (const a of r.agents || []) if (!agentIds.includes(a.id)) agentIds.push(a.id);
    if (agentIds.length) {
      upd('c-cpu', agentSeries('cpu'), ['t'].concat(agentIds.map((x) => x + ' %')));
      upd('c-lag', agentSeries('lag_ms'), ['t'].concat(agentIds));
    }
  }
  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function table(id, list, fn) {
    const t = $(id);
    while (t.rows.length > 1) t.deleteRow(1);
    for (const x of list) { const tr = t.insertRow(); fn(tr, x); }
  }
  function figures(s) {
    $('f-rate').textContent = s.rate.toFixed(1);
    $('f-errors').textContent = s.errors;
    $('f-p50').textContent = fmtMs(s.p50);
    $('f-p95').textContent = fmtMs(s.p95);
    $('f-p99').textContent = fmtMs(s.p99);
    $('f-max').textContent = fmtMs(s.max);
    $('f-users').textContent = s.users;
    $('f-conns').textContent = s.conns;
    $('f-i').textContent = s.i;
    table('t-ag', s.agents || [], (tr, a) => {
      cell(tr, a.id); cell(tr, (a.cpu * 100).toFixed(0) + '%'); cell(tr, a.lag_ms.toFixed(1) + ' ms');
      cell(tr, a.users); cell(tr, a.conns); cell(tr, a.saturated ? 'yes' : 'no', a.saturated ? 'fail' : '');
    });
  }
  function thresholds(list) {
    table('t-th', list || [], (tr, t) => {
      cell(tr, t.metric); cell(tr, t.condition);
      cell(tr, t.value === undefined ? '-' : (+t.value).toPrecision(4));
      cell(tr, t.state, t.state === 'fail' ? 'fail' : t.state === 'pass' ? 'pass' : '');
      cell(tr, t.abort_on_fail ? 'yes' : 'no');
    });
  }
  function showEvents() {
    table('t-ev', events, (tr, e) => {
      cell(tr, e.t.toFixed(1)); cell(tr, e.what, e.what === 'threshold_abort' || e.what === 'agent_lost' ? 'fail' : '');
      cell(tr, e.agent || ''); cell(tr, e.detail);
    });
  }
  function add(summary) {
    if (rows.length && rows[rows.length - 1].i >= summary.i) return;
    rows.push(summary);
  }
  function status(s) {
    const run = s.run || {};
    $('title').textContent = 'barrage: ' + (run.name || 'run') + ' (' + (run.model || '') + ' model)';
    document.title = 'barrage: ' + (run.name || 'run');
    $('target').textContent = run.target ? 'target: ' + run.target : '';
    $('phase').textContent = 'phase: ' + s.phase;
    $('elapsed').textContent = 'elapsed: ' + s.elapsed_s.toFixed(0) + ' s';
    $('agents').textContent = 'agents: ' + s.agents.connected + '/' + s.agents.total;
    if (s.summary) figures(s.summary);
    thresholds(s.thresholds);
  }
  async function load() {
    const st = await (await fetch('/api/status')).json();
    status(st);
    const h = await (await fetch('/api/history')).json();
    rows.length = 0;
    for (const r of h.intervals) add(r);
    events.length = 0;
    for (const e of h.events) events.push(e);
    showEvents();
    redraw();
  }
  function stream() {
    const es = new EventSource('/api/stream');
    es.addEventListener('interval', (m) => {
      const d = JSON.parse(m.data);
      add(d.summary);
      figures(d.summary);
      thresholds(d.thresholds);
      $('agents').textContent = 'agents: ' + d.connected + '/' + d.total;
      $('elapsed').textContent = 'elapsed: ' + d.summary.t.toFixed(0) + ' s';
      redraw();
    });
    es.addEventListener('event', (m) => { events.push(JSON.parse(m.data)); showEvents(); redraw(); });
    es.addEventListener('phase', (m) => { $('phase').textContent = 'phase: ' + JSON.parse(m.data).phase; });
    es.onerror = () => { $('phase').textContent += ' (stream interrupted; retrying)'; };
  }
  async function control(body) {
    const r = await fetch('/api/control', { method: 'POST', body: JSON.stringify(body),
      headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' } });
    const j = await r.json().catch(() => ({}));
    $('msg').textContent = r.ok ? 'done: ' + body.action : 'refused (' + r.status + '): ' + (j.error || '');
  }
  if (token) {
    $('control').className = '';
    $('ro').style.display = 'none';
    $('b-down').onclick = () => control({ action: 'rate', factor: 0.5 });
    $('b-up').onclick = () => control({ action: 'rate', factor: 1.5 });
    $('b-rate').onclick = () => control({ action: 'rate', factor: parseFloat($('i-factor').value) });
    $('b-users').onclick = () => control({ action: 'users', users: parseInt($('i-users').value, 10) });
    $('b-pause').onclick = () => control({ action: 'pause' });
    $('b-resume').onclick = () => control({ action: 'resume' });
    $('b-stop').onclick = () => { if (confirm('Stop the run?')) control({ action: 'stop' }); };
  }
  load().then(stream, (e) => { $('phase').textContent = 'cannot load the status: ' + e; });
})();
