# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text report formats built from the fleet model: JSON, CSV, JUnit XML, Markdown.

Controller side only.  Each ``render_*`` function returns the whole file as a
``str``; writing (atomically) is the job of ``writer.write_report``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model

CSV_COLUMNS = ('host', 'outcome', 'run_status', 'verdict', 'os_family', 'os', 'findings', 'what_fails', 'what_to_do',
               'remediation', 'gathered_at', 'message')


def render_json(fleet):
    """posture.json: the report header and every host's schema-1 posture (with its ``run`` facts)."""
    return json.dumps(fleet_json(fleet), indent=1, sort_keys=False, ensure_ascii=False) + '\n'


def fleet_json(fleet):
    report = dict(fleet['report'])
    report['views'] = [dict((k, v) for k, v in view.items() if k != 'hosts') for view in report.get('views', [])]
    return {'report_format': fleet['report_format'], 'report': report, 'hosts': fleet['hosts']}


_CSV_FORMULA = re.compile(r'^[=+\-@\t\r]')


def _cell(value):
    """Spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a leading quote."""
    text = '' if value is None else str(value)
    if _CSV_FORMULA.match(text):
        text = "'" + text
    return text


def render_csv(fleet):
    """hosts.csv: one row per host with its outcome, what fails and what to do."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(CSV_COLUMNS)
    for doc in fleet['hosts']:
        host = doc.get('host') or {}
        rem = doc['run'].get('remediation') or {}
        writer.writerow([_cell(v) for v in (
            host.get('name'),
            model.outcome(doc),
            doc['run']['status'],
            doc['verdict']['status'],
            host.get('os_family'),
            model.os_label(doc),
            len(doc.get('findings') or []),
            ' | '.join(model.what_fails(doc)),
            ' | '.join(model.what_to_do(doc)),
            rem.get('status', ''),
            doc.get('gathered_at'),
            doc['run'].get('message', ''),
        )])
    return buf.getvalue()


# XML 1.0 cannot carry most control characters, even escaped.
_XML_BAD = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')


def _x(text):
    return _XML_BAD.sub('\ufffd', '' if text is None else str(text))


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


def render_junit(fleet):
    """junit.xml: one testcase per host and check; failures for will_fail and at_risk, errors for hosts without a posture."""
    root = ET.Element('testsuites', name='mailtls.remediation')
    suite = ET.SubElement(root, 'testsuite', name='mailtls.remediation.posture', timestamp=_x(fleet['report']['generated_at']))
    counts = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
    for doc in fleet['hosts']:
        name = _x(doc['host']['name'])
        state = doc['run']['status']
        for check, items in _checks(doc):
            case = ET.SubElement(suite, 'testcase', classname=name, name=_x(check))
            counts['tests'] += 1
            if check == 'inventory':
                if state in ('unreachable', 'failed', 'not_reported'):
                    err = ET.SubElement(case, 'error', type=state, message=_x(doc['run'].get('message') or state))
                    err.text = _x(_finding_text(doc.get('findings') or []))
                    counts['errors'] += 1
                rem = doc['run'].get('remediation') or {}
                if rem.get('status') in ('failed', 'rolled_back'):
                    fail = ET.SubElement(case, 'failure', type='remediation_' + rem['status'], message=_x(rem.get('reason') or rem['status']))
                    fail.text = _x(json_compact(rem))
                    counts['failures'] += 1
                continue
            if check == 'exo_scripts':
                if items:
                    fail = ET.SubElement(case, 'failure', type='exo_legacy', message='%d legacy Exchange Online construct(s)' % len(items))
                    fail.text = _x('\n'.join('%s:%s %s %s' % (i['path'], i['line'] or '?', i['id'], i['message']) for i in items[:200]))
                    counts['failures'] += 1
                continue
            gating = [f for f in items if f.get('effect') in model.GATING]
            unknown = [f for f in items if f.get('effect') == 'unknown']
            if gating:
                worst = 'will_fail' if any(f['effect'] == 'will_fail' for f in gating) else 'at_risk'
                fail = ET.SubElement(case, 'failure', type=worst, message=_x('; '.join(f.get('title', '') for f in gating)))
                fail.text = _x(_finding_text(gating))
                counts['failures'] += 1
            elif unknown and state not in ('unreachable', 'failed', 'not_reported'):
                ET.SubElement(case, 'skipped', message=_x('; '.join(f.get('title', '') for f in unknown)))
                counts['skipped'] += 1
            if items and not gating:
                out = ET.SubElement(case, 'system-out')
                out.text = _x(_finding_text(items))
    for key, value in counts.items():
        suite.set(key, str(value))
        root.set(key, str(value))
    ET.indent(root, space=' ')
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


def json_compact(value):
    return json.dumps(value, sort_keys=True, default=str)


def _md(text):
    """Escape text for a Markdown table cell."""
    text = '' if text is None else str(text)
    text = text.replace('\\', '\\\\').replace('|', '\\|').replace('\r', ' ').replace('\n', ' ')
    for ch in '*_`[]<>':
        text = text.replace(ch, '\\' + ch)
    return text


def render_markdown(fleet, max_hosts=50):
    """summary.md: totals, top findings and the hosts that need action, for a change ticket."""
    report = fleet['report']
    tot = report['totals']
    run = report.get('run') or {}
    lines = ['# %s' % _md(report['title']), '']
    lines.append('- Generated: %s' % report['generated_at'])
    if run.get('started_at'):
        lines.append('- Run started: %s' % run['started_at'])
    lines.append('- Hosts in scope: %d' % tot['hosts'])
    for key, label in (('play', 'Play'), ('limit', 'Limit'), ('check_mode', 'Check mode'), ('pattern', 'Host pattern')):
        if run.get(key) not in (None, '', []):
            lines.append('- %s: %s' % (label, _md(run[key])))
    lines.append('- Hosts that gate a pipeline (will fail or at risk): %d' % tot['gating'])
    lines += ['', '## Totals', '', '| Outcome | Hosts |', '|---|---:|']
    for key, label in model.OUTCOME_LABELS.items():
        lines.append('| %s | %d |' % (label, tot['by_outcome'][key]))
    lines += ['', '## By operating system', '']
    lines.append('| OS | ' + ' | '.join(model.OUTCOME_LABELS.values()) + ' |')
    lines.append('|---|' + '---:|' * len(model.OUTCOMES))
    for os_family, counts in tot['by_os'].items():
        lines.append('| %s | %s |' % (_md(os_family), ' | '.join(str(counts[o]) for o in model.OUTCOMES)))
    if tot['top_findings']:
        lines += ['', '## Top findings', '', '| Finding | Effect | Severity | Hosts | Fix |', '|---|---|---|---:|---|']
        for f in tot['top_findings'][:15]:
            lines.append('| %s | %s | %s | %d | %s |' % (_md(f['id']), _md(f['effect']), _md(f['severity']), f['hosts'], _md(f['remediation'])))
    action = [d for d in fleet['hosts'] if model.outcome(d) not in ('compliant',)]
    action.sort(key=lambda d: (model.OUTCOMES.index(model.outcome(d)), d['host']['name']))
    lines += ['', '## Hosts that need action (%d)' % len(action), '']
    if action:
        lines += ['| Host | Outcome | OS | What fails | What to do |', '|---|---|---|---|---|']
        for doc in action[:max_hosts]:
            cells = (_md(doc['host']['name']), model.OUTCOME_LABELS[model.outcome(doc)], _md(model.os_label(doc)),
                     _md('; '.join(model.what_fails(doc)[:3])), _md('; '.join(model.what_to_do(doc)[:2])))
            lines.append('| %s | %s | %s | %s | %s |' % cells)
        if len(action) > max_hosts:
            lines += ['', '%d more host(s): see hosts.csv or index.html.' % (len(action) - max_hosts)]
    else:
        lines.append('None.')
    if tot['exo']['findings']:
        lines += ['', '## Exchange Online scripts', '',
                  '%d legacy construct(s) in scripts on %d host(s); see index.html for each line.' % (tot['exo']['findings'], tot['exo']['hosts'])]
    if report.get('views'):
        lines += ['', '## Views', '', '| View | Query | Count |', '|---|---|---:|']
        for view in report['views']:
            lines.append('| %s | `%s` | %d |' % (_md(view['name']), view['query'].replace('`', "'").replace('|', '\\|'), view['count']))
    return '\n'.join(lines) + '\n'
