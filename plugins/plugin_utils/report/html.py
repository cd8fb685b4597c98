# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""index.html: one self-contained page (no network), rendered with Jinja2.

Controller side only.  The page is the template ``templates/report.html.j2``
(autoescaped); its stylesheet and script sit next to it and are inlined.  The
host table, the host and finding panels and the print listing are drawn by the
page's own script from embedded compact JSON.  That JSON is produced one host
at a time (``HostData``) into spool files and streamed into the page when it is
rendered, so building the page never holds the fleet in memory.

Adding ``?selftest=1`` (plus ``sort``, ``dir``, ``outcome``, ``os``, ``q``,
``change``, ``finding``, ``host``, ``export``, ``print`` parameters) makes the
page drive its own controls like a user would and write what the page then
shows into ``<pre id="selftest-result">``; the browser test reads that back.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import json
import os
from collections.abc import Mapping

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import jsonenc, model

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')
MAX_EXO_ROWS = 1000
MAX_DIFF = 4000
# Interned strings are capped so that a fleet of unique texts cannot grow the table without bound;
# past the cap, texts are written inline.
MAX_STRINGS = 100000
_STATE_CODE = {'allowed': 'A', 'refused': 'R', 'unknown': 'U'}
COLORS = {
    'will_fail': '#b3261e',
    'at_risk': '#e37400',
    'failed': '#7b1fa2',
    'unreachable': '#5f6368',
    'not_reported': '#9aa0a6',
    'unknown': '#c5a100',
    'compliant': '#188038',
}
EFFECT_COLORS = {'will_fail': COLORS['will_fail'], 'at_risk': COLORS['at_risk'], 'unknown': COLORS['unknown'], 'none': '#1a73e8'}
CHANGE_COLORS = {'newly_failing': '#b3261e', 'regressed': '#e37400', 'fixed': '#188038', 'improved': '#7cb342',
                 'unchanged': '#9aa0a6', 'new': '#1a73e8', 'no_data': '#5f6368'}
STATE_COLORS = {'allowed': '#b3261e', 'refused': '#188038', 'unknown': '#c5a100'}


def json_dumps(value):
    """Compact JSON, safe inside a ``<script type="application/json">`` element (Jinja2's own escaping)."""
    return htmlsafe_json_dumps(value, dumps=jsonenc.dumps)


def template_cache(environ=None):
    """Where Jinja2 keeps the compiled report templates between runs, or None.

    Compiling the templates is most of what a small fleet's report costs, and every
    ansible-playbook run is a new process.  The folder is the collection's bytecode
    folder on this machine, with the same switch (``MAILTLS_BYTECODE_CACHE``) and the
    same ownership checks; Jinja2 names its entries by template and source checksum.
    """
    directory = _bytecode_cache.cache_dir(environ)
    return FileSystemBytecodeCache(directory) if directory else None


def environment():
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, extensions=['jinja2.ext.do'],
                      bytecode_cache=template_cache())
    env.filters['pct'] = _pct
    env.globals.update(colors=COLORS, effect_colors=EFFECT_COLORS, change_colors=CHANGE_COLORS, state_colors=STATE_COLORS,
                       protocols=posture.PROTOCOLS, protocol_labels=posture.PROTOCOL_LABELS, legacy=posture.LEGACY_PROTOCOLS,
                       outcomes=model.OUTCOMES, outcome_labels=model.OUTCOME_LABELS, change_labels=model.CHANGE_LABELS,
                       json_dumps=json_dumps)
    return env


def _pct(count, total):
    return int(round(100.0 * count / total)) if total else 0


def _read(name):
    with open(os.path.join(TEMPLATES, name), encoding='utf-8') as handle:
        return handle.read()


class Strings(object):
    """String table: long repeated texts (titles, fixes, evidence) are stored once."""

    def __init__(self, limit=MAX_STRINGS):
        self.items = []
        self.index = {}
        self.limit = limit

    def __call__(self, text):
        if text is None or text == '':
            return -1
        text = str(text)
        pos = self.index.get(text)
        if pos is None:
            if len(self.items) >= self.limit:
                return text
            pos = len(self.items)
            self.items.append(text)
            self.index[text] = pos
        return pos


def evidence_text(ev):
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


def states(protocols):
    if not protocols:
        return 'U' * len(posture.PROTOCOLS)
    out = []
    for proto in posture.PROTOCOLS:
        decided = protocols.get(proto)
        out.append(_STATE_CODE.get(decided.get('state'), 'U') if decided else 'U')
    return ''.join(out)


def diff_text(diff):
    """A change's diff as text: a unified diff string as given, or one made from ``{before, after}``."""
    if diff is None:
        return ''
    if isinstance(diff, Mapping) and ('before' in diff or 'after' in diff):
        before = diff.get('before') or ''
        after = diff.get('after') or ''
        if not isinstance(before, str) or not isinstance(after, str):
            return json.dumps(diff, sort_keys=True, default=str)
        lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                     str(diff.get('before_header') or 'before'), str(diff.get('after_header') or 'after'))
        return ''.join(lines)
    if isinstance(diff, str):
        return diff
    return json.dumps(diff, sort_keys=True, default=str)


def _clip(text, size):
    return text if len(text) <= size else text[:size] + '\n... (%d more characters in change-plan.json)' % (len(text) - size)


class HostData(object):
    """The page's per-host data, one host at a time: a row for the table and a detail for the panel."""

    def __init__(self, max_evidence=5):
        self.strings = Strings()
        self.max_evidence = max_evidence
        self.exo_rows = []
        self.exo_total = 0
        self.oses = set()
        # evidence repeats across a fleet (same file, line, key, value): its text is built once
        self._evidence = {}

    def evidence(self, ev):
        try:
            key = tuple(ev.items())
            hit = self._evidence.get(key)
        except TypeError:  # a list or mapping as value
            return self.strings(evidence_text(ev))
        if hit is None:
            hit = self.strings(evidence_text(ev))
            if len(self._evidence) < MAX_STRINGS:
                self._evidence[key] = hit
        return hit

    def row(self, doc, out, change, fails, fixes, label, plan):
        host = doc['host']
        self.oses.add(host.get('os_family', 'other'))
        s = self.strings
        return [
            host.get('name'),
            model.OUTCOMES.index(out),
            host.get('os_family', 'other'),
            s(label),
            len(doc.get('findings') or []),
            s(fails[0] if fails else ''),
            s(fixes[0] if fixes else ''),
            doc.get('gathered_at', ''),
            doc['run']['status'],
            model.CHANGES.index(change) if change else -1,
            len((plan or {}).get('changes') or []),
        ]

    def detail(self, doc, plan):
        s = self.strings
        max_ev = self.max_evidence
        findings = []
        evidence = self.evidence
        for f in sorted(doc.get('findings') or [], key=model.finding_key):
            evs = f.get('evidence') or []
            findings.append([
                f.get('id'), f.get('subject'), f.get('effect'), f.get('severity'),
                s(f.get('title')), s(f.get('remediation')),
                [evidence(e) for e in evs[:max_ev]], max(0, len(evs) - max_ev),
                s(f.get('detail')),
            ])
        stacks = [[s.get('name'), s.get('kind'), s.get('version') or '', states(s.get('protocols'))]
                  for s in doc.get('stacks') or [] if s.get('present', True)]
        clients = [[c.get('client'), c.get('path'), c.get('user') or '', states(c.get('protocols')) if c.get('protocols') else '']
                   for c in doc.get('clients') or []]
        detail = {'f': findings, 's': stacks, 'c': clients, 'm': doc['run'].get('message', ''), 'v': doc['verdict'].get('summary', '')}
        rem = doc['run'].get('remediation')
        if rem:
            detail['r'] = dict((k, v) for k, v in rem.items() if k not in ('plan', 'applied'))
            if plan is not None:
                detail['p'] = compact_plan(plan, 'applied' if isinstance(rem.get('applied'), Mapping) else 'plan')
        if doc['run'].get('last_known'):
            detail['l'] = doc['run']['last_known']
        scripts = doc.get('scripts')
        if scripts:
            exo = model.normalise_exo(scripts)
            if exo:
                detail['x'] = len(exo)
                self.exo_total += len(exo)
                for item in exo:
                    if len(self.exo_rows) < MAX_EXO_ROWS:
                        self.exo_rows.append((doc['host']['name'], item))
        return detail


def compact_plan(plan, kind):
    changes = []
    for c in plan.get('changes') or []:
        if isinstance(c, Mapping):
            changes.append([str(c.get('module') or ''), str(c.get('kind') or ''), str(c.get('target') or ''), str(c.get('action') or ''),
                            [str(i) for i in c.get('finding_ids') or []], _clip(diff_text(c.get('diff')), MAX_DIFF)])
    guards = [[str(g.get('id') or ''), bool(g.get('blocking')), str(g.get('msg') or '')] for g in plan.get('guards') or [] if isinstance(g, Mapping)]
    restarts = [[str(r.get('service') or ''), str(r.get('why') or '')] for r in plan.get('restarts') or [] if isinstance(r, Mapping)]
    verify = [[str(v.get('what') or ''), str(v.get('how') or ''), [str(e) for e in v.get('endpoints') or []]]
              for v in plan.get('verify') or [] if isinstance(v, Mapping)]
    return {'k': kind, 'c': changes, 'g': guards, 'r': restarts, 'b': bool(plan.get('reboot')), 'v': verify}


def _chunks(path, size=1 << 18):
    """Read a spool file of already-escaped JSON back as Markup chunks."""
    if not path:
        return
    with open(path, encoding='utf-8') as handle:
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            yield Markup(chunk)


def render(out, context, rows_path, details_path, hostdata, views):
    """Write index.html into the open text file ``out`` by streaming the template."""
    env = environment()
    template = env.get_template('report.html.j2')
    meta = {
        'outcomes': list(model.OUTCOMES),
        'labels': list(model.OUTCOME_LABELS.values()),
        'changes': list(model.CHANGES),
        'change_labels': list(model.CHANGE_LABELS.values()),
        'protocols': [posture.PROTOCOL_LABELS[p] for p in posture.PROTOCOLS],
        'colors': COLORS,
        'effect_colors': EFFECT_COLORS,
        'oses': sorted(hostdata.oses),
        'views': views,
        'findings': [dict((k, f.get(k)) for k in ('id', 'hosts', 'severity', 'effect', 'title', 'remediation'))
                     for f in context['totals']['top_findings']],
        'run_id': context.get('run_id') or '',
        'history': context.get('history_runs') or [],
        'previous': context.get('previous_id') or '',
    }
    ctx = dict(context)
    ctx.update(
        css=Markup(_read('report.css')),
        js=Markup(_read('report.js')),
        data_meta=json_dumps(meta),
        data_strings=json_dumps(hostdata.strings.items),
        rows_chunks=_chunks(rows_path),
        details_chunks=_chunks(details_path),
        exo_rows=hostdata.exo_rows,
        exo_total=hostdata.exo_total,
    )
    for piece in template.generate(**ctx):
        out.write(piece)
