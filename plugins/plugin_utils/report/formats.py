# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host pieces of the text formats (CSV row, JUnit test cases) and the Markdown template.

Controller side only.  ``stream.ReportStream`` calls these one host at a time
and writes the results; nothing here holds more than one host.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
from xml.sax.saxutils import escape, quoteattr

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report.html import TEMPLATES, template_cache

CSV_COLUMNS = ('host', 'outcome', 'run_status', 'verdict', 'os_family', 'os', 'findings', 'what_fails', 'what_to_do',
               'remediation', 'planned_changes', 'change', 'gathered_at', 'message')

_CSV_FORMULA = re.compile(r'^[=+\-@\t\r]')


def csv_cell(value):
    """Spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a leading quote."""
    text = '' if value is None else str(value)
    if _CSV_FORMULA.match(text):
        text = "'" + text
    return text


def csv_row(doc, out, change, fails, fixes, label, plan):
    host = doc['host']
    rem = doc['run'].get('remediation') or {}
    return [csv_cell(v) for v in (
        host.get('name'),
        out,
        doc['run']['status'],
        doc['verdict']['status'],
        host.get('os_family'),
        label,
        len(doc.get('findings') or []),
        ' | '.join(fails),
        ' | '.join(fixes),
        rem.get('status', ''),
        len((plan or {}).get('changes') or []) if plan is not None else '',
        change or '',
        doc.get('gathered_at'),
        doc['run'].get('message', ''),
    )]


# XML 1.0 cannot carry most control characters, even escaped.
_XML_BAD = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')


def _x(text):
    return _XML_BAD.sub('\ufffd', '' if text is None else str(text))


def _attr(text):
    return quoteattr(_x(text), {'\n': '&#10;', '\r': '&#13;', '\t': '&#9;'})


def _checks(doc):
    """The checks of one host: (name, findings) pairs, in a stable order."""
    by_subject = {}
    for finding in doc.get('findings') or []:
        by_subject.setdefault(finding.get('subject') or 'host', []).append(finding)
    checks = [('inventory', [])]
    checks.append(('host', by_subject.pop('host', [])))
    for stack in doc.get('stacks') or []:
        if stack.get('present', True):
            subject = 'stack:%s' % stack['id']
            checks.append((subject, by_subject.pop(subject, [])))
    for client in doc.get('clients') or []:
        subject = 'client:%s' % client['id']
        checks.append((subject, by_subject.pop(subject, [])))
    for subject in sorted(by_subject):
        checks.append((subject, by_subject[subject]))
    if doc.get('scripts') is not None:
        checks.append(('exo_scripts', model.normalise_exo(doc.get('scripts'))))
    return checks


def _finding_text(findings):
    lines = []
    for f in findings:
        lines.append('[%s/%s] %s' % (f.get('effect'), f.get('severity'), f.get('title')))
        for ev in (f.get('evidence') or [])[:10]:
            where = ev.get('path') or ev.get('key') or ev.get('source')
            if ev.get('line'):
                where = '%s:%s' % (where, ev['line'])
            value = ' = %s' % ev['value'] if 'value' in ev else ''
            lines.append('    evidence: %s%s%s' % (where, value, (' (%s)' % ev['note']) if ev.get('note') else ''))
        if f.get('remediation'):
            lines.append('    fix: %s' % f['remediation'])
    return '\n'.join(lines)


def _element(tag, attrs, text=None):
    head = '<%s %s' % (tag, ' '.join('%s=%s' % (k, _attr(v)) for k, v in attrs))
    if text is None:
        return head + '/>'
    return '%s>%s</%s>' % (head, escape(_x(text)), tag)


_CHECK_ATTRS = {}


def _check_attr(check):
    """``name="..."`` of a check; check names repeat across hosts, so each is escaped once."""
    text = _CHECK_ATTRS.get(check)
    if text is None:
        text = 'name=' + _attr(check)
        if len(_CHECK_ATTRS) < 10000:
            _CHECK_ATTRS[check] = text
    return text


def junit_cases(doc, counts):
    """The ``<testcase>`` elements of one host as text; ``counts`` (tests, failures, errors, skipped) is updated."""
    state = doc['run']['status']
    head = '<testcase classname=%s ' % _attr(doc['host']['name'])
    out = []
    for check, items in _checks(doc):
        counts['tests'] += 1
        inner = []
        if check == 'inventory':
            if state in ('unreachable', 'failed', 'not_reported'):
                inner.append(_element('error', (('type', state), ('message', doc['run'].get('message') or state)),
                                      _finding_text(doc.get('findings') or [])))
                counts['errors'] += 1
            rem = doc['run'].get('remediation') or {}
            if rem.get('status') in model.REMEDIATION_FAILED:
                short = dict((k, v) for k, v in rem.items() if k not in ('plan', 'applied'))
                inner.append(_element('failure', (('type', 'remediation_' + rem['status']), ('message', rem.get('reason') or rem['status'])),
                                      json.dumps(short, sort_keys=True, default=str)))
                counts['failures'] += 1
        elif check == 'exo_scripts':
            if items:
                inner.append(_element('failure', (('type', 'exo_legacy'), ('message', '%d legacy Exchange Online construct(s)' % len(items))),
                                      '\n'.join('%s:%s %s %s' % (i['path'], i['line'] or '?', i['id'], i['message']) for i in items[:200])))
                counts['failures'] += 1
        else:
            gating = [f for f in items if f.get('effect') in model.GATING]
            unknown = [f for f in items if f.get('effect') == 'unknown']
            if gating:
                worst = 'will_fail' if any(f['effect'] == 'will_fail' for f in gating) else 'at_risk'
                inner.append(_element('failure', (('type', worst), ('message', '; '.join(f.get('title', '') for f in gating))),
                                      _finding_text(gating)))
                counts['failures'] += 1
            elif unknown and state not in ('unreachable', 'failed', 'not_reported'):
                inner.append(_element('skipped', (('message', '; '.join(f.get('title', '') for f in unknown)),)))
                counts['skipped'] += 1
        out.append(head + _check_attr(check) + ('>' + ''.join(inner) + '</testcase>' if inner else '/>'))
    return '\n'.join(out) + '\n'


def junit_head(counts, generated_at):
    attrs = ' '.join('%s="%d"' % (k, counts[k]) for k in ('tests', 'failures', 'errors', 'skipped'))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mailtls.remediation" %s>\n'
            '<testsuite name="mailtls.remediation.posture" timestamp=%s %s>\n' % (attrs, _attr(generated_at), attrs))


JUNIT_TAIL = '</testsuite>\n</testsuites>\n'

_MD_SPECIAL = re.compile(r'([\\|*_`\[\]#])')


def md(text):
    """Markdown table-cell text: one line, table and emphasis characters backslash-escaped.

    HTML-special characters are left to the template's autoescaping.
    """
    text = '' if text is None else str(text)
    return _MD_SPECIAL.sub(r'\\\1', text.replace('\r', ' ').replace('\n', ' '))


def markdown_environment():
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, bytecode_cache=template_cache())
    env.filters['md'] = md
    env.globals.update(outcomes=model.OUTCOMES, outcome_labels=model.OUTCOME_LABELS, change_labels=model.CHANGE_LABELS,
                       protocols=posture.PROTOCOLS, protocol_labels=posture.PROTOCOL_LABELS)
    return env


def render_markdown(context):
    return markdown_environment().get_template('summary.md.j2').render(**context)
