# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_gnutls_conf.py."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.mailtls.remediation.plugins.module_utils import _gnutls_conf as gc
from ansible_collections.mailtls.remediation.plugins.module_utils._openssl_conf import encode_lossless, read_bytes_lossless

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'data', 'gnutls')
FIXTURES = sorted(os.listdir(DATA))
# Fixtures whose real bytes git must not hold (ansible-test sanity wants LF line endings): the stored file is the
# LF text, the test builds the real bytes and checks them against the digest of the original fixture.
BUILT = {
    # CRLF everywhere, no final line break
    'crlf-tls12-off.config': (lambda stored: stored.replace(b'\n', b'\r\n'),
                              'cba22d081aceb06a217aded4a80e7cad53e56bcf1868a29367797c319531a22f'),
}


def fixture(name):
    with open(os.path.join(DATA, name), 'rb') as handle:
        data = handle.read()
    if name in BUILT:
        data = BUILT[name][0](data)
    return data


@pytest.mark.parametrize('name', sorted(BUILT))
def test_built_fixture_bytes_are_the_reviewed_ones(name):
    with open(os.path.join(DATA, name), 'rb') as handle:
        assert b'\r' not in handle.read()
    data = fixture(name)
    assert hashlib.sha256(data).hexdigest() == BUILT[name][1]
    assert data.count(b'\r\n') == 6 and not data.endswith(b'\n')


def codes(info):
    return [issue['code'] for issue in info['issues']]


def plan_twice(text, **kwargs):
    plan = gc.plan_policy(text, **kwargs)
    new = plan[0][2] if plan else (read_bytes_lossless(text) if text is not None else None)
    again = gc.plan_policy(new, **kwargs) if new is not None else []
    assert again == [], 'planning is not idempotent'
    return plan, new


@pytest.mark.parametrize('name', FIXTURES)
def test_fixtures_round_trip(name):
    data = fixture(name)
    assert encode_lossless(gc.parse(read_bytes_lossless(data)).render()) == data


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_property_bytes_round_trip(data):
    text = read_bytes_lossless(data)
    assert encode_lossless(gc.parse(text).render()) == data


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_property_text_round_trip(text):
    assert gc.parse(text).render() == text


def test_ubuntu_commented_file_changes_nothing():
    info = gc.read_versions(gc.parse(fixture('ubuntu2404.config'), '/etc/gnutls/config'))
    assert info['mode'] == 'blocklist' and info['mode_evidence'] is None
    assert info['disabled'] == {} and codes(info) == []
    assert all(info['tls_allowed_by_config'].values())


def test_allowlist_fixture():
    info = gc.read_versions(fixture('rhel9-allowlist.config'))
    assert info['mode'] == 'allowlist' and info['mode_evidence']['line'] == 2
    assert sorted(info['enabled']) == ['dtls1_2', 'tls1_2', 'tls1_3']
    assert info['tls_allowed_by_config'] == {'ssl3': False, 'tls1_0': False, 'tls1_1': False, 'tls1_2': True, 'tls1_3': True}
    assert codes(info) == []
    assert info['system_priority']['value'] == 'NONE'


def test_blocklist_fixture_evidence():
    info = gc.read_versions(fixture('blocklist-legacy-off.config'))
    assert sorted(info['disabled']) == ['tls1_0', 'tls1_1']
    assert info['disabled']['tls1_1'][0]['line'] == 6
    assert info['disabled']['tls1_1'][0]['section'] == 'overrides'
    assert codes(info) == []


def test_malformed_fixture_issues():
    info = gc.read_versions(fixture('malformed.config'))
    assert codes(info) == ['unknown_version', 'unknown_key', 'indented_continuation', 'syntax_error', 'unknown_section']
    assert 'GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1' in info['issues'][0]['message']
    assert info['disabled'] == {}


def test_key_ignored_in_mode_and_case_insensitivity():
    info = gc.read_versions('[global]\noverride-mode = blocklist\n[OVERRIDES]\nEnabled-Version = TLS1.2\nDISABLED-VERSION = TLS1.0\n')
    assert codes(info) == ['key_ignored_in_mode']
    assert list(info['disabled']) == ['tls1_0']


def test_enforce_blocklist_adds_lines_under_overrides():
    text = fixture('crlf-tls12-off.config')
    plan, new = plan_twice(text, path='/etc/gnutls/config')
    assert new == read_bytes_lossless(text).replace(
        'disabled-version = tls1.2\r\n', 'disabled-version = tls1.2\r\n').replace(
        'insecure-hash = md5', 'insecure-hash = md5\r\ndisabled-version = ssl3.0\r\ndisabled-version = tls1.0\r\ndisabled-version = tls1.1\r\n')
    info = gc.read_versions(new)
    assert sorted(info['disabled']) == ['ssl3', 'tls1_0', 'tls1_1', 'tls1_2']
    assert plan[0][0] == '/etc/gnutls/config'


def test_enforce_creates_overrides_section_and_file():
    plan, new = plan_twice(fixture('ubuntu2404.config'))
    assert new.endswith('# disabled-version = tls1.1\n\n[overrides]\ndisabled-version = ssl3.0\ndisabled-version = tls1.0\n'
                        'disabled-version = tls1.1\n')
    plan, new = plan_twice(None, include_ssl3=False)
    assert plan[0][1] is None and new == '[overrides]\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n'


def test_enforce_already_done_is_noop():
    text = fixture('blocklist-legacy-off.config')
    plan, new = plan_twice(text, include_ssl3=False)
    assert plan == []
    plan, new = plan_twice(text)
    assert new.endswith('disabled-version = tls1.1\ninsecure-hash = sha1\ndisabled-version = ssl3.0\n')


def test_enforce_allowlist():
    text = '[global]\noverride-mode = allowlist\n\n[overrides]\nenabled-version = tls1.0\nenabled-version = tls1.2\n'
    plan, new = plan_twice(text)
    assert new == '[global]\noverride-mode = allowlist\n\n[overrides]\n# enabled-version = tls1.0\nenabled-version = tls1.2\nenabled-version = tls1.3\n'
    assert plan_twice(fixture('rhel9-allowlist.config'), path='/etc/gnutls/config')[0] == []


def test_enforce_reenables_min_when_everything_modern_is_off():
    text = '[overrides]\ndisabled-version = tls1.2\ndisabled-version = tls1.3\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n' \
           'disabled-version = ssl3.0'
    plan, new = plan_twice(text)
    assert new == text.replace('disabled-version = tls1.2', '# disabled-version = tls1.2')
    assert gc.read_versions(new)['tls_allowed_by_config']['tls1_2']


def test_ensure_tls12():
    plan, new = plan_twice(fixture('crlf-tls12-off.config'), mode='ensure_tls12')
    assert '# disabled-version = tls1.2\r\n' in new and 'tls1.0' not in new
    assert plan_twice(fixture('blocklist-legacy-off.config'), mode='ensure_tls12')[0] == []
    plan, new = plan_twice('[global]\noverride-mode = allowlist\n[overrides]\nenabled-version = tls1.3', mode='ensure_tls12')
    assert new == '[global]\noverride-mode = allowlist\n[overrides]\nenabled-version = tls1.3\nenabled-version = tls1.2\n'
    assert gc.plan_policy(None, mode='ensure_tls12') == []


def test_refusals():
    with pytest.raises(gc.GnuTLSConfError) as err:
        gc.plan_policy(fixture('malformed.config'))
    assert err.value.code == 'syntax_error'
    with pytest.raises(gc.GnuTLSConfError) as err:
        gc.plan_policy('', path='/etc/crypto-policies/back-ends/gnutls.config')
    assert err.value.code == 'crypto_policies'
    with pytest.raises(gc.GnuTLSConfError):
        gc.plan_policy('', mode='nope')
    with pytest.raises(gc.GnuTLSConfError):
        gc.plan_policy('', min_protocol='TLSv1.2')


def test_validation_env():
    env = gc.validation_env('/tmp/cand.cfg', {'PATH': '/usr/bin'})
    assert env == {'PATH': '/usr/bin', 'GNUTLS_SYSTEM_PRIORITY_FILE': '/tmp/cand.cfg', 'GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID': '1'}
