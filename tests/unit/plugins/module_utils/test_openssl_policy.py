# -*- coding: utf-8 -*-
"""What an OpenSSL client allows, decided from version, settings, security level and distribution."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_policy as policy

DEBIAN = {'id': 'debian', 'like': []}
UBUNTU = {'id': 'ubuntu', 'like': ['debian']}


def _states(decisions):
    return dict((p, d['state']) for p, d in decisions.items())


def _setting(value, pid, key='MinProtocol'):
    return {'id': pid, 'path': '/etc/ssl/openssl.cnf', 'line': 60, 'section': 'system_default_sect', 'key': key, 'value': value}


def test_stock_debian_12_allows_tls10_only_with_krsa():
    decisions, facts = policy.decide((3, 0, 19), {'config_path': '/etc/ssl/openssl.cnf'}, 2, 'build flag', DEBIAN)
    assert _states(decisions) == {'ssl3': 'refused', 'tls1_0': 'allowed', 'tls1_1': 'allowed', 'tls1_2': 'allowed', 'tls1_3': 'allowed'}
    assert 'RSA key exchange' in decisions['tls1_0']['conditions'][0]
    sources = [e['source'] for e in decisions['tls1_0']['evidence']]
    assert 'build' in sources and 'default' in sources
    assert facts['security_level'] == 2


def test_ubuntu_patch_refuses_legacy_at_level_2():
    decisions, facts = policy.decide((3, 0, 13), {}, 2, None, UBUNTU)
    assert decisions['tls1_0']['state'] == 'refused' and 'Ubuntu' in decisions['tls1_0']['reason']
    assert facts['ubuntu_seclevel_patch'] is True


def test_min_protocol_refuses_below_with_file_evidence():
    settings = {'min': _setting('TLSv1.2', 'tls1_2')}
    decisions, dummy = policy.decide((3, 0, 19), settings, 2, None, DEBIAN)
    assert _states(decisions)['tls1_1'] == 'refused'
    ev = decisions['tls1_0']['evidence'][-1]
    assert (ev['path'], ev['line'], ev['key'], ev['value']) == ('/etc/ssl/openssl.cnf', 60, 'MinProtocol', 'TLSv1.2')
    assert decisions['tls1_2']['state'] == 'allowed'


def test_max_protocol_below_tls12_removes_modern_protocols():
    settings = {'max': _setting('TLSv1.1', 'tls1_1', 'MaxProtocol')}
    decisions, dummy = policy.decide((1, 1, 1), settings, None, None, DEBIAN)
    assert decisions['tls1_2']['state'] == 'refused' and decisions['tls1_3']['state'] == 'refused'


def test_ignored_configuration_falls_back_to_defaults():
    settings = {'config_path': '/etc/ssl/openssl.cnf', 'ignored_reason': 'syntax error at line 4', 'min': _setting('TLSv1.2', 'tls1_2')}
    decisions, dummy = policy.decide((3, 0, 19), settings, 2, None, DEBIAN)
    assert decisions['tls1_0']['state'] == 'allowed'
    assert 'syntax error' in decisions['tls1_0']['evidence'][0]['note']


@pytest.mark.parametrize('level, state', [(0, 'allowed'), (1, 'allowed'), (2, 'allowed'), (3, 'refused'), (4, 'refused')])
def test_security_level_from_cipher_string(level, state):
    settings = {'seclevel': dict(_setting('DEFAULT:@SECLEVEL=%d' % level, None, 'CipherString'), level=level),
                'cipher_string': _setting('DEFAULT:@SECLEVEL=%d' % level, None, 'CipherString')}
    decisions, facts = policy.decide((3, 0, 19), settings, 2, None, DEBIAN)
    assert decisions['tls1_0']['state'] == state
    assert facts['security_level'] == level


def test_krsa_excluded_by_cipher_string_refuses_legacy_on_openssl3():
    cipher = _setting('DEFAULT:!kRSA', None, 'CipherString')
    decisions, dummy = policy.decide((3, 0, 19), {'cipher_string': cipher}, 2, None, DEBIAN)
    assert decisions['tls1_0']['state'] == 'refused'


@pytest.mark.parametrize('version, expected', [
    ((0, 9, 8), {'tls1_2': 'refused', 'tls1_3': 'refused', 'tls1_0': 'allowed'}),
    ((1, 0, 2), {'tls1_2': 'allowed', 'tls1_3': 'refused', 'tls1_0': 'allowed'}),
    ((1, 1, 1), {'tls1_2': 'allowed', 'tls1_3': 'allowed', 'ssl3': 'refused'}),
])
def test_library_versions(version, expected):
    decisions, dummy = policy.decide(version, {}, None, None, DEBIAN)
    for proto, state in expected.items():
        assert decisions[proto]['state'] == state, proto


def test_unknown_version_decides_nothing():
    decisions, dummy = policy.decide(None, {}, None, None, DEBIAN)
    assert set(_states(decisions).values()) == {'unknown'}


@pytest.mark.parametrize('text, version', [
    ('OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)', (3, 0, 19)),
    ('OpenSSL 1.0.2k-fips  26 Jan 2017', (1, 0, 2)),
    ('OpenSSL 0.9.8j-fips 07 Jan 2009', (0, 9, 8)),
    ('LibreSSL', None),
])
def test_parse_version(text, version):
    assert policy.parse_version(text) == version


@pytest.mark.parametrize('cipher', ['None', 'none:@SECLEVEL=1', '!aNULL:None'])
def test_cipher_string_that_selects_nothing_leaves_only_tls13(cipher):
    setting = {'value': cipher, 'path': '/etc/ssl/openssl.cnf', 'line': 12, 'section': 'tls_defaults', 'key': 'CipherString'}
    decisions, dummy = policy.decide((3, 0, 19), {'cipher_string': setting}, 2, None, DEBIAN)
    for proto in ('tls1_0', 'tls1_1', 'tls1_2'):
        assert decisions[proto]['state'] == 'refused', proto
        assert 'selects no cipher suite' in decisions[proto]['reason']
    assert decisions['tls1_3']['state'] == 'allowed'


def test_cipher_string_with_a_real_suite_is_not_treated_as_empty():
    assert not policy.selects_no_cipher('None:AES128-SHA')
    assert not policy.selects_no_cipher('DEFAULT:@SECLEVEL=0')
    assert not policy.selects_no_cipher('')
