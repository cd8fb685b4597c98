# -*- coding: utf-8 -*-
"""Synthetic fleets built with the real posture rules (``_posture.evaluate``).

Shared by the report unit tests, the browser test and the benchmark docs: the
expected totals are derived from the kinds requested, never hard-coded.
"""
from __future__ import absolute_import, division, print_function

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture

# kind -> expected outcome in the report
KINDS = {
    'compliant': 'compliant',
    'legacy': 'at_risk',
    'pinned': 'will_fail',
    'undetermined': 'unknown',
    'unreachable': 'unreachable',
    'failed': 'failed',
    'silent': 'not_reported',
}


def _stack(os_family, legacy):
    if os_family == 'windows':
        stack = posture.new_stack('schannel', 'schannel', 'SChannel (Windows)', version='10.0.17763')
        where = dict(source='registry', path=r'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Client',
                     key='Enabled', value=1 if legacy else 0)
    else:
        stack = posture.new_stack('openssl', 'openssl', 'OpenSSL 3.0.15', version='3.0.15')
        where = dict(source='file', path='/etc/ssl/openssl.cnf', line=52, key='MinProtocol', value='TLSv1' if legacy else 'TLSv1.2')
    ev = [posture.evidence(**where)]
    for proto in ('ssl3',):
        posture.set_protocol(stack, proto, 'refused', 'not built in', [posture.evidence('build', note='no-ssl3')])
    for proto in ('tls1_0', 'tls1_1'):
        posture.set_protocol(stack, proto, 'allowed' if legacy else 'refused', 'minimum protocol', ev)
    for proto in ('tls1_2', 'tls1_3'):
        posture.set_protocol(stack, proto, 'allowed', 'minimum protocol', ev)
    return stack


def make_posture(name, kind, os_family='linux'):
    details = {'distribution': 'Windows Server' if os_family == 'windows' else 'Debian',
               'distribution_version': '2019' if os_family == 'windows' else '12'}
    doc = posture.new_document(os_family, name, details)
    if kind == 'undetermined':
        doc['stacks'].append(posture.new_stack('gnutls', 'gnutls', 'GnuTLS'))
    else:
        doc['stacks'].append(_stack(os_family, legacy=(kind == 'legacy')))
    if kind == 'pinned':
        where = posture.evidence('file', path='/home/u/.fetchmailrc', line=3, key='sslproto', value='TLS1')
        protocols = dict((p, posture.decision('refused', 'sslproto', [where])) for p in posture.PROTOCOLS)
        protocols['tls1_0'] = posture.decision('allowed', 'sslproto TLS1', [where])
        doc['clients'].append({'id': 'fetchmail:/home/u/.fetchmailrc', 'client': 'fetchmail', 'user': 'u',
                               'path': '/home/u/.fetchmailrc', 'line': 3, 'protocols': protocols})
    return posture.evaluate(doc)


def make_fleet(counts, windows_every=4, prefix='host'):
    """counts: {kind: n}.  Returns (hosts, hostvars, expected outcome counts)."""
    hosts, hostvars, expected = [], {}, {}
    seq = 0
    for kind in sorted(counts):
        for _n in range(counts[kind]):
            seq += 1
            os_family = 'windows' if seq % windows_every == 0 else 'linux'
            name = '%s-%05d' % (prefix, seq)
            hosts.append(name)
            expected[KINDS[kind]] = expected.get(KINDS[kind], 0) + 1
            hv = {'ansible_connection': 'winrm' if os_family == 'windows' else 'ssh'}
            if kind in ('unreachable', 'failed'):
                hv['tls_inventory_status'] = {'status': kind, 'msg': 'simulated %s' % kind, 'at': '2026-01-01T00:00:00Z'}
            elif kind != 'silent':
                hv['mailtls_posture'] = make_posture(name, kind, os_family)
                hv['tls_inventory_status'] = {'status': 'reported', 'msg': '', 'at': '2026-01-01T00:00:00Z'}
            hostvars[name] = hv
    return hosts, hostvars, expected


def kinds_of(counts, prefix='host'):
    """host name -> the kind make_fleet gives it (same order, same names)."""
    out = {}
    seq = 0
    for kind in sorted(counts):
        for _n in range(counts[kind]):
            seq += 1
            out['%s-%05d' % (prefix, seq)] = kind
    return out
