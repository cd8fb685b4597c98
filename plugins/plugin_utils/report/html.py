# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""index.html: one self-contained page (no network), built from the fleet model.

Controller side only.  Totals, charts (inline SVG) and the Exchange Online
script table are rendered here; the host table is rendered by the page's own
script from embedded, compact JSON, only the rows in view (so 10,000 hosts
stay fast), with sorting, filtering, named views and a per-host panel.

Adding ``?selftest=1`` (plus ``sort``, ``dir``, ``outcome``, ``os``, ``q``,
``host`` parameters) makes the page drive its own controls like a user would
and write what the page then shows into ``<pre id="selftest-result">``; the
browser test reads that back.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
from html import escape

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model, svg

MAX_EXO_ROWS = 1000
_STATE_CODE = {'allowed': 'A', 'refused': 'R', 'unknown': 'U'}


def _e(text):
    return escape('' if text is None else str(text), quote=True)


class _Strings(object):
    """String table: long repeated texts (titles, fixes, evidence) are stored once."""

    def __init__(self):
        self.items = []
        self.index = {}

    def __call__(self, text):
        if text is None or text == '':
            return -1
        text = str(text)
        pos = self.index.get(text)
        if pos is None:
            pos = len(self.items)
            self.items.append(text)
            self.index[text] = pos
        return pos


def _evidence_text(ev):
    where = ev.get('path') or ev.get('key') or ''
    if ev.get('line'):
        where = '%s:%s' % (where, ev['line'])
    if ev.get('section'):
        where = '%s [%s]' % (where, ev['section'])
    if ev.get('key') and ev.get('path'):
        where = '%s %s' % (where, ev['key'])
    text = '%s: %s' % (ev.get('source', '?'), where) if where else str(ev.get('source', '?'))
    if 'value' in ev:
        text += ' = %s' % (json.dumps(ev['value'], default=str) if not isinstance(ev['value'], str) else ev['value'])
    if ev.get('note'):
        text += ' (%s)' % ev['note']
    return text


def _states(protocols):
    return ''.join(_STATE_CODE.get((protocols or {}).get(p, {}).get('state'), 'U') for p in posture.PROTOCOLS)


def compact(fleet, max_evidence=5):
    """The page's data: one row per host plus details, with repeated strings interned."""
    strings = _Strings()
    rows = []
    details = []
    exo_rows = []
    exo_total = 0
    for idx, doc in enumerate(fleet['hosts']):
        host = doc.get('host') or {}
        fails = model.what_fails(doc)
        fixes = model.what_to_do(doc)
        out = model.outcome(doc)
        rows.append([
            host.get('name'),
            model.OUTCOMES.index(out),
            host.get('os_family', 'other'),
            model.os_label(doc),
            len(doc.get('findings') or []),
            strings(fails[0] if fails else ''),
            strings(fixes[0] if fixes else ''),
            doc.get('gathered_at', ''),
            doc['run']['status'],
        ])
        findings = []
        for f in sorted(doc.get('findings') or [], key=lambda f: (model.EFFECT_ORDER.get(f.get('effect'), 9), f.get('id', ''))):
            evs = f.get('evidence') or []
            findings.append([
                f.get('id'), f.get('subject'), f.get('effect'), f.get('severity'),
                strings(f.get('title')), strings(f.get('remediation')),
                [strings(_evidence_text(e)) for e in evs[:max_evidence]], max(0, len(evs) - max_evidence),
                strings(f.get('detail')),
            ])
        stacks = [[s.get('name'), s.get('kind'), s.get('version') or '', _states(s.get('protocols'))]
                  for s in doc.get('stacks') or [] if s.get('present', True)]
        clients = [[c.get('client'), c.get('path'), c.get('user') or '', _states(c.get('protocols')) if c.get('protocols') else '']
                   for c in doc.get('clients') or []]
        detail = {'f': findings, 's': stacks, 'c': clients, 'm': doc['run'].get('message', ''), 'v': doc['verdict'].get('summary', '')}
        if doc['run'].get('remediation'):
            detail['r'] = doc['run']['remediation']
        if doc['run'].get('last_known'):
            detail['l'] = doc['run']['last_known']
        exo = model.normalise_exo(doc.get('scripts'))
        if exo:
            detail['x'] = len(exo)
            exo_total += len(exo)
            for item in exo:
                if len(exo_rows) < MAX_EXO_ROWS:
                    exo_rows.append((host.get('name'), item))
        details.append(detail)
    names = dict((r[0], i) for i, r in enumerate(rows))
    views = []
    for view in fleet['report'].get('views') or []:
        views.append({'name': view['name'], 'query': view['query'], 'description': view.get('description', ''),
                      'hosts': sorted(set(names[n] for n in view.get('hosts', []) if n in names))})
    data = {
        'outcomes': list(model.OUTCOMES),
        'labels': list(model.OUTCOME_LABELS.values()),
        'protocols': [posture.PROTOCOL_LABELS[p] for p in posture.PROTOCOLS],
        'strings': strings.items,
        'hosts': rows,
        'details': details,
        'views': views,
        'findings': [f['id'] for f in fleet['report']['totals']['top_findings']],
    }
    return data, exo_rows, exo_total


def _json_script(value):
    # '<', '>' and '&' only ever occur inside JSON strings, where \\u escapes are equivalent.
    text = json.dumps(value, separators=(',', ':'), ensure_ascii=False, default=str)
    return text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026').replace('\u2028', '\\u2028').replace('\u2029', '\\u2029')


def _kpis(totals):
    out = ['<div class="kpi total" data-kpi="hosts"><span class="num">%d</span><span>hosts in scope</span></div>' % totals['hosts']]
    for key, label in model.OUTCOME_LABELS.items():
        out.append('<div class="kpi" data-kpi="%s" style="border-color:%s"><span class="num">%d</span><span>%s</span></div>'
                   % (key, svg.COLORS[key], totals['by_outcome'][key], _e(label)))
    return ''.join(out)


def _os_table(totals):
    head = ''.join('<th>%s</th>' % _e(label) for label in model.OUTCOME_LABELS.values())
    body = []
    for os_family, counts in totals['by_os'].items():
        body.append('<tr><th>%s</th>%s<td>%d</td></tr>' % (_e(os_family), ''.join('<td>%d</td>' % counts[o] for o in model.OUTCOMES), sum(counts.values())))
    return '<table class="grid" id="os-table"><thead><tr><th>OS</th>%s<th>Total</th></tr></thead><tbody>%s</tbody></table>' % (head, ''.join(body))


def _exo_section(exo_rows, exo_total):
    if not exo_total:
        return '<p class="muted">No Exchange Online script findings (no scan ran, or the scanned scripts are clean).</p>'
    rows = ''.join('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                   % (_e(h), _e(i['path']), _e(i['line'] or ''), _e(i['id']), _e(i['severity']), _e(i['message']), _e(i['fix']))
                   for h, i in exo_rows)
    note = ''
    if exo_total > len(exo_rows):
        note = '<p class="muted">Showing %d of %d findings; posture.json holds all of them.</p>' % (len(exo_rows), exo_total)
    return ('<p>%d legacy construct(s) found.</p>%s<div class="scroll-x"><table class="grid" id="exo-table"><thead><tr><th>Host</th><th>Script</th>'
            '<th>Line</th><th>Rule</th><th>Severity</th><th>What</th><th>Fix</th></tr></thead><tbody>%s</tbody></table></div>' % (exo_total, note, rows))


def _scope(report):
    run = report.get('run') or {}
    items = [('Generated', report['generated_at'])]
    for key, label in (('started_at', 'Run started'), ('play', 'Play'), ('pattern', 'Host pattern'), ('limit', 'Limit'),
                       ('check_mode', 'Check mode'), ('ansible_version', 'Ansible'), ('batches', 'Batches')):
        if run.get(key) not in (None, '', []):
            items.append((label, run[key]))
    items.append(('Hosts in scope', report['totals']['hosts']))
    items.append(('Collector', '%s %s' % (report['collector']['name'], report['collector']['version'])))
    return ''.join('<div><dt>%s</dt><dd>%s</dd></div>' % (_e(k), _e(v)) for k, v in items)


def render_html(fleet, max_evidence=5):
    report = fleet['report']
    totals = report['totals']
    data, exo_rows, exo_total = compact(fleet, max_evidence=max_evidence)
    page = _PAGE
    for key, value in (
        ('@@TITLE@@', _e(report['title'])),
        ('@@SCOPE@@', _scope(report)),
        ('@@KPIS@@', _kpis(totals)),
        ('@@CHART_OUTCOMES@@', svg.outcomes_chart(totals)),
        ('@@CHART_OS@@', svg.os_chart(totals)),
        ('@@CHART_PROTOCOLS@@', svg.protocol_grid(totals)),
        ('@@CHART_FINDINGS@@', svg.findings_chart(totals)),
        ('@@OS_TABLE@@', _os_table(totals)),
        ('@@EXO@@', _exo_section(exo_rows, exo_total)),
        ('@@CSS@@', _CSS),
        ('@@JS@@', _JS),
    ):
        page = page.replace(key, value)
    # the data goes in last so that no placeholder can ever be found inside it
    return page.replace('@@DATA@@', _json_script(data))


_PAGE = '''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>@@TITLE@@</title>
<style>@@CSS@@</style>
</head>
<body>
<header>
  <h1>@@TITLE@@</h1>
  <dl class="scope" id="scope">@@SCOPE@@</dl>
</header>
<main>
<section class="kpis" id="kpis">@@KPIS@@</section>
<section class="charts">
  <figure><figcaption>Hosts by outcome</figcaption>@@CHART_OUTCOMES@@</figure>
  <figure><figcaption>Hosts by OS and outcome</figcaption>@@CHART_OS@@</figure>
  <figure><figcaption>Protocols allowed per TLS stack</figcaption>@@CHART_PROTOCOLS@@</figure>
  <figure><figcaption>Top findings</figcaption>@@CHART_FINDINGS@@</figure>
</section>
<section><h2>Totals by OS</h2>@@OS_TABLE@@</section>
<section id="hosts-section">
  <h2>Hosts</h2>
  <div class="filters">
    <input id="f-q" type="search" placeholder="Filter: host, OS, finding id" aria-label="Text filter">
    <select id="f-outcome" aria-label="Outcome"><option value="">All outcomes</option></select>
    <select id="f-os" aria-label="Operating system"><option value="">All OS</option></select>
    <select id="f-finding" aria-label="Finding"><option value="">Any finding</option></select>
    <select id="f-view" aria-label="View"><option value="">All hosts</option></select>
    <button id="f-reset" type="button">Reset</button>
    <span class="count"><b id="shown">0</b> of <b id="total">0</b> hosts</span>
  </div>
  <div class="thead" id="thead">
    <div data-col="name">Host</div><div data-col="outcome">Outcome</div><div data-col="os">OS</div>
    <div data-col="findings">Findings</div><div data-col="fails">What fails</div><div data-col="fix">What to do</div>
    <div data-col="gathered">Gathered</div>
  </div>
  <div class="tscroll" id="tscroll"><div id="tspacer"><div id="tbody"></div></div></div>
  <p class="muted" id="view-note"></p>
</section>
<section id="detail" hidden></section>
<section><h2>Exchange Online scripts</h2>@@EXO@@</section>
<footer class="muted">Self-contained report: posture.json, hosts.csv, junit.xml and summary.md sit next to this file.</footer>
</main>
<script id="mailtls-data" type="application/json">@@DATA@@</script>
<script>@@JS@@</script>
</body>
</html>
'''

_CSS = '''
:root{--fg:#202124;--muted:#5f6368;--line:#dadce0;--bg:#fff;--soft:#f8f9fa;--accent:#1a73e8}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 24px;border-bottom:1px solid var(--line);background:var(--soft)}h1{margin:0 0 8px;font-size:22px}
h2{font-size:17px;margin:20px 0 8px}main{padding:0 24px 24px}
.scope{display:flex;flex-wrap:wrap;gap:6px 24px;margin:0}.scope div{display:flex;gap:6px}.scope dt{color:var(--muted)}.scope dd{margin:0;font-weight:600}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}.kpi{border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:6px;
padding:8px 14px;min-width:120px;display:flex;flex-direction:column;cursor:pointer}.kpi .num{font-size:24px;font-weight:700}.kpi.total{cursor:default}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px}
figcaption{font-weight:600;margin-bottom:6px}.chart .lbl,.chart .val{font-size:12px;fill:var(--fg)}.chart .cell{font-size:11px;fill:#202124}
.chart .muted{fill:var(--muted)}.chart .bar{cursor:pointer}
table.grid{border-collapse:collapse;width:100%}table.grid th,table.grid td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
table.grid thead th{background:var(--soft)}.scroll-x{overflow-x:auto;max-height:420px}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}.filters input{min-width:260px}
.filters input,.filters select,.filters button{padding:5px 8px;border:1px solid var(--line);border-radius:4px;background:#fff;font:inherit}
.count{margin-left:auto;color:var(--muted)}
.thead,.row{display:grid;grid-template-columns:minmax(160px,1.3fr) 110px minmax(110px,.9fr) 70px minmax(200px,2fr) minmax(200px,2fr) 150px}
.thead{background:var(--soft);border:1px solid var(--line);font-weight:600}.thead div{padding:6px 8px;cursor:pointer;user-select:none;white-space:nowrap}
.thead div.asc::after{content:" \\25B2"}.thead div.desc::after{content:" \\25BC"}
.tscroll{height:60vh;min-height:300px;overflow-y:auto;border:1px solid var(--line);border-top:0}#tspacer{position:relative}
#tbody{position:absolute;left:0;right:0;top:0}.row{height:30px;border-bottom:1px solid #eee;cursor:pointer}.row:hover{background:#eef3fd}
.row.sel{background:#e2ebfc}.row div{padding:5px 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.pill{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:12px;line-height:20px}
.muted{color:var(--muted)}#detail{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin-top:16px}
#detail h2{margin-top:0}.finding{border-left:4px solid var(--line);padding:4px 10px;margin:8px 0}.finding .fix{color:#0b5394}
.ev{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#3c4043}.st{font-family:ui-monospace,Menlo,Consolas,monospace}
.st .A{color:#b3261e;font-weight:700}.st .R{color:#188038}.st .U{color:#c5a100}
'''

_JS = r'''
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('mailtls-data').textContent);
  var COLORS = {will_fail: '#b3261e', at_risk: '#e37400', failed: '#7b1fa2', unreachable: '#5f6368',
                not_reported: '#9aa0a6', unknown: '#c5a100', compliant: '#188038'};
  var ROW = 30, OVERSCAN = 10;
  var H = D.hosts, S = D.strings, N = H.length;
  var $ = function (id) { return document.getElementById(id); };
  var str = function (i) { return i >= 0 ? S[i] : ''; };
  var state = {q: '', outcome: '', os: '', finding: '', view: '', sort: 'outcome', dir: 1, selected: -1};
  var blobs = new Array(N), findingSets = new Array(N);
  for (var i = 0; i < N; i++) {
    var ids = D.details[i].f.map(function (f) { return f[0]; });
    findingSets[i] = ids;
    blobs[i] = (H[i][0] + ' ' + H[i][2] + ' ' + H[i][3] + ' ' + ids.join(' ')).toLowerCase();
  }
  var order = [];
  var keys = {
    name: function (i) { return H[i][0]; },
    outcome: function (i) { return H[i][1]; },
    os: function (i) { return H[i][2] + ' ' + H[i][3]; },
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
  var oses = []; H.forEach(function (h) { if (oses.indexOf(h[2]) < 0) { oses.push(h[2]); } });
  fill($('f-os'), oses.sort());
  fill($('f-finding'), D.findings);
  fill($('f-view'), D.views.map(function (v, j) { return String(j); }), D.views.map(function (v) { return v.name + ' (' + v.hosts.length + ')'; }));
  $('total').textContent = N;

  function apply() {
    var q = state.q.toLowerCase(), oc = state.outcome === '' ? -1 : D.outcomes.indexOf(state.outcome);
    var inView = null;
    if (state.view !== '') { inView = {}; D.views[+state.view].hosts.forEach(function (j) { inView[j] = 1; }); }
    order = [];
    for (var i = 0; i < N; i++) {
      if (oc >= 0 && H[i][1] !== oc) { continue; }
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
      row.appendChild(el('div', {title: h[3]}, h[3]));
      row.appendChild(el('div', null, h[4]));
      row.appendChild(el('div', {title: str(h[5])}, str(h[5])));
      row.appendChild(el('div', {title: str(h[6])}, str(h[6])));
      row.appendChild(el('div', null, h[7]));
      frag.appendChild(row);
    }
    body.textContent = '';
    body.appendChild(frag);
  }

  function stateLine(code) {
    var span = el('span', {'class': 'st'});
    for (var k = 0; k < code.length; k++) {
      span.appendChild(el('span', {'class': code[k], title: D.protocols[k] + ': ' + ({A: 'allowed', R: 'refused', U: 'unknown'})[code[k]]}, code[k]));
    }
    return span;
  }

  function showHost(i) {
    state.selected = i;
    var h = H[i], d = D.details[i], box = $('detail'), o = D.outcomes[h[1]];
    box.textContent = '';
    box.hidden = false;
    box.appendChild(el('h2', {id: 'detail-title'}, h[0]));
    var pill = el('span', {'class': 'pill', style: 'background:' + COLORS[o]}, D.labels[h[1]]);
    var p = el('p'); p.appendChild(pill); p.appendChild(document.createTextNode(' ' + h[3] + ' \u00b7 gathered ' + h[7] + ' \u00b7 run: ' + h[8]));
    box.appendChild(p);
    if (d.v) { box.appendChild(el('p', null, d.v)); }
    if (d.m) { box.appendChild(el('p', {'class': 'muted'}, d.m)); }
    if (d.l) { box.appendChild(el('p', {'class': 'muted'}, 'Last known posture: ' + d.l.verdict + ' (gathered ' + d.l.gathered_at + ')')); }
    if (d.s.length) {
      box.appendChild(el('h3', null, 'TLS stacks (' + D.protocols.join(', ') + ': A allowed, R refused, U unknown)'));
      var t = el('table', {'class': 'grid'});
      d.s.forEach(function (s) {
        var tr = el('tr'); tr.appendChild(el('td', null, s[0])); tr.appendChild(el('td', null, s[1])); tr.appendChild(el('td', null, s[2]));
        var td = el('td'); td.appendChild(stateLine(s[3])); tr.appendChild(td); t.appendChild(tr);
      });
      box.appendChild(t);
    }
    if (d.c.length) {
      box.appendChild(el('h3', null, 'Mail clients'));
      var tc = el('table', {'class': 'grid'});
      d.c.forEach(function (c) {
        var tr = el('tr'); tr.appendChild(el('td', null, c[0])); tr.appendChild(el('td', null, c[1])); tr.appendChild(el('td', null, c[2]));
        var td = el('td'); if (c[3]) { td.appendChild(stateLine(c[3])); } tr.appendChild(td); tc.appendChild(tr);
      });
      box.appendChild(tc);
    }
    box.appendChild(el('h3', null, 'Findings (' + d.f.length + ')'));
    d.f.forEach(function (f) {
      var div = el('div', {'class': 'finding', style: 'border-color:' + (COLORS[f[2]] || '#1a73e8')});
      div.appendChild(el('div', null, f[0] + ' \u00b7 ' + f[2] + ' \u00b7 ' + f[3] + ' \u00b7 ' + f[1]));
      div.appendChild(el('strong', null, str(f[4])));
      if (f[8] >= 0) { div.appendChild(el('div', {'class': 'muted'}, str(f[8]))); }
      f[6].forEach(function (e) { div.appendChild(el('div', {'class': 'ev'}, str(e))); });
      if (f[7]) { div.appendChild(el('div', {'class': 'muted'}, '+' + f[7] + ' more evidence item(s) in posture.json')); }
      if (f[5] >= 0) { div.appendChild(el('div', {'class': 'fix'}, 'Fix: ' + str(f[5]))); }
      box.appendChild(div);
    });
    if (d.x) { box.appendChild(el('p', null, d.x + ' Exchange Online script finding(s): see the table below.')); }
    if (d.r) { box.appendChild(el('h3', null, 'Remediation')); box.appendChild(el('pre', {'class': 'ev'}, JSON.stringify(d.r, null, 1))); }
    render(true);
  }

  $('f-q').addEventListener('input', function (e) { state.q = e.target.value; apply(); });
  [['f-outcome', 'outcome'], ['f-os', 'os'], ['f-finding', 'finding'], ['f-view', 'view']].forEach(function (pair) {
    $(pair[0]).addEventListener('change', function (e) { state[pair[1]] = e.target.value; apply(); });
  });
  $('f-reset').addEventListener('click', function () {
    state.q = state.outcome = state.os = state.finding = state.view = '';
    ['f-q', 'f-outcome', 'f-os', 'f-finding', 'f-view'].forEach(function (id) { $(id).value = ''; });
    apply();
  });
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
  function setSelect(id, key, value) { $(id).value = value; $(id).dispatchEvent(new Event('change')); }
  Array.prototype.forEach.call(document.querySelectorAll('.kpi[data-kpi]'), function (k) {
    var key = k.getAttribute('data-kpi');
    if (D.outcomes.indexOf(key) >= 0) { k.addEventListener('click', function () { setSelect('f-outcome', 'outcome', key); }); }
  });
  Array.prototype.forEach.call(document.querySelectorAll('svg .bar[data-key]'), function (b) {
    var key = b.getAttribute('data-key');
    b.addEventListener('click', function () {
      if (D.outcomes.indexOf(key) >= 0) { setSelect('f-outcome', 'outcome', key); } else { setSelect('f-finding', 'finding', key); }
    });
  });
  function hostIndex(name) { for (var i = 0; i < N; i++) { if (H[i][0] === name) { return i; } } return -1; }
  apply();
  var m = /^#host=(.*)$/.exec(location.hash);
  if (m) { var hi = hostIndex(decodeURIComponent(m[1])); if (hi >= 0) { showHost(hi); } }

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
    snap('initial');
    var sortCol = params.get('sort');
    if (sortCol) {
      var head = document.querySelector('#thead div[data-col="' + sortCol + '"]');
      head.click();
      if (params.get('dir') === 'desc' && state.dir > 0) { head.click(); }
      snap('sort');
    }
    if (params.get('outcome')) { setSelect('f-outcome', 'outcome', params.get('outcome')); snap('outcome'); }
    if (params.get('os')) { setSelect('f-os', 'os', params.get('os')); snap('os'); }
    if (params.get('q')) { $('f-q').value = params.get('q'); $('f-q').dispatchEvent(new Event('input')); snap('q'); }
    var sc = $('tscroll'); sc.scrollTop = sc.scrollHeight; sc.dispatchEvent(new Event('scroll'));
    var rows = visible();
    r.scrolled_last = rows.length ? rows[rows.length - 1].name : null;
    r.scrolled_dom_rows = rows.length;
    sc.scrollTop = 0; sc.dispatchEvent(new Event('scroll'));
    if (params.get('host')) {
      var idx = hostIndex(params.get('host'));
      if (idx >= 0) {
        showHost(idx);
        r.detail = {title: $('detail-title').textContent, findings: document.querySelectorAll('#detail .finding').length,
                    fixes: document.querySelectorAll('#detail .fix').length, evidence: document.querySelectorAll('#detail .ev').length};
      }
    }
    var pre = el('pre', {id: 'selftest-result'}, JSON.stringify(r));
    document.body.appendChild(pre);
  }
})();
'''
