(function () {
  'use strict';
  var RAW = JSON.parse(document.getElementById('mailtls-data').textContent);
  var D = RAW.meta, S = RAW.strings, H = RAW.hosts, DET = RAW.details, N = H.length;
  var COLORS = D.colors, ECOLORS = D.effect_colors;
  var ROW = 30, OVERSCAN = 10, PRINT_EAGER = 5000;
  var $ = function (id) { return document.getElementById(id); };
  // a table index, an inline text (past the string table's cap), or nothing
  var str = function (i) { return typeof i === 'string' ? i : (i >= 0 ? S[i] : ''); };
  var state = {q: '', outcome: '', os: '', finding: '', change: '', view: '', sort: 'outcome', dir: 1, selected: -1};
  var blobs = new Array(N), findingSets = new Array(N);
  for (var i = 0; i < N; i++) {
    var ids = DET[i].f.map(function (f) { return f[0]; });
    findingSets[i] = ids;
    blobs[i] = (H[i][0] + ' ' + H[i][2] + ' ' + str(H[i][3]) + ' ' + ids.join(' ')).toLowerCase();
  }
  var FINDINGS = {}; D.findings.forEach(function (f) { FINDINGS[f.id] = f; });
  var order = [];
  var keys = {
    name: function (i) { return H[i][0]; },
    outcome: function (i) { return H[i][1]; },
    os: function (i) { return H[i][2] + ' ' + str(H[i][3]); },
    findings: function (i) { return H[i][4]; },
    fails: function (i) { return str(H[i][5]); },
    fix: function (i) { return str(H[i][6]); },
    gathered: function (i) { return H[i][7]; }
  };
  function cmp(a, b) { return a < b ? -1 : (a > b ? 1 : 0); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fill(select, values, labels) {
    values.forEach(function (v, j) { select.appendChild(el('option', {value: v}, labels ? labels[j] : v)); });
  }
  fill($('f-outcome'), D.outcomes, D.labels);
  fill($('f-os'), D.oses);
  fill($('f-finding'), D.findings.map(function (f) { return f.id; }), D.findings.map(function (f) { return f.id + ' (' + f.hosts + ')'; }));
  fill($('f-change'), D.changes, D.change_labels);
  fill($('f-view'), D.views.map(function (v, j) { return String(j); }), D.views.map(function (v) { return v.name + ' (' + v.hosts.length + ')'; }));
  $('total').textContent = N;

  // Links to other kept runs are written relative to the report directory; this page may be opened
  // from there (the latest copy), from latest/ or from runs/<id>/.
  var path = decodeURIComponent(location.pathname);
  var base = '';
  if (D.run_id && path.indexOf('/runs/' + D.run_id + '/') >= 0) { base = '../../'; } else if (/\/latest\/[^\/]*$/.test(path)) { base = '../'; }
  Array.prototype.forEach.call(document.querySelectorAll('a.runlink'), function (a) {
    a.setAttribute('href', base + 'runs/' + a.getAttribute('data-run') + '/index.html');
  });

  function apply() {
    var q = state.q.toLowerCase(), oc = state.outcome === '' ? -1 : D.outcomes.indexOf(state.outcome);
    var ch = state.change === '' ? -1 : D.changes.indexOf(state.change);
    var inView = null;
    if (state.view !== '') { inView = {}; D.views[+state.view].hosts.forEach(function (j) { inView[j] = 1; }); }
    order = [];
    for (var i = 0; i < N; i++) {
      if (oc >= 0 && H[i][1] !== oc) { continue; }
      if (ch >= 0 && H[i][9] !== ch) { continue; }
      if (state.os && H[i][2] !== state.os) { continue; }
      if (q && blobs[i].indexOf(q) < 0) { continue; }
      if (state.finding && findingSets[i].indexOf(state.finding) < 0) { continue; }
      if (inView && !inView[i]) { continue; }
      order.push(i);
    }
    var key = keys[state.sort], dir = state.dir;
    order.sort(function (a, b) { return dir * cmp(key(a), key(b)) || cmp(H[a][0], H[b][0]); });
    $('shown').textContent = order.length;
    $('tspacer').style.height = (order.length * ROW) + 'px';
    Array.prototype.forEach.call(document.querySelectorAll('#thead div'), function (d) {
      d.className = d.getAttribute('data-col') === state.sort ? (state.dir > 0 ? 'asc' : 'desc') : '';
    });
    $('view-note').textContent = state.view !== '' ? ('View "' + D.views[+state.view].name + '": ' + D.views[+state.view].query) : '';
    render(true);
    printed = false;
    if (N <= PRINT_EAGER) { buildPrint(); }
  }

  function render(force) {
    var sc = $('tscroll'), first = Math.max(0, Math.floor(sc.scrollTop / ROW) - OVERSCAN);
    var count = Math.ceil((sc.clientHeight || 600) / ROW) + 2 * OVERSCAN;
    var last = Math.min(order.length, first + count);
    var body = $('tbody');
    if (!force && body.getAttribute('data-first') === String(first) && body.getAttribute('data-last') === String(last)) { return; }
    body.setAttribute('data-first', first); body.setAttribute('data-last', last);
    body.style.top = (first * ROW) + 'px';
    var frag = document.createDocumentFragment();
    for (var p = first; p < last; p++) {
      var i = order[p], h = H[i], o = D.outcomes[h[1]];
      var row = el('div', {'class': 'row' + (i === state.selected ? ' sel' : ''), 'data-i': i, 'data-name': h[0], 'data-outcome': o});
      row.appendChild(el('div', {'class': 'c-name', title: h[0]}, h[0]));
      var pill = el('span', {'class': 'pill', style: 'background:' + COLORS[o]}, D.labels[h[1]]);
      var cell = el('div', {'class': 'c-outcome'}); cell.appendChild(pill); row.appendChild(cell);
      row.appendChild(el('div', {title: str(h[3])}, str(h[3])));
      row.appendChild(el('div', null, h[4]));
      row.appendChild(el('div', {title: str(h[5])}, str(h[5])));
      row.appendChild(el('div', {title: str(h[6])}, str(h[6])));
      row.appendChild(el('div', null, h[7]));
      frag.appendChild(row);
    }
    body.textContent = '';
    body.appendChild(frag);
  }

  // Print: every host of the current filter as a real table, every finding with its hosts, every planned change.
  var printed = false;
  function buildPrint() {
    if (printed) { return; }
    printed = true;
    var tb = document.querySelector('#print-hosts tbody'), frag = document.createDocumentFragment();
    order.forEach(function (i) {
      var h = H[i], tr = el('tr', {'data-name': h[0]});
      [h[0], D.labels[h[1]], str(h[3]), h[4], str(h[5]), str(h[6]), h[7]].forEach(function (v) { tr.appendChild(el('td', null, v)); });
      frag.appendChild(tr);
    });
    tb.textContent = ''; tb.appendChild(frag);
    var pf = $('print-findings'); pf.textContent = '';
    var byFinding = {};
    order.forEach(function (i) { findingSets[i].forEach(function (id) { (byFinding[id] = byFinding[id] || []).push(H[i][0]); }); });
    D.findings.forEach(function (f) {
      var names = byFinding[f.id];
      if (!names) { return; }
      var box = el('div', {'class': 'pfinding', 'data-finding': f.id});
      box.appendChild(el('h3', null, f.id + ' (' + names.length + ' host(s), ' + f.effect + ', ' + f.severity + ')'));
      box.appendChild(el('div', null, f.title || ''));
      if (f.remediation) { box.appendChild(el('div', {'class': 'fix'}, 'Fix: ' + f.remediation)); }
      box.appendChild(el('div', {'class': 'hostlist'}, names.join('\n')));
      pf.appendChild(box);
    });
    var pp = $('print-plan');
    if (pp) {
      pp.textContent = '';
      pp.appendChild(el('h3', null, 'Changes by host'));
      order.forEach(function (i) {
        var plan = DET[i].p;
        if (!plan || (!plan.c.length && !plan.g.length)) { return; }
        var box = el('div', {'class': 'pfinding'});
        box.appendChild(el('strong', null, H[i][0]));
        plan.c.forEach(function (c) { box.appendChild(el('div', {'class': 'ev'}, c[0] + ' ' + c[3] + ' ' + c[1] + ' ' + c[2] + (c[4].length ? ' (' + c[4].join(', ') + ')' : ''))); });
        plan.g.forEach(function (g) { box.appendChild(el('div', {'class': 'muted'}, 'guard ' + g[0] + (g[1] ? ' (blocking)' : '') + ': ' + g[2])); });
        pp.appendChild(box);
      });
    }
  }
  window.addEventListener('beforeprint', buildPrint);

  function stateLine(code) {
    var span = el('span', {'class': 'st'});
    for (var k = 0; k < code.length; k++) {
      span.appendChild(el('span', {'class': code[k], title: D.protocols[k] + ': ' + ({A: 'allowed', R: 'refused', U: 'unknown (not determined)'})[code[k]]}, code[k]));
    }
    return span;
  }
  function table(rows) {
    var t = el('table', {'class': 'grid'});
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (c) { var td = el('td'); if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c; } tr.appendChild(td); });
      t.appendChild(tr);
    });
    return t;
  }

  function showPlan(box, plan) {
    box.appendChild(el('h3', null, plan.k === 'applied' ? 'Changes applied' : 'Change plan'));
    if (!plan.c.length) { box.appendChild(el('p', {'class': 'muted'}, 'No change.')); }
    plan.c.forEach(function (c) {
      var div = el('div', {'class': 'pchange'});
      div.appendChild(el('strong', null, c[0] + ': ' + c[3] + ' ' + c[1] + ' ' + c[2]));
      if (c[4].length) { div.appendChild(el('div', {'class': 'muted'}, 'fixes ' + c[4].join(', '))); }
      if (c[5]) { div.appendChild(el('pre', {'class': 'ev'}, c[5])); }
      box.appendChild(div);
    });
    plan.g.forEach(function (g) { box.appendChild(el('p', {'class': g[1] ? 'guard' : 'muted'}, 'Guard ' + g[0] + (g[1] ? ' (blocking)' : '') + ': ' + g[2])); });
    plan.r.forEach(function (r) { box.appendChild(el('p', null, 'Restart ' + r[0] + ': ' + r[1])); });
    if (plan.b) { box.appendChild(el('p', null, 'A reboot is needed.')); }
    plan.v.forEach(function (v) { box.appendChild(el('p', {'class': 'muted'}, 'Verify ' + v[0] + ': ' + v[1] + (v[2].length ? ' (' + v[2].join(', ') + ')' : ''))); });
  }

  function showHost(i) {
    state.selected = i;
    var h = H[i], d = DET[i], box = $('detail'), o = D.outcomes[h[1]];
    box.textContent = '';
    box.hidden = false;
    box.appendChild(el('h2', {id: 'detail-title'}, h[0]));
    var pill = el('span', {'class': 'pill', style: 'background:' + COLORS[o]}, D.labels[h[1]]);
    var p = el('p'); p.appendChild(pill);
    p.appendChild(document.createTextNode(' ' + str(h[3]) + ' \u00b7 gathered ' + h[7] + ' \u00b7 run: ' + h[8] + (h[9] >= 0 ? ' \u00b7 since the previous run: ' + D.change_labels[h[9]] : '')));
    box.appendChild(p);
    if (d.v) { box.appendChild(el('p', null, d.v)); }
    if (d.m) { box.appendChild(el('p', {'class': 'muted'}, d.m)); }
    if (d.l) { box.appendChild(el('p', {'class': 'muted'}, 'Last known posture: ' + d.l.verdict + ' (gathered ' + d.l.gathered_at + ')')); }
    if (d.s.length) {
      box.appendChild(el('h3', null, 'TLS stacks (' + D.protocols.join(', ') + ': A allowed, R refused, U unknown)'));
      box.appendChild(table(d.s.map(function (s) { return [s[0], s[1], s[2], stateLine(s[3])]; })));
    }
    if (d.c.length) {
      box.appendChild(el('h3', null, 'Mail clients'));
      box.appendChild(table(d.c.map(function (c) { return [c[0], c[1], c[2], c[3] ? stateLine(c[3]) : '']; })));
    }
    box.appendChild(el('h3', null, 'Findings (' + d.f.length + ')'));
    d.f.forEach(function (f) {
      var div = el('div', {'class': 'finding', style: 'border-color:' + (COLORS[f[2]] || '#1a73e8')});
      var head = el('div'); var a = el('a', {href: '#finding=' + encodeURIComponent(f[0])}, f[0]); head.appendChild(a);
      head.appendChild(document.createTextNode(' \u00b7 ' + f[2] + ' \u00b7 ' + f[3] + ' \u00b7 ' + f[1])); div.appendChild(head);
      div.appendChild(el('strong', null, str(f[4])));
      if (str(f[8])) { div.appendChild(el('div', {'class': 'muted'}, str(f[8]))); }
      f[6].forEach(function (e) { div.appendChild(el('div', {'class': 'ev'}, str(e))); });
      if (f[7]) { div.appendChild(el('div', {'class': 'muted'}, '+' + f[7] + ' more evidence item(s) in posture.json')); }
      if (str(f[5])) { div.appendChild(el('div', {'class': 'fix'}, 'Fix: ' + str(f[5]))); }
      box.appendChild(div);
    });
    if (d.x) { box.appendChild(el('p', null, d.x + ' Exchange Online script finding(s): see the table below.')); }
    if (d.p) { showPlan(box, d.p); }
    if (d.r) { box.appendChild(el('h3', null, 'Remediation')); box.appendChild(el('pre', {'class': 'ev'}, JSON.stringify(d.r, null, 1))); }
    render(true);
  }

  // A page per finding: what it is, its fix, and its hosts (the host table, filtered to it).
  function showFinding(id) {
    var f = FINDINGS[id], box = $('finding-panel');
    box.textContent = '';
    if (!f) { box.hidden = true; return; }
    box.hidden = false;
    box.appendChild(el('h2', {id: 'finding-title'}, id));
    box.appendChild(el('p', null, (f.title || '') + ' (' + f.effect + ', ' + f.severity + ')'));
    if (f.remediation) { box.appendChild(el('p', {'class': 'fix'}, 'Fix: ' + f.remediation)); }
    var names = [];
    for (var i = 0; i < N; i++) { if (findingSets[i].indexOf(id) >= 0) { names.push(H[i][0]); } }
    names.sort();
    box.appendChild(el('p', null, names.length + ' host(s):'));
    box.appendChild(el('div', {'class': 'hostlist', id: 'finding-hosts'}, names.slice(0, 500).join('\n') + (names.length > 500 ? '\n\u2026 (the host table below lists all of them)' : '')));
    setSelect('f-finding', id);
  }

  function csvCell(v) {
    var t = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(t)) { t = "'" + t; }
    return /[",\n\r]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function exportCsv() {
    var lines = [['host', 'outcome', 'run_status', 'os_family', 'os', 'findings', 'what_fails', 'what_to_do', 'gathered_at', 'change'].join(',')];
    order.forEach(function (i) {
      var h = H[i];
      lines.push([h[0], D.outcomes[h[1]], h[8], h[2], str(h[3]), h[4], str(h[5]), str(h[6]), h[7], h[9] >= 0 ? D.changes[h[9]] : ''].map(csvCell).join(','));
    });
    var text = lines.join('\n') + '\n';
    window.mailtlsLastCsv = text;
    var url = URL.createObjectURL(new Blob([text], {type: 'text/csv;charset=utf-8'}));
    var a = el('a', {href: url, download: 'mailtls-hosts' + (state.outcome ? '-' + state.outcome : '') + '.csv'});
    document.body.appendChild(a); a.click(); document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    return text;
  }

  $('f-q').addEventListener('input', function (e) { state.q = e.target.value; apply(); });
  [['f-outcome', 'outcome'], ['f-os', 'os'], ['f-finding', 'finding'], ['f-change', 'change'], ['f-view', 'view']].forEach(function (pair) {
    $(pair[0]).addEventListener('change', function (e) { state[pair[1]] = e.target.value; apply(); });
  });
  $('f-reset').addEventListener('click', function () {
    state.q = state.outcome = state.os = state.finding = state.change = state.view = '';
    ['f-q', 'f-outcome', 'f-os', 'f-finding', 'f-change', 'f-view'].forEach(function (id) { $(id).value = ''; });
    $('finding-panel').hidden = true;
    apply();
  });
  $('f-export').addEventListener('click', exportCsv);
  $('thead').addEventListener('click', function (e) {
    var col = e.target.getAttribute('data-col');
    if (!col) { return; }
    if (state.sort === col) { state.dir = -state.dir; } else { state.sort = col; state.dir = 1; }
    apply();
  });
  $('tscroll').addEventListener('scroll', function () { render(false); });
  $('tbody').addEventListener('click', function (e) {
    var row = e.target.closest('.row');
    if (row) { showHost(+row.getAttribute('data-i')); history.replaceState(null, '', '#host=' + encodeURIComponent(row.getAttribute('data-name'))); }
  });
  function setSelect(id, value) { $(id).value = value; $(id).dispatchEvent(new Event('change')); }
  Array.prototype.forEach.call(document.querySelectorAll('.kpi[data-kpi]'), function (k) {
    var key = k.getAttribute('data-kpi');
    if (D.outcomes.indexOf(key) >= 0) { k.addEventListener('click', function () { setSelect('f-outcome', key); }); }
  });
  Array.prototype.forEach.call(document.querySelectorAll('svg .bar[data-key]'), function (b) {
    var key = b.getAttribute('data-key');
    b.addEventListener('click', function () {
      if (D.outcomes.indexOf(key) >= 0) { setSelect('f-outcome', key); } else { location.hash = 'finding=' + encodeURIComponent(key); }
    });
  });
  function hostIndex(name) { for (var i = 0; i < N; i++) { if (H[i][0] === name) { return i; } } return -1; }
  function route() {
    var m = /^#(host|finding|change|view)=(.*)$/.exec(location.hash);
    // #view=history: the history view on its own (comparison, trend, kept runs)
    document.body.classList.toggle('only-history', !!m && m[1] === 'view' && m[2] === 'history');
    if (!m) { return; }
    var value = decodeURIComponent(m[2]);
    if (m[1] === 'host') { var hi = hostIndex(value); if (hi >= 0) { showHost(hi); } }
    if (m[1] === 'finding') { showFinding(value); $('findings').scrollIntoView(); }
    if (m[1] === 'change') { setSelect('f-change', value); $('hosts-section').scrollIntoView(); }
  }
  window.addEventListener('hashchange', route);
  apply();
  route();

  // Self-test: drive the controls as a user would and write what the page shows.
  var params = new URLSearchParams(location.search);
  if (params.get('selftest')) {
    var r = {kpi: {}, steps: []};
    var visible = function () {
      return Array.prototype.map.call(document.querySelectorAll('#tbody .row'), function (row) {
        return {name: row.getAttribute('data-name'), outcome: row.getAttribute('data-outcome')};
      });
    };
    var snap = function (label) {
      var rows = visible();
      r.steps.push({step: label, shown: +$('shown').textContent, dom_rows: rows.length, first: rows.slice(0, 10)});
    };
    Array.prototype.forEach.call(document.querySelectorAll('.kpi[data-kpi]'), function (k) {
      r.kpi[k.getAttribute('data-kpi')] = +k.querySelector('.num').textContent;
    });
    r.total = +$('total').textContent;
    r.svg_charts = document.querySelectorAll('svg.chart').length;
    r.run_links = Array.prototype.map.call(document.querySelectorAll('a.runlink'), function (a) { return a.getAttribute('href'); });
    snap('initial');
    var sortCol = params.get('sort');
    if (sortCol) {
      var head = document.querySelector('#thead div[data-col="' + sortCol + '"]');
      head.click();
      if (params.get('dir') === 'desc' && state.dir > 0) { head.click(); }
      snap('sort');
    }
    if (params.get('outcome')) { setSelect('f-outcome', params.get('outcome')); snap('outcome'); }
    if (params.get('change')) { setSelect('f-change', params.get('change')); snap('change'); }
    if (params.get('os')) { setSelect('f-os', params.get('os')); snap('os'); }
    if (params.get('q')) { $('f-q').value = params.get('q'); $('f-q').dispatchEvent(new Event('input')); snap('q'); }
    if (params.get('finding')) {
      location.hash = 'finding=' + encodeURIComponent(params.get('finding')); route();
      r.finding = {title: $('finding-title') ? $('finding-title').textContent : null, shown: +$('shown').textContent,
                   listed: $('finding-hosts') ? $('finding-hosts').textContent.split('\n').length : 0};
    }
    var sc = $('tscroll'); sc.scrollTop = sc.scrollHeight; sc.dispatchEvent(new Event('scroll'));
    var rows = visible();
    r.scrolled_last = rows.length ? rows[rows.length - 1].name : null;
    r.scrolled_dom_rows = rows.length;
    sc.scrollTop = 0; sc.dispatchEvent(new Event('scroll'));
    if (params.get('export')) {
      window.mailtlsLastCsv = null;
      $('f-export').click();
      r.csv = window.mailtlsLastCsv;
    }
    if (params.get('print')) {
      buildPrint();
      r.print_rows = document.querySelectorAll('#print-hosts tbody tr').length;
      r.print_findings = document.querySelectorAll('#print-findings .pfinding').length;
    }
    if (params.get('host')) {
      var idx = hostIndex(params.get('host'));
      if (idx >= 0) {
        showHost(idx);
        r.detail = {title: $('detail-title').textContent, findings: document.querySelectorAll('#detail .finding').length,
                    fixes: document.querySelectorAll('#detail .fix').length, evidence: document.querySelectorAll('#detail .ev').length};
      }
    }
    document.body.appendChild(el('pre', {id: 'selftest-result'}, JSON.stringify(r)));
  }
})();
