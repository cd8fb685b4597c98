# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux: the TLS 1.2 suites the real OpenSSL offers under a configuration, against the Exchange
Online profile (one ``openssl ciphers`` run per gather)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shutil

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _cipher_profiles as C
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls as L
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P

OPENSSL = shutil.which('openssl')
pytestmark = pytest.mark.usefixtures('require_openssl')

CONF = """openssl_conf = init
[init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = sysdef
[sysdef]
MinProtocol = TLSv1.2
%s
"""


def _conf(tmp_path, line):
    path = tmp_path / 'openssl.cnf'
    path.write_text(CONF % line)
    return str(path)


def _gather(conf):
    doc = P.new_document('linux', 'h')
    stack = L.gather_openssl(doc, L.read_os_release(), conf, OPENSSL)
    return doc, stack


def test_the_default_list_meets_exchange_online(tmp_path):
    doc, stack = _gather(_conf(tmp_path, ''))
    suites = stack['details']['cipher_suites']
    assert 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' in suites['offered']
    assert suites['in_common_tls12'] and not [f for f in doc['findings'] if f['id'] == 'openssl.no_common_cipher_suite']


def test_a_dhe_only_cipher_string_has_nothing_in_common(tmp_path):
    doc, stack = _gather(_conf(tmp_path, 'CipherString = DHE+AESGCM:@SECLEVEL=2'))
    suites = stack['details']['cipher_suites']
    # what OpenSSL really offers under that configuration
    assert suites['offered'] and all(s.startswith('TLS_DHE_') for s in suites['offered'])
    assert suites['in_common_tls12'] == []
    found = [f for f in doc['findings'] if f['id'] == 'openssl.no_common_cipher_suite']
    assert found and found[0]['effect'] == 'will_fail' and 'DHE+AESGCM' in found[0]['title']


def test_the_configuration_not_a_cipher_argument_decides(tmp_path):
    # the same binary, two configurations, two answers: the run honours OPENSSL_CONF
    first = L.openssl_tls12_suites(OPENSSL, _conf(tmp_path, 'CipherString = ECDHE+AESGCM'))
    assert first and set(first) <= set(C.PROFILES['exo_worldwide']['tls12']) | {
        'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'}
    second = L.openssl_tls12_suites(OPENSSL, _conf(tmp_path, 'CipherString = kRSA+AES256'))
    assert second and all(s.startswith('TLS_RSA_WITH_AES_256_') for s in second)
    # RSA key exchange still meets the profile (TLS_RSA_WITH_AES_256_GCM_SHA384 is on Microsoft's list)
    assert 'TLS_RSA_WITH_AES_256_GCM_SHA384' in C.in_common(second)['tls12']


def test_openssl_names_are_what_openssl_calls_the_iana_suites():
    out = L.run_command([OPENSSL, 'ciphers', '-stdname', C.openssl_cipher_list() + ':@SECLEVEL=0'])
    assert out is not None and out[0] == 0, out
    pairs = dict(tuple(part.strip() for part in line.split(' - ', 1)) for line in out[1].splitlines() if ' - ' in line)
    for iana, name in C.OPENSSL_NAMES.items():
        assert pairs[iana].split()[0] == name


GNUTLS = shutil.which('gnutls-cli')


def _gnutls_listed(conf):
    """The Exchange Online suites gnutls-cli lists for NORMAL under a system configuration."""
    import os  # pylint: disable=import-outside-toplevel
    env = dict(os.environ, GNUTLS_SYSTEM_PRIORITY_FILE=conf)
    out = L.run_command([GNUTLS, '-l', '--priority', 'NORMAL'], env=env)
    assert out is not None, 'gnutls-cli did not run'
    names = set()
    for line in out[1].splitlines():
        name = line.split()[0] if line.strip() else ''
        for kx in ('ECDHE_ECDSA_', 'ECDHE_RSA_', 'RSA_'):
            if name.startswith('TLS_' + kx):
                names.add('TLS_' + kx + 'WITH_' + name[len('TLS_' + kx):])
                break
    return sorted(n for n in names if n in C.PROFILES['exo_worldwide']['tls12'])


@pytest.mark.usefixtures('require_gnutls_cli')
@pytest.mark.parametrize('overrides, mode', [
    ('', 'blocklist'),
    ('tls-disabled-kx = RSA\n', 'blocklist'),
    ('tls-disabled-cipher = AES-256-GCM\ntls-disabled-cipher = AES-128-GCM\n', 'blocklist'),
    ('tls-disabled-kx = ECDHE-RSA\ntls-disabled-kx = ECDHE-ECDSA\ntls-disabled-kx = RSA\n', 'blocklist'),
])
def test_gnutls_prediction_matches_gnutls_cli(tmp_path, overrides, mode):
    conf = tmp_path / 'config'
    conf.write_text('[overrides]\n' + overrides if overrides else '')
    doc = P.new_document('linux', 'h')
    stack = L.gather_gnutls(doc, str(conf))
    predicted = sorted(stack['details']['cipher_suites']['in_common_tls12'])
    assert predicted == _gnutls_listed(str(conf))
    found = [f for f in doc['findings'] if f['id'] == 'gnutls.no_common_cipher_suite']
    assert bool(found) == (not predicted)
