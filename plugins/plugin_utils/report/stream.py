# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build every report file in one pass over the hosts, one host at a time.

Controller side only.  ``ReportStream.add()`` takes one host's variables, turns
them into that host's report entry and appends it to every output at once
(``posture.json``, ``hosts.csv``, the JUnit test cases, the page's data, the
change plan, the named views, the run's outcomes for the next comparison).
What is kept between hosts is bounded: counters, the finding catalogue, a few
example host names, and the page's string table (itself capped).  Files are
written under temporary names and renamed into place by ``close()``; parts whose
header depends on the totals (JUnit, the page) are spooled to disk and copied
after the header.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import csv
import json
import os
import re
import tempfile
from collections import OrderedDict
from collections.abc import Mapping

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import formats, html, jsonenc, model

FILES = OrderedDict((
    ('json', 'posture.json'),
    ('csv', 'hosts.csv'),
    ('junit', 'junit.xml'),
    ('markdown', 'summary.md'),
    ('html', 'index.html'),
    ('pdf', 'report.pdf'),
))
PLAN_FILE = 'change-plan.json'
OUTCOMES_FILE = 'outcomes.json'
EXAMPLE_HOSTS = 20
MD_HOSTS = 50
MAX_PLAN_TARGETS = 500
MAX_GUARDS = 200


def view_filename(name):
    slug = re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-.') or 'view'
    return os.path.join('views', slug + '.json')


class _Out(object):
    """A text file written under a temporary name in its final directory and renamed into place on commit."""

    def __init__(self, directory, name, spool=False):
        self.path = os.path.join(directory, name)
        parent = os.path.dirname(self.path)
        if not os.path.isdir(parent):
            os.makedirs(parent)
        fd, self.tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(name), suffix='.part', dir=parent)
        self.handle = os.fdopen(fd, 'w', encoding='utf-8', newline='')
        self.write = self.handle.write
        self.spool = spool

    def finish(self):
        """Close the spool (it stays on disk for reading back) and return its path."""
        self.handle.close()
        return self.tmp

    def commit(self):
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self):
        if not self.handle.closed:
            self.handle.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


_dumps = jsonenc.dumps


class _Bounded(object):
    """The ``size`` smallest (key, item) pairs seen, in order."""

    def __init__(self, size):
        self.size = size
        self.keys = []
        self.items = []

    def add(self, key, item_fn):
        if len(self.keys) >= self.size and key >= self.keys[-1]:
            return
        pos = bisect.bisect(self.keys, key)
        self.keys.insert(pos, key)
        self.items.insert(pos, item_fn())
        if len(self.keys) > self.size:
            self.keys.pop()
            self.items.pop()


class PlanSummary(object):
    """Fleet-wide aggregate of the hosts' change plans (bounded)."""

    def __init__(self):
        self.hosts = 0
        self.applied = 0
        self.changing_hosts = 0
        self.changes = 0
        self.guard_hosts = 0
        self.reboot_hosts = 0
        self.targets = OrderedDict()
        self.more_targets = 0
        self.guards = OrderedDict()
        self.restarts = OrderedDict()
        self.verify = OrderedDict()

    def add(self, name, plan, applied):
        self.hosts += 1
        self.applied += 1 if applied else 0
        changes = [c for c in plan.get('changes') or [] if isinstance(c, Mapping)]
        if changes:
            self.changing_hosts += 1
            self.changes += len(changes)
        for c in changes:
            key = (str(c.get('module') or ''), str(c.get('kind') or ''), str(c.get('target') or ''), str(c.get('action') or ''))
            entry = self.targets.get(key)
            if entry is None:
                if len(self.targets) >= MAX_PLAN_TARGETS:
                    self.more_targets += 1
                    continue
                entry = self.targets[key] = {'module': key[0], 'kind': key[1], 'target': key[2], 'action': key[3], 'finding_ids': [], 'hosts': 0}
            entry['hosts'] += 1
            for fid in c.get('finding_ids') or []:
                if str(fid) not in entry['finding_ids']:
                    entry['finding_ids'].append(str(fid))
        blocking = False
        for g in plan.get('guards') or []:
            if not isinstance(g, Mapping):
                continue
            blocking = blocking or bool(g.get('blocking'))
            key = (str(g.get('id') or ''), bool(g.get('blocking')))
            entry = self.guards.get(key)
            if entry is None:
                if len(self.guards) >= MAX_GUARDS:
                    continue
                entry = self.guards[key] = {'id': key[0], 'blocking': key[1], 'msg': str(g.get('msg') or ''), 'hosts': 0, 'examples': []}
            entry['hosts'] += 1
            if len(entry['examples']) < 5:
                entry['examples'].append(name)
        if blocking:
            self.guard_hosts += 1
        for r in plan.get('restarts') or []:
            if isinstance(r, Mapping):
                service = str(r.get('service') or '')
                entry = self.restarts.setdefault(service, {'service': service, 'why': str(r.get('why') or ''), 'hosts': 0})
                entry['hosts'] += 1
        if plan.get('reboot'):
            self.reboot_hosts += 1
        for v in plan.get('verify') or []:
            if isinstance(v, Mapping):
                endpoints = [str(e) for e in v.get('endpoints') or []]
                key = (str(v.get('what') or ''), str(v.get('how') or ''), tuple(endpoints))
                if key not in self.verify and len(self.verify) >= MAX_GUARDS:
                    continue
                entry = self.verify.setdefault(key, {'what': key[0], 'how': key[1], 'endpoints': endpoints, 'hosts': 0})
                entry['hosts'] += 1

    def result(self):
        targets = sorted(self.targets.values(), key=lambda t: (-t['hosts'], t['module'], t['target']))
        return {
            'hosts': self.hosts, 'applied': self.applied, 'changing_hosts': self.changing_hosts, 'changes': self.changes,
            'guard_hosts': self.guard_hosts, 'reboot_hosts': self.reboot_hosts,
            'targets': targets, 'more_targets': self.more_targets,
            'guards': sorted(self.guards.values(), key=lambda g: (not g['blocking'], -g['hosts'], g['id'])),
            'restarts': list(self.restarts.values()),
            'verify': list(self.verify.values()),
        }


class ReportStream(object):
    """Every report file of one run, written into ``directory`` one host at a time.

    ``previous``: host name -> verdict (None when that host had no posture) of the
    previous kept run, or None for no comparison.  ``history_runs``: summaries of
    the previous kept runs, oldest first (``close()`` appends this one).
    """

    def __init__(self, directory, wanted=('json', 'csv', 'junit', 'markdown', 'html'), title='Mail TLS posture', run=None, views=None,
                 max_evidence=5, generated_at=None, previous=None, previous_id=None, history_runs=None, run_id=None, pretty_json=False):
        unknown = [f for f in wanted if f not in FILES]
        if unknown:
            raise ValueError('unknown report format(s): %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(FILES))))
        self.wanted = [f for f in FILES if f in wanted]
        if 'pdf' in self.wanted and 'html' not in self.wanted:
            raise ValueError('the pdf format is printed from the HTML report: add html to the formats')
        self.directory = directory
        self.title = title
        self.run = model.plain(run or {})
        self.generated_at = generated_at or model.utc_now()
        self.previous = previous
        self.previous_id = previous_id
        self.history_runs = list(history_runs or [])
        self.run_id = run_id
        self.pretty = pretty_json
        self.views = model.Views(views or [])
        self.totals = model.Totals()
        self.plan = PlanSummary()
        self.seen = set()
        self.count = 0
        self.outs = []
        self.changes = OrderedDict((c, 0) for c in model.CHANGES)
        self.change_examples = dict((c, []) for c in model.CHANGES)
        self.finding_hosts = {}
        self.action = _Bounded(MD_HOSTS)
        self.action_total = 0
        self.junit_counts = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
        self.hostdata = html.HostData(max_evidence) if 'html' in self.wanted else None
        self._plan_out = None
        try:
            self._open()
        except BaseException:
            self.abort()
            raise

    def _new(self, name, spool=False):
        out = _Out(self.directory, name, spool=spool)
        self.outs.append(out)
        return out

    def _open(self):
        if 'json' in self.wanted:
            self.json_out = self._new(FILES['json'])
            self.json_out.write('{"report_format":%d,"hosts":[' % model.REPORT_FORMAT)
        if 'csv' in self.wanted:
            self.csv_out = self._new(FILES['csv'])
            self.csv_writer = csv.writer(self.csv_out.handle, lineterminator='\n')
            self.csv_writer.writerow(formats.CSV_COLUMNS)
        if 'junit' in self.wanted:
            self.junit_spool = self._new('junit.cases', spool=True)
        if self.hostdata is not None:
            self.rows_spool = self._new('html.rows', spool=True)
            self.details_spool = self._new('html.details', spool=True)
        self.outcomes_out = self._new(OUTCOMES_FILE)
        self.outcomes_out.write('{"schema":1,"generated_at":%s,"hosts":{' % json.dumps(self.generated_at))
        self.view_outs = []
        for view in self.views.views:
            out = self._new(view_filename(view['name']))
            out.write('{"name":%s,"query":%s,"description":%s,"result":[' % (
                json.dumps(view['name'], ensure_ascii=False), json.dumps(view['query'], ensure_ascii=False),
                json.dumps(view['description'], ensure_ascii=False)))
            self.view_outs.append([out, 0])

    def add(self, name, host_vars):
        name = str(name)
        if name in self.seen:
            return None
        self.seen.add(name)
        doc = model.host_entry(name, host_vars, self.generated_at)
        out = model.outcome(doc)
        verdict = doc['verdict'].get('status') if model.has_data(doc) else None
        change = None
        if self.previous is not None:
            change = model.compare(self.previous.get(name, False), verdict)
            self.changes[change] += 1
            if len(self.change_examples[change]) < EXAMPLE_HOSTS:
                self.change_examples[change].append(name)
        self.totals.add(doc, out)
        fails, fixes = model.fails_and_fixes(doc, out)
        label = model.os_label(doc)
        plan = model.plan_of(doc)
        sep = ',' if self.count else ''
        index = self.count
        self.count += 1

        if 'json' in self.wanted:
            self.json_out.write(sep + ('\n' if self.pretty else '') + _dumps(doc, self.pretty))
        if 'csv' in self.wanted:
            self.csv_writer.writerow(formats.csv_row(doc, out, change, fails, fixes, label, plan))
        if 'junit' in self.wanted:
            self.junit_spool.write(formats.junit_cases(doc, self.junit_counts))
        if self.hostdata is not None:
            self.rows_spool.write(sep + html.json_dumps(self.hostdata.row(doc, out, change, fails, fixes, label, plan)))
            self.details_spool.write(sep + html.json_dumps(self.hostdata.detail(doc, plan)))
        self.outcomes_out.write('%s%s:%s' % (sep, json.dumps(name, ensure_ascii=False), json.dumps([out, verdict, doc['run']['status']])))

        ids = []
        for finding in doc.get('findings') or []:
            fid = finding.get('id')
            if fid not in ids:
                ids.append(fid)
                hosts = self.finding_hosts.setdefault(fid, [])
                if len(hosts) < EXAMPLE_HOSTS:
                    hosts.append(name)
        if out != 'compliant':
            self.action_total += 1
            self.action.add((model.OUTCOMES.index(out), name), lambda: {
                'name': name, 'outcome': out, 'os': label, 'fails': '; '.join(fails[:3]), 'fix': '; '.join(fixes[:2])})

        if plan is not None:
            applied = isinstance((doc['run'].get('remediation') or {}).get('applied'), Mapping)
            self.plan.add(name, plan, applied)
            if self._plan_out is None:
                self._plan_out = self._new(PLAN_FILE)
                self._plan_out.write('{"schema":1,"generated_at":%s,"hosts":{' % json.dumps(self.generated_at))
                self._plan_sep = ''
            rem = doc['run']['remediation']
            entry = dict(plan)
            entry.setdefault('kind', 'applied' if applied else 'plan')
            if applied and isinstance(rem.get('plan'), Mapping):
                entry['planned'] = rem['plan']
            if rem.get('status'):
                entry.setdefault('status', rem['status'])
            self._plan_out.write('%s%s:%s' % (self._plan_sep, json.dumps(name, ensure_ascii=False), _dumps(entry, self.pretty)))
            self._plan_sep = ','

        if self.views:
            for view, items in self.views.add(doc, index):
                pos = self.views.views.index(view)
                slot = self.view_outs[pos]
                for item in items:
                    slot[0].write((',' if slot[1] else '') + _dumps(item))
                    slot[1] += 1
        return out

    def comparison(self):
        if self.previous is None:
            return None
        removed = [n for n in self.previous if n not in self.seen]
        return {'previous': self.previous_id, 'counts': dict(self.changes), 'examples': self.change_examples,
                'removed': len(removed), 'removed_examples': removed[:EXAMPLE_HOSTS]}

    def scope(self, report):
        run = report['run']
        items = [('Generated', report['generated_at'])]
        for key, label in (('started_at', 'Run started'), ('play', 'Play'), ('pattern', 'Host pattern'), ('limit', 'Limit'),
                           ('check_mode', 'Check mode'), ('ansible_version', 'Ansible'), ('batches', 'Batches')):
            if run.get(key) not in (None, '', []):
                items.append((label, run[key]))
        items.append(('Hosts in scope', report['totals']['hosts']))
        if self.run_id:
            items.append(('Run', self.run_id))
        items.append(('Collector', '%s %s' % (report['collector']['name'], report['collector']['version'])))
        return items

    def close(self):
        """Finish every file; returns the report header (what ``posture.json`` carries under ``report``)."""
        try:
            return self._close()
        except BaseException:
            self.abort()
            raise

    def _close(self):
        totals = self.totals.result()
        views = self.views.result()
        comparison = self.comparison()
        plan = self.plan.result()
        this_run = {'id': self.run_id or '', 'generated_at': self.generated_at, 'hosts': totals['hosts'],
                    'by_outcome': dict(totals['by_outcome']), 'check_mode': bool(self.run.get('check_mode')), 'play': self.run.get('play'),
                    'started_at': self.run.get('started_at')}
        history_runs = self.history_runs + ([this_run] if self.run_id else [])
        report = OrderedDict((
            ('title', self.title),
            ('generated_at', self.generated_at),
            ('collector', {'name': posture.COLLECTOR, 'version': posture.COLLECTOR_VERSION}),
            ('run', self.run),
            ('scope', {'hosts': totals['hosts']}),
            ('totals', totals),
            ('views', views),
        ))
        if self.run_id:
            report['run_id'] = self.run_id
        if comparison is not None:
            report['comparison'] = comparison
        if plan['hosts']:
            report['change_plan'] = dict((k, v) for k, v in plan.items() if k not in ('targets', 'guards', 'restarts', 'verify'))
        files = [FILES[f] for f in self.wanted] + ([PLAN_FILE] if plan['hosts'] else [])

        for (out, count), view, entry in zip(self.view_outs, self.views.views, views):
            if not count and view['number'] is not None:
                out.discard()
                out = self._new(view_filename(view['name']))
                out.write(_dumps({'name': view['name'], 'query': view['query'], 'description': view['description'], 'result': view['number']}))
            else:
                out.write(']}')
            out.write('\n')
            out.commit()
            files.append(view_filename(view['name']))

        context = {
            'report': report, 'totals': totals, 'scope': self.scope(report), 'comparison': comparison, 'plan': plan,
            'history_runs': history_runs, 'run_id': self.run_id or '', 'previous_id': self.previous_id or '', 'views': views,
            'files': [f for f in files if f != FILES['html']], 'finding_hosts': self.finding_hosts,
            'action': self.action.items, 'action_total': self.action_total,
        }

        if 'json' in self.wanted:
            self.json_out.write('%s],"report":%s}\n' % ('\n' if self.pretty else '', _dumps(report, self.pretty)))
            self.json_out.commit()
        if 'csv' in self.wanted:
            self.csv_out.commit()
        if 'junit' in self.wanted:
            spool = self.junit_spool.finish()
            out = self._new(FILES['junit'])
            out.write(formats.junit_head(self.junit_counts, self.generated_at))
            _copy(spool, out)
            out.write(formats.JUNIT_TAIL)
            out.commit()
            os.unlink(spool)
        if 'markdown' in self.wanted:
            out = self._new(FILES['markdown'])
            out.write(formats.render_markdown(context))
            out.commit()
        if self.hostdata is not None:
            rows = self.rows_spool.finish()
            details = self.details_spool.finish()
            page_views = [{'name': v['name'], 'query': v['query'], 'description': v['description'], 'hosts': v['hosts']} for v in self.views.views]
            out = self._new(FILES['html'])
            html.render(out.handle, context, rows, details, self.hostdata, page_views)
            out.commit()
            os.unlink(rows)
            os.unlink(details)
        self.outcomes_out.write('}}\n')
        self.outcomes_out.commit()
        if self._plan_out is not None:
            self._plan_out.write('}}\n')
            self._plan_out.commit()
        self.outs = []
        return {'report': report, 'files': files, 'this_run': this_run, 'plan': plan}

    def abort(self):
        for out in self.outs:
            try:
                out.discard()
            except OSError:
                pass
        self.outs = []


def _copy(src, out, size=1 << 20):
    with open(src, encoding='utf-8') as handle:
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            out.write(chunk)
