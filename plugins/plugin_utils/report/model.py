# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the fleet model that every report format is written from.

Controller side only.  ``build_fleet()`` takes the scope of the run (host names)
and, for each host, the variables the roles left behind (the posture document,
the run status of the inventory, the remediation result, the Exchange Online
script scan).  Every host in scope ends up in the model exactly once: a host
that never reported gets a schema-valid placeholder posture that says why, so
no format can silently drop it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
from collections import OrderedDict
from collections.abc import Mapping

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture

REPORT_FORMAT = 1

POSTURE_VAR = 'mailtls_posture'
STATUS_VAR = 'tls_inventory_status'
REMEDIATION_VAR = 'tls_remediation_result'
EXO_VAR = 'exo_migration_scan'
HOST_VARS = (POSTURE_VAR, STATUS_VAR, REMEDIATION_VAR, EXO_VAR, 'ansible_connection', 'ansible_shell_type')

# Run states of a host, next to the posture verdict.
RUN_STATES = ('reported', 'cached', 'unreachable', 'failed', 'not_reported')
# What a reader sees per host: the verdict when the host reported, the run state otherwise.
# Ordered from most to least urgent; sorting and charts use this order.
OUTCOMES = ('will_fail', 'at_risk', 'failed', 'unreachable', 'not_reported', 'unknown', 'compliant')
OUTCOME_LABELS = OrderedDict((
    ('will_fail', 'Will fail'),
    ('at_risk', 'At risk'),
    ('failed', 'Failed'),
    ('unreachable', 'Unreachable'),
    ('not_reported', 'Not reported'),
    ('unknown', 'Unknown'),
    ('compliant', 'Compliant'),
))
GATING = ('will_fail', 'at_risk')
EFFECT_ORDER = dict((e, i) for i, e in enumerate(posture.EFFECTS))
SEVERITY_ORDER = dict((s, i) for i, s in enumerate(reversed(posture.SEVERITIES)))

posture.register_findings({
    'host_unreachable': {
        'severity': 'high', 'effect': 'unknown',
        'title': 'The host was unreachable: no posture was gathered',
        'remediation': 'Check connectivity and credentials for the host, then run the inventory again.',
    },
    'host_failed': {
        'severity': 'high', 'effect': 'unknown',
        'title': 'Gathering the posture failed on this host',
        'remediation': 'Read the error, fix its cause and run the inventory again for the host.',
    },
    'host_not_reported': {
        'severity': 'medium', 'effect': 'unknown',
        'title': 'The host is in scope but never reported a posture',
        'remediation': 'Run the mailtls.remediation.inventory playbook for the host (it may have failed before the inventory task).',
    },
})

_RUN_FINDING = {'unreachable': 'host_unreachable', 'failed': 'host_failed', 'not_reported': 'host_not_reported'}
_RUN_SUMMARY = {
    'unreachable': 'No posture: the host was unreachable',
    'failed': 'No posture: gathering failed',
    'not_reported': 'No posture: the host never reported',
}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).strftime('%Y-%m-%dT%H:%M:%SZ')


_SCALARS = (int, float, bool, type(None))


def plain(value):
    """Deep copy into plain dict/list/str/int/float/bool/None (Ansible wraps its own types).

    Exact built-in types take a fast path: the action plugin converts every host's posture with this.
    """
    kind = type(value)
    if kind is str or kind in _SCALARS:
        return value
    if kind is dict:
        return dict((str(k), plain(v)) for k, v in value.items())
    if kind is list:
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return dict((str(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('utf-8', 'replace')
    return str(value)


def _guess_os(host_vars):
    shell = str(host_vars.get('ansible_shell_type') or '')
    conn = str(host_vars.get('ansible_connection') or '')
    if shell in ('powershell', 'cmd') or conn in ('winrm', 'psrp'):
        return 'windows'
    return 'other'


def _looks_like_posture(doc):
    return isinstance(doc, Mapping) and doc.get('schema') == posture.SCHEMA_VERSION and isinstance(doc.get('verdict'), Mapping)


def placeholder_posture(name, run_state, message, os_family='other', gathered_at=None):
    """A schema-valid posture for a host that has none, saying why."""
    doc = posture.new_document(os_family, name)
    if gathered_at:
        doc['gathered_at'] = gathered_at
    fid = _RUN_FINDING[run_state]
    ev = [posture.evidence('command', note=message)] if message else []
    finding = posture.make_finding(fid, 'host', ev, detail=message or None)
    doc['findings'].append(finding)
    doc['verdict'] = {'status': 'unknown', 'reasons': [fid], 'summary': _RUN_SUMMARY[run_state]}
    return doc


def _run_state(status, has_posture):
    """Map the status fact of tls_inventory (and whether a posture exists) to a run state."""
    state = None
    if isinstance(status, Mapping):
        state = status.get('status')
    if state == 'reported':
        return 'reported' if has_posture else 'failed'
    if state in ('unreachable', 'failed'):
        return state
    return 'cached' if has_posture else 'not_reported'


def normalise_exo(scan):
    """Flatten an Exchange Online script scan into a list of findings.

    Accepts ``{'findings': [...]}`` with a path on each finding, or
    ``{'files': [{'path': ..., 'findings': [...]}]}``; each finding keeps
    path, line, id (or rule), severity and message (or title).
    """
    items = []
    if not isinstance(scan, Mapping):
        return items

    def one(path, item):
        if not isinstance(item, Mapping):
            return
        items.append({
            'path': str(item.get('path') or item.get('file') or path or ''),
            'line': item.get('line') if isinstance(item.get('line'), int) else None,
            'id': str(item.get('id') or item.get('rule') or 'exo_script'),
            'severity': str(item.get('severity') or 'medium'),
            'message': str(item.get('message') or item.get('title') or ''),
            'fix': str(item.get('remediation') or item.get('fix') or item.get('replacement') or ''),
        })

    findings = scan.get('findings')
    for item in findings if isinstance(findings, list) else []:
        one(None, item)
    files = scan.get('files')
    for entry in files if isinstance(files, list) else []:
        nested = entry.get('findings') if isinstance(entry, Mapping) else None
        for item in nested if isinstance(nested, list) else []:
            one(entry.get('path'), item)
    return items


def host_entry(name, host_vars, generated_at):
    """One host of the fleet: a schema-valid posture plus the run facts around it.

    The posture given is never modified and never deep-copied: the entry is a
    shallow copy whose ``host`` and ``run`` members are new (the report streams
    one host at a time, so copying every posture would double its cost).
    """
    host_vars = host_vars or {}
    doc = host_vars.get(POSTURE_VAR)
    has_posture = _looks_like_posture(doc)
    status = host_vars.get(STATUS_VAR)
    state = _run_state(status, has_posture)
    message = ''
    if isinstance(status, Mapping):
        message = str(status.get('msg') or '')
    if state == 'cached':
        message = message or 'posture from the fact cache, gathered at %s' % doc.get('gathered_at')
    run = {'status': state, 'message': message}
    if isinstance(status, Mapping) and status.get('at'):
        run['at'] = str(status['at'])
    if state in ('reported', 'cached'):
        doc = dict(doc)
    else:
        if has_posture:
            run['last_known'] = {'gathered_at': doc.get('gathered_at'), 'verdict': (doc.get('verdict') or {}).get('status')}
            os_family = (doc.get('host') or {}).get('os_family') or _guess_os(host_vars)
        else:
            os_family = _guess_os(host_vars)
        doc = placeholder_posture(name, state, message, os_family=os_family, gathered_at=generated_at)
    host = dict(doc.get('host') or {})
    if host.get('name') and host['name'] != name:
        # the report is keyed by the inventory name; keep what the host calls itself
        host['reported_name'] = host['name']
    host['name'] = name
    doc['host'] = host
    remediation = host_vars.get(REMEDIATION_VAR)
    if isinstance(remediation, Mapping):
        run['remediation'] = remediation
    exo = host_vars.get(EXO_VAR)
    if isinstance(exo, Mapping) and 'scripts' not in doc:
        doc['scripts'] = exo
    doc['run'] = run
    return doc


def outcome(doc):
    state = doc.get('run', {}).get('status', 'reported')
    if state in ('unreachable', 'failed', 'not_reported'):
        return state
    rem = doc.get('run', {}).get('remediation') or {}
    if rem.get('status') in REMEDIATION_FAILED:
        return 'failed'
    return (doc.get('verdict') or {}).get('status', 'unknown')


def finding_key(f):
    return (EFFECT_ORDER.get(f.get('effect'), 9), SEVERITY_ORDER.get(f.get('severity'), 9), f.get('id', ''))


def _sorted_findings(doc):
    return sorted(doc.get('findings') or [], key=finding_key)


def failing_findings(doc):
    return [f for f in _sorted_findings(doc) if f.get('effect') in GATING]


def what_fails(doc):
    """Short text: what is wrong on this host (gating findings first, else the run message)."""
    return fails_and_fixes(doc)[0]


def what_to_do(doc):
    return fails_and_fixes(doc)[1]


def fails_and_fixes(doc, out=None):
    """(what fails, what to do) of one host, from one sort of its findings."""
    ordered = _sorted_findings(doc)
    fails = [f for f in ordered if f.get('effect') in GATING]
    unknown = None
    if fails:
        # The detail carries the conditions ("only with RSA key exchange..."), which is the why.
        texts = ['%s (%s)' % (f['title'], f['detail']) if f.get('detail') else f['title'] for f in fails]
    else:
        texts = []
        if (out or outcome(doc)) in ('unreachable', 'failed', 'not_reported', 'unknown'):
            unknown = [f for f in ordered if f.get('effect') == 'unknown']
            texts = [f['title'] for f in unknown][:3]
    fixes = []
    source = fails
    if not source:
        source = unknown if unknown is not None else [f for f in ordered if f.get('effect') == 'unknown']
    for finding in source:
        fix = finding.get('remediation')
        if fix and fix not in fixes:
            fixes.append(fix)
    return texts, fixes


def os_label(doc):
    host = doc.get('host') or {}
    parts = [host.get('distribution'), host.get('distribution_version')]
    return ' '.join(str(p) for p in parts if p) or host.get('os_family', 'other')


def allowed_protocols(stack):
    return [p for p in posture.PROTOCOLS if (stack.get('protocols') or {}).get(p, {}).get('state') == 'allowed']


def has_data(doc):
    """True when the host's posture comes from a run (this one or the fact cache), not a placeholder."""
    return doc['run']['status'] in ('reported', 'cached')


# How a host moved since the previous kept run, compared on the posture verdict.
CHANGES = ('newly_failing', 'regressed', 'fixed', 'improved', 'unchanged', 'new', 'no_data')
CHANGE_LABELS = OrderedDict((
    ('newly_failing', 'Newly failing'),
    ('regressed', 'Regressed'),
    ('fixed', 'Fixed'),
    ('improved', 'Improved'),
    ('unchanged', 'Unchanged'),
    ('new', 'New in scope'),
    ('no_data', 'Not comparable'),
))
_VERDICT_RANK = {'compliant': 0, 'unknown': 1, 'at_risk': 2, 'will_fail': 3}


def compare(previous, now):
    """Change class of a host: ``previous`` / ``now`` are verdicts (None when that run has no posture).

    ``previous`` is the sentinel ``False`` when the host was not in the previous run at all.
    """
    if previous is False:
        return 'new'
    if previous not in _VERDICT_RANK or now not in _VERDICT_RANK:
        return 'no_data'
    if previous == now:
        return 'unchanged'
    if now in GATING and previous not in GATING:
        return 'newly_failing'
    if previous in GATING and now == 'compliant':
        return 'fixed'
    return 'regressed' if _VERDICT_RANK[now] > _VERDICT_RANK[previous] else 'improved'


REMEDIATION_STATES = ('changed', 'would_change', 'unchanged', 'blocked', 'rolled_back', 'rollback_failed', 'failed')
# A host whose remediation ended in one of these is reported as failed, whatever its posture says.
REMEDIATION_FAILED = ('failed', 'rolled_back', 'rollback_failed')


def plan_of(doc):
    """The change plan of a host (``applied`` after a real run, else ``plan``), or None."""
    rem = doc['run'].get('remediation') or {}
    for key in ('applied', 'plan'):
        value = rem.get(key)
        if isinstance(value, Mapping):
            return value
    return None


def blocking_guards(plan):
    return [g for g in (plan or {}).get('guards') or [] if isinstance(g, Mapping) and g.get('blocking')]


def stack_shares(doc):
    """Per stack kind and protocol, the state on one host: allowed if any stack of that kind allows it,
    refused if every one refuses it, unknown otherwise.  One pass over the stacks."""
    kinds = OrderedDict()
    protocols = posture.PROTOCOLS
    for stack in doc.get('stacks') or []:
        if not stack.get('present', True):
            continue
        kind = stack.get('kind', 'other')
        states = kinds.get(kind)
        if states is None:
            states = kinds[kind] = {}
        decided = stack.get('protocols') or {}
        for proto in protocols:
            current = states.get(proto)
            if current == 'allowed':
                continue
            state = (decided.get(proto) or {}).get('state')
            if state == 'allowed':
                states[proto] = 'allowed'
            elif state == 'refused':
                if current is None:
                    states[proto] = 'refused'
            else:
                states[proto] = 'unknown'
    return kinds


def stack_share(doc, kind):
    return stack_shares(doc).get(kind) or dict((p, 'unknown') for p in posture.PROTOCOLS)


class Totals(object):
    """Fleet totals, accumulated one host at a time (memory independent of the number of hosts)."""

    def __init__(self):
        self.hosts = 0
        self.by_outcome = OrderedDict((o, 0) for o in OUTCOMES)
        self.by_run = OrderedDict((s, 0) for s in RUN_STATES)
        self.by_os = OrderedDict()
        self.findings = {}
        self.stack_protocols = OrderedDict()
        self.exo_total = 0
        self.exo_hosts = 0
        self.remediation = OrderedDict((s, 0) for s in REMEDIATION_STATES)
        self.guard_hosts = 0
        self.plan_hosts = 0

    def add(self, doc, out=None):
        out = out or outcome(doc)
        self.hosts += 1
        self.by_outcome[out] += 1
        os_family = (doc.get('host') or {}).get('os_family', 'other')
        counts = self.by_os.get(os_family)
        if counts is None:
            counts = self.by_os[os_family] = OrderedDict((o, 0) for o in OUTCOMES)
        counts[out] += 1
        self.by_run[doc['run']['status']] += 1
        seen_ids = set()
        for finding in doc.get('findings') or []:
            fid = finding.get('id')
            if fid in seen_ids:
                continue
            seen_ids.add(fid)
            entry = self.findings.get(fid)
            if entry is None:
                entry = self.findings[fid] = {'id': fid, 'hosts': 0, 'severity': finding.get('severity'),
                                              'effect': finding.get('effect'), 'title': finding.get('title'),
                                              'remediation': finding.get('remediation')}
            entry['hosts'] += 1
        for kind, states in stack_shares(doc).items():
            entry = self.stack_protocols.get(kind)
            if entry is None:
                entry = self.stack_protocols[kind] = {
                    'hosts': 0,
                    'allowed': OrderedDict((p, 0) for p in posture.PROTOCOLS),
                    'refused': OrderedDict((p, 0) for p in posture.PROTOCOLS),
                    'unknown': OrderedDict((p, 0) for p in posture.PROTOCOLS),
                }
            entry['hosts'] += 1
            for proto, state in states.items():
                entry[state][proto] += 1
        scripts = doc.get('scripts')
        if scripts:
            exo = normalise_exo(scripts)
            if exo:
                self.exo_total += len(exo)
                self.exo_hosts += 1
        rem = doc['run'].get('remediation')
        if rem:
            status = rem.get('status')
            if status in self.remediation:
                self.remediation[status] += 1
        plan = plan_of(doc)
        if plan is not None:
            self.plan_hosts += 1
            if blocking_guards(plan):
                self.guard_hosts += 1

    def result(self):
        top = sorted(self.findings.values(), key=lambda f: (-f['hosts'], EFFECT_ORDER.get(f['effect'], 9), f['id']))
        return {
            'hosts': self.hosts,
            'by_outcome': self.by_outcome,
            'by_run': self.by_run,
            'by_os': self.by_os,
            'gating': sum(self.by_outcome[o] for o in GATING),
            'top_findings': top,
            'stack_protocols': self.stack_protocols,
            'exo': {'findings': self.exo_total, 'hosts': self.exo_hosts},
            'remediation': dict(self.remediation, blocked_by_guards=self.guard_hosts, with_plan=self.plan_hosts),
        }


def totals(docs):
    acc = Totals()
    for doc in docs:
        acc.add(doc)
    return acc.result()


class Views(object):
    """Named JMESPath views, evaluated one host at a time.

    Each expression is applied to a list holding one host document, and the
    per-host results are combined: lists are concatenated (so filters and
    projections such as ``[?verdict.status=='at_risk'].host.name`` select from
    the whole fleet), numbers are added (so ``length([?...])`` counts hosts),
    anything else is collected in a list.  ``None`` and empty lists add nothing.
    """

    def __init__(self, views):
        self.views = []
        if not views:
            return
        import jmespath  # controller-side requirement, only needed when views are asked for
        for view in views:
            name = str(view.get('name') or '').strip()
            query = str(view.get('query') or '').strip()
            if not name or not query:
                raise ValueError('every report view needs a name and a query: %r' % (view,))
            try:
                expr = jmespath.compile(query)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValueError('report view %s: invalid JMESPath expression %r: %s' % (name, query, exc)) from exc
            self.views.append({'name': name, 'query': query, 'description': str(view.get('description') or ''),
                               'expr': expr, 'count': 0, 'hosts': [], 'number': None})

    def __bool__(self):
        return bool(self.views)

    __nonzero__ = __bool__

    def add(self, doc, index):
        """Evaluate every view on one host; yields (view, items) for the items it contributes."""
        for view in self.views:
            try:
                value = view['expr'].search([doc])
            except Exception as exc:  # jmespath raises its own errors on type mismatches
                raise ValueError('report view %s failed on host %s: %s' % (view['name'], doc['host']['name'], exc)) from exc
            if value is None or value == []:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, list)):
                items = [value]
            elif isinstance(value, list):
                items = value
            else:
                view['number'] = (view['number'] or 0) + value
                continue
            view['count'] += len(items)
            if view_hosts(items):
                view['hosts'].append(index)
            yield view, items

    def result(self):
        out = []
        for view in self.views:
            entry = {'name': view['name'], 'query': view['query'], 'description': view['description'],
                     'count': view['number'] if view['number'] is not None and not view['count'] else view['count']}
            out.append(entry)
        return out


def build_fleet(hosts, hostvars, run=None, views=None, title='Mail TLS posture', generated_at=None):
    """The whole report model in memory (for tests and small fleets; the writer streams instead).

    ``hosts``: host names in scope (order kept, duplicates removed).
    ``hostvars``: mapping host name -> mapping with (some of) ``HOST_VARS``.
    ``run``: free-form facts about the run (started_at, limit, check_mode...).
    ``views``: list of ``{'name', 'query', 'description'}`` JMESPath views.
    """
    generated_at = generated_at or utc_now()
    views = Views(views or [])
    docs = []
    acc = Totals()
    results = dict((v['name'], []) for v in views.views)
    for name in unique_names(hosts):
        doc = host_entry(name, hostvars.get(name) if hasattr(hostvars, 'get') else None, generated_at)
        acc.add(doc)
        for view, items in views.add(doc, len(docs)):
            results[view['name']].extend(items)
        docs.append(doc)
    view_list = views.result()
    for entry, view in zip(view_list, views.views):
        entry['result'] = view['number'] if view['number'] is not None and not view['count'] else results[entry['name']]
        entry['hosts'] = view_hosts(results[entry['name']])
    return {
        'report_format': REPORT_FORMAT,
        'report': {
            'title': title,
            'generated_at': generated_at,
            'collector': {'name': posture.COLLECTOR, 'version': posture.COLLECTOR_VERSION},
            'run': plain(run or {}),
            'scope': {'hosts': len(docs)},
            'totals': acc.result(),
            'views': view_list,
        },
        'hosts': docs,
    }


def unique_names(hosts):
    seen = set()
    for name in hosts:
        name = str(name)
        if name not in seen:
            seen.add(name)
            yield name


def view_hosts(result):
    """Host names a view result points at, when it is a list of names or host documents."""
    names = []
    if not isinstance(result, list):
        return names
    for item in result:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, Mapping):
            host = item.get('host')
            if isinstance(host, Mapping) and host.get('name'):
                names.append(str(host['name']))
            elif item.get('name'):
                names.append(str(item['name']))
    return names


def fail_matches(fleet, fail_on):
    """Hosts whose outcome or run state is listed in ``fail_on``."""
    wanted = set(fail_on or [])
    return [doc['host']['name'] for doc in fleet['hosts'] if matches(doc, wanted)]


def matches(doc, wanted):
    return outcome(doc) in wanted or doc['run']['status'] in wanted
