# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the posture document and the one set of verdict rules.

Both operating systems fill the same document (``schema: 1``); the JSON Schema
in ``schemas/posture-v1.schema.json`` describes it.  Gatherers only record what
each TLS stack allows and why; ``evaluate()`` turns that into findings and the
host verdict, so Linux and Windows are judged by the same rules.

Standard library only: this runs on target hosts (Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

SCHEMA_VERSION = 1
COLLECTOR = 'mailtls.remediation'
COLLECTOR_VERSION = '0.1.0'

# Protocol ids are JMESPath and Jinja friendly (no dots).
PROTOCOLS = ('ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3')
LEGACY_PROTOCOLS = ('ssl3', 'tls1_0', 'tls1_1')
MODERN_PROTOCOLS = ('tls1_2', 'tls1_3')
PROTOCOL_LABELS = {
    'ssl3': 'SSL 3.0',
    'tls1_0': 'TLS 1.0',
    'tls1_1': 'TLS 1.1',
    'tls1_2': 'TLS 1.2',
    'tls1_3': 'TLS 1.3',
}
STATES = ('allowed', 'refused', 'unknown')
SEVERITIES = ('info', 'low', 'medium', 'high', 'critical')
# What a finding does to the host verdict, from worst to best.
EFFECTS = ('will_fail', 'at_risk', 'unknown', 'none')
VERDICTS = ('will_fail', 'at_risk', 'unknown', 'compliant')
EVIDENCE_SOURCES = ('file', 'registry', 'default', 'build', 'command', 'environment', 'policy', 'probe', 'package')

_ALIASES = {
    'ssl3': 'ssl3', 'sslv3': 'ssl3', 'ssl3.0': 'ssl3', 'ssl 3.0': 'ssl3',
    'tls1': 'tls1_0', 'tlsv1': 'tls1_0', 'tls1.0': 'tls1_0', 'tlsv1.0': 'tls1_0', 'tls1_0': 'tls1_0', 'tls 1.0': 'tls1_0',
    'tls1.1': 'tls1_1', 'tlsv1.1': 'tls1_1', 'tls1_1': 'tls1_1', 'tls 1.1': 'tls1_1',
    'tls1.2': 'tls1_2', 'tlsv1.2': 'tls1_2', 'tls1_2': 'tls1_2', 'tls 1.2': 'tls1_2',
    'tls1.3': 'tls1_3', 'tlsv1.3': 'tls1_3', 'tls1_3': 'tls1_3', 'tls 1.3': 'tls1_3',
}


def protocol_id(name):
    """Map a spelling such as ``TLSv1.2`` or ``tls1_2`` to a protocol id, or None."""
    if name is None:
        return None
    return _ALIASES.get(str(name).strip().lower())


def protocol_rank(proto):
    return PROTOCOLS.index(proto)


def evidence(source, path=None, line=None, section=None, key=None, value=None, note=None):
    """One piece of evidence: where a decision came from (file, registry value, default...)."""
    item = {'source': source}
    for name, val in (('path', path), ('line', line), ('section', section), ('key', key), ('value', value), ('note', note)):
        if val is not None:
            item[name] = val
    return item


def decision(state, reason, evidence_list=None, conditions=None):
    return {
        'state': state,
        'reason': reason,
        'evidence': list(evidence_list or []),
        'conditions': list(conditions or []),
    }


def new_stack(stack_id, kind, name, present=True, version=None):
    """A TLS stack with every protocol still undecided."""
    return {
        'id': stack_id,
        'kind': kind,
        'name': name,
        'present': present,
        'version': version,
        'details': {},
        'sources': [],
        'protocols': dict((p, decision('unknown', 'not determined')) for p in PROTOCOLS),
    }


def set_protocol(stack, proto, state, reason, evidence_list=None, conditions=None):
    stack['protocols'][proto] = decision(state, reason, evidence_list, conditions)


def add_source(stack, path, status, note=None):
    """Record a file or key the gatherer looked at (read, missing, unreadable...)."""
    item = {'path': path, 'status': status}
    if note:
        item['note'] = note
    stack['sources'].append(item)


def new_document(os_family, hostname, host_details=None):
    return {
        'schema': SCHEMA_VERSION,
        'collector': {'name': COLLECTOR, 'version': COLLECTOR_VERSION},
        'gathered_at': datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'host': dict({'name': hostname, 'os_family': os_family}, **(host_details or {})),
        'stacks': [],
        'clients': [],
        'findings': [],
        'verdict': {'status': 'unknown', 'reasons': [], 'summary': 'not evaluated'},
    }


# The findings catalogue: stable ids, what they do to the verdict and the fix.
# Gatherers add their own ids to this table through register_findings().
FINDINGS = {
    'legacy_protocol_allowed': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{stack} still allows {protocols}',
        'remediation': 'Set a minimum of TLS 1.2 for {stack} (mailtls.remediation.system_tls with min_protocol=TLSv1.2).',
    },
    'ssl3_allowed': {
        'severity': 'high', 'effect': 'at_risk',
        'title': '{stack} still allows SSL 3.0',
        'remediation': 'Disable SSL 3.0 for {stack} (mailtls.remediation.system_tls).',
    },
    'tls12_unavailable': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': '{stack} cannot negotiate TLS 1.2 or newer',
        'remediation': 'Enable TLS 1.2 for {stack} (mailtls.remediation.system_tls with mode=ensure_tls12) or upgrade the library.',
    },
    'tls13_disabled': {
        'severity': 'low', 'effect': 'none',
        'title': '{stack} supports TLS 1.3 but it is disabled',
        'remediation': 'Remove the maximum protocol limit so TLS 1.3 can be negotiated.',
    },
    'stack_undetermined': {
        'severity': 'info', 'effect': 'unknown',
        'title': 'Could not determine what {stack} allows',
        'remediation': 'Check the evidence and run mailtls.remediation.tls_probe to measure it.',
    },
    'no_stack_found': {
        'severity': 'medium', 'effect': 'unknown',
        'title': 'No TLS stack could be inspected on this host',
        'remediation': 'Check that the TLS libraries are installed and readable by the gathering user.',
    },
    'gather_error': {
        'severity': 'medium', 'effect': 'unknown',
        'title': 'Part of the inventory failed: {what}',
        'remediation': 'Read the evidence; the rest of the posture is still valid.',
    },
    'client_pinned_below_tls12': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': '{client} is pinned below TLS 1.2 and will fail against Exchange Online',
        'remediation': 'Let {client} negotiate TLS 1.2 or newer (mailtls.remediation.mail_client_tls).',
    },
    'client_allows_legacy': {
        'severity': 'low', 'effect': 'at_risk',
        'title': '{client} would still negotiate {protocols}',
        'remediation': 'Raise the client minimum to TLS 1.2 (mailtls.remediation.mail_client_tls).',
    },
}


def register_findings(catalogue):
    """Add gatherer-specific finding ids (a dict like FINDINGS) to the catalogue."""
    for fid, spec in catalogue.items():
        if fid in FINDINGS and FINDINGS[fid] != spec:
            raise ValueError('finding id %s registered twice with different definitions' % fid)
        FINDINGS[fid] = spec


class _SafeDict(dict):
    def __missing__(self, key):
        return '{' + key + '}'


def make_finding(fid, subject, evidence_list=None, detail=None, origin='gather', **fmt):
    """Build a finding from the catalogue; ``fmt`` fills the title/remediation templates."""
    spec = FINDINGS[fid]
    values = _SafeDict(fmt)
    finding = {
        'id': fid,
        'subject': subject,
        'severity': spec['severity'],
        'effect': spec['effect'],
        'title': spec['title'].format_map(values),
        'evidence': list(evidence_list or []),
        'remediation': spec['remediation'].format_map(values),
        'origin': origin,
    }
    if detail:
        finding['detail'] = detail
    return finding


def add_finding(document, finding):
    """Add a finding unless the same id already exists for the same subject."""
    for existing in document['findings']:
        if existing['id'] == finding['id'] and existing['subject'] == finding['subject']:
            existing['evidence'].extend(e for e in finding['evidence'] if e not in existing['evidence'])
            return existing
    document['findings'].append(finding)
    return finding


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _protocol_list(protos):
    return ', '.join(PROTOCOL_LABELS[p] for p in protos)


def _stack_findings(stack):
    found = []
    if not stack.get('present', True):
        return found
    protocols = stack['protocols']
    subject = 'stack:%s' % stack['id']
    name = stack['name']
    legacy = [p for p in ('tls1_0', 'tls1_1') if protocols[p]['state'] == 'allowed']
    if legacy:
        ev = _unique(e for p in legacy for e in protocols[p]['evidence'])
        conditions = sorted(set(c for p in legacy for c in protocols[p]['conditions']))
        found.append(make_finding('legacy_protocol_allowed', subject, ev, origin='rule', stack=name, protocols=_protocol_list(legacy),
                                  detail='; '.join(conditions) or None))
    if protocols['ssl3']['state'] == 'allowed':
        found.append(make_finding('ssl3_allowed', subject, protocols['ssl3']['evidence'], origin='rule', stack=name))
    modern_states = [protocols[p]['state'] for p in MODERN_PROTOCOLS]
    if all(s == 'refused' for s in modern_states):
        ev = protocols['tls1_2']['evidence'] + protocols['tls1_3']['evidence']
        found.append(make_finding('tls12_unavailable', subject, ev, origin='rule', stack=name,
                                  detail=protocols['tls1_2']['reason']))
    elif all(protocols[p]['state'] == 'unknown' for p in PROTOCOLS):
        found.append(make_finding('stack_undetermined', subject, [], origin='rule', stack=name))
    if protocols['tls1_3']['state'] == 'refused' and stack.get('details', {}).get('tls13_capable'):
        found.append(make_finding('tls13_disabled', subject, protocols['tls1_3']['evidence'], origin='rule', stack=name))
    return found


def _client_findings(client):
    found = []
    protocols = client.get('protocols') or {}
    if not protocols:
        return found
    subject = 'client:%s' % client['id']
    label = '%s (%s)' % (client.get('client', 'mail client'), client.get('path', '?'))
    states = dict((p, protocols.get(p, {}).get('state', 'unknown')) for p in PROTOCOLS)
    ev = _unique(e for p in PROTOCOLS for e in protocols.get(p, {}).get('evidence', []))
    if all(states[p] == 'refused' for p in MODERN_PROTOCOLS) and any(states[p] == 'allowed' for p in LEGACY_PROTOCOLS):
        found.append(make_finding('client_pinned_below_tls12', subject, ev, origin='rule', client=label))
    else:
        legacy = [p for p in ('tls1_0', 'tls1_1') if states[p] == 'allowed']
        if legacy:
            found.append(make_finding('client_allows_legacy', subject, ev, origin='rule', client=label, protocols=_protocol_list(legacy)))
    return found


def evaluate(document):
    """Apply the rules: refresh rule findings and compute the host verdict.

    Safe to call more than once; gatherer findings are kept, rule findings are
    recomputed.
    """
    document['findings'] = [f for f in document['findings'] if f.get('origin') != 'rule']
    present = [s for s in document['stacks'] if s.get('present', True)]
    for stack in present:
        for finding in _stack_findings(stack):
            add_finding(document, finding)
    for client in document['clients']:
        for finding in _client_findings(client):
            add_finding(document, finding)
    if not present and not document['clients']:
        add_finding(document, make_finding('no_stack_found', 'host', origin='rule'))
    document['verdict'] = verdict(document['findings'])
    return document


_SUMMARIES = {
    'will_fail': 'Mail clients on this host will fail against Exchange Online',
    'at_risk': 'TLS 1.2 works, but legacy protocols or fail-open settings remain',
    'unknown': 'The posture could not be fully determined',
    'compliant': 'TLS 1.2 or newer is required and available',
}


def verdict(findings):
    worst = 'none'
    for finding in findings:
        if EFFECTS.index(finding['effect']) < EFFECTS.index(worst):
            worst = finding['effect']
    status = 'compliant' if worst == 'none' else worst
    reasons = sorted(set(f['id'] for f in findings if f['effect'] == worst)) if worst != 'none' else []
    return {'status': status, 'reasons': reasons, 'summary': _SUMMARIES[status]}


def stack_by_id(document, stack_id):
    for stack in document['stacks']:
        if stack['id'] == stack_id:
            return stack
    return None
