# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows brain against recorded raw reads of every supported build.

Each fixture under tests/unit/data/windows/ is what the PowerShell reader returns
on that build in that state (typed in from Microsoft's documented defaults).  The
expectations below are written from the rules (docs/windows.md), fixture by
fixture; nothing here is a generated snapshot.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P
from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W

DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'windows')
SCH = W.SCHANNEL_BASE
A, R, U = 'allowed', 'refused', 'unknown'


def load(name):
    with open(os.path.join(DATA, name + '.json')) as fh:
        return json.load(fh)


def states(doc, sid):
    stack = P.stack_by_id(doc, sid)
    return tuple(stack['protocols'][p]['state'] for p in P.PROTOCOLS)


def ids(doc):
    return set(f['id'] for f in doc['findings'])


def subjects(doc, fid):
    return set(f['subject'] for f in doc['findings'] if f['id'] == fid)


def change_map(plan):
    return dict(((c['path'], c['name']), c['after']['value'] if c['after']['exists'] else None) for c in plan['changes'])


#                 ssl3 tls1_0 tls1_1 tls1_2 tls1_3
LEGACY_ONLY = (A, A, R, R, R)          # SSL 3.0 + TLS 1.0 (Windows 7 era defaults, .NET without strong crypto)
TLS10_ONLY = (R, A, R, R, R)           # .NET without strong crypto once SSL 3.0 is off (1607+)
W10_DEFAULT = (R, A, A, A, R)          # TLS 1.0-1.2, no TLS 1.3 (Windows 10 / 2016 / 2019)
W11_DEFAULT = (R, A, A, A, A)          # TLS 1.0-1.3 (Windows 11 / 2022 / 2025)
W8_DEFAULT = (A, A, A, A, R)           # 2012 / 2012 R2 SChannel: SSL 3.0 still on
MODERN12 = (R, R, R, A, R)
MODERN13 = (R, R, R, A, A)
NOTHING = (R, R, R, R, R)

# fixture -> expected verdict, stack states, finding ids that must be present, ids that must be absent,
# and the expected plan outcome for enforce_minimum (guard id or None).
CASES = {
    'win7sp1_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': LEGACY_ONLY, 'schannel_server': LEGACY_ONLY, 'dotnet_v4': LEGACY_ONLY, 'dotnet_v2': LEGACY_ONLY,
                'winhttp': LEGACY_ONLY, 'winhttp_wow': LEGACY_ONLY, 'wininet': (R, A, A, A, R)},
        present={'tls12_unavailable', 'win_tls12_update_missing', 'win_dotnet_strong_crypto_not_set', 'win_value_undefined', 'ssl3_allowed'},
        absent={'win_winhttp_tls12_bit_missing', 'win_schannel_half_disabled', 'win_schannel_client_server_mismatch'},
        guard='tls12_prerequisites_missing'),
    'win7sp1_winhttp_no_tls12_bit': dict(
        verdict='will_fail',
        stacks={'winhttp': LEGACY_ONLY, 'winhttp_wow': LEGACY_ONLY, 'schannel_client': LEGACY_ONLY},
        present={'win_winhttp_tls12_bit_missing', 'tls12_unavailable'},
        absent={'win_tls12_update_missing'},
        guard=None),
    'win7sp1_hardened': dict(
        verdict='compliant',
        stacks={'schannel_client': MODERN12, 'schannel_server': MODERN12, 'dotnet_v4': MODERN12, 'dotnet_v4_wow': MODERN12,
                'dotnet_v2': MODERN12, 'winhttp': MODERN12, 'winhttp_wow': MODERN12, 'wininet': MODERN12},
        present=set(), absent={'tls13_disabled', 'win_value_undefined'}, guard=None),
    '2008r2_default': dict(
        verdict='will_fail',
        # .NET 4.8 is there: Windows PowerShell 5.1 (WMF 5.1) cannot be installed without .NET 4.5.2 or newer
        stacks={'schannel_client': LEGACY_ONLY, 'schannel_server': LEGACY_ONLY, 'dotnet_v2': LEGACY_ONLY, 'dotnet_v4': LEGACY_ONLY,
                'winhttp': LEGACY_ONLY},
        present={'tls12_unavailable', 'win_tls12_update_missing', 'win_dotnet_strong_crypto_not_set'},
        absent={'win_winhttp_tls12_bit_missing'},
        guard='tls12_prerequisites_missing'),
    '2008r2_iiscrypto': dict(
        verdict='will_fail',
        stacks={'schannel_client': (R, A, A, A, R), 'schannel_server': (R, A, A, A, R), 'winhttp': TLS10_ONLY, 'dotnet_v2': TLS10_ONLY},
        present={'win_value_not_0_or_1', 'win_winhttp_tls12_bit_missing', 'legacy_protocol_allowed', 'win_dotnet_strong_crypto_not_set'},
        absent={'win_tls12_update_missing', 'ssl3_allowed'},
        guard=None),
    '2008sp2_no_kb4019276': dict(
        verdict='will_fail',
        stacks={'schannel_client': LEGACY_ONLY, 'schannel_server': LEGACY_ONLY, 'dotnet_v4': LEGACY_ONLY, 'wininet': LEGACY_ONLY},
        present={'win_tls12_update_missing', 'tls12_unavailable'},
        absent={'win_os_tls12_unsupported'},
        guard='os_tls12_unsupported'),
    '2012_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W8_DEFAULT, 'winhttp': LEGACY_ONLY, 'dotnet_v4': LEGACY_ONLY},
        present={'win_tls12_update_missing', 'tls12_unavailable', 'win_dotnet_strong_crypto_not_set'},
        absent={'win_winhttp_tls12_bit_missing'},
        guard='tls12_prerequisites_missing'),
    '2012_winhttp_no_tls12_bit': dict(
        verdict='will_fail',
        stacks={'schannel_client': W8_DEFAULT, 'winhttp': LEGACY_ONLY, 'winhttp_wow': LEGACY_ONLY, 'dotnet_v4': (R, A, A, A, R)},
        present={'win_winhttp_tls12_bit_missing'},
        absent={'win_tls12_update_missing', 'win_dotnet_strong_crypto_not_set'},
        guard=None),
    '2012r2_default': dict(
        verdict='will_fail',
        # WinHTTP's documented default on 8.1 / 2012 R2 is 0xAA0: SSL 3.0 included, and SChannel still has it on
        stacks={'schannel_client': W8_DEFAULT, 'schannel_server': W8_DEFAULT, 'winhttp': W8_DEFAULT, 'dotnet_v4': LEGACY_ONLY},
        present={'tls12_unavailable', 'win_dotnet_strong_crypto_not_set', 'ssl3_allowed'},
        absent={'win_tls12_update_missing', 'win_winhttp_tls12_bit_missing'},
        guard=None),
    '2012r2_legacy_off_dotnet_weak': dict(
        verdict='will_fail',
        stacks={'schannel_client': (A, R, R, A, R), 'dotnet_v4': (A, R, R, R, R), 'winhttp': (A, R, R, A, R)},
        present={'win_legacy_off_dotnet_weak', 'tls12_unavailable', 'win_dotnet_strong_crypto_not_set'},
        absent={'legacy_protocol_allowed', 'win_schannel_half_disabled'},
        guard=None),
    '2016_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W10_DEFAULT, 'schannel_server': W10_DEFAULT, 'dotnet_v4': TLS10_ONLY, 'winhttp': W10_DEFAULT},
        present={'tls12_unavailable', 'legacy_protocol_allowed', 'win_value_undefined'},
        absent={'ssl3_allowed', 'tls13_disabled'},
        guard=None),
    '2016_reg_sz': dict(
        verdict='will_fail',
        stacks={'schannel_client': (R, A, A, U, R), 'schannel_server': W10_DEFAULT, 'dotnet_v4': (U, U, U, U, U),
                'dotnet_v4_wow': TLS10_ONLY, 'winhttp': (R, A, A, U, R)},
        present={'win_value_wrong_type', 'stack_undetermined'},
        absent={'win_value_not_0_or_1'},
        guard=None),
    '2019_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W10_DEFAULT, 'dotnet_v4': TLS10_ONLY, 'dotnet_v2': TLS10_ONLY, 'wininet': W10_DEFAULT},
        present={'tls12_unavailable', 'win_dotnet_strong_crypto_not_set'},
        absent={'win_reboot_pending'},
        guard=None),
    '2019_client_server_mismatch': dict(
        verdict='at_risk',
        stacks={'schannel_client': MODERN12, 'schannel_server': W10_DEFAULT, 'dotnet_v4': MODERN12, 'winhttp': MODERN12},
        present={'win_schannel_client_server_mismatch', 'win_reboot_pending', 'legacy_protocol_allowed'},
        absent={'tls12_unavailable', 'win_schannel_half_disabled', 'win_dotnet_strong_crypto_not_set'},
        guard=None),
    '2019_half_disabled': dict(
        verdict='at_risk',
        stacks={'schannel_client': MODERN12, 'schannel_server': MODERN12, 'winhttp': (R, R, A, A, R)},
        present={'win_schannel_half_disabled'},
        absent={'win_schannel_client_server_mismatch'},
        guard=None),
    '2019_hardened': dict(
        verdict='compliant',
        stacks={'schannel_client': MODERN12, 'schannel_server': MODERN12, 'dotnet_v4': MODERN12, 'dotnet_v2_wow': MODERN12,
                'winhttp_wow': MODERN12, 'wininet': MODERN12},
        present=set(), absent={'win_value_undefined'}, guard=None),
    '2022_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W11_DEFAULT, 'schannel_server': W11_DEFAULT, 'winhttp': W11_DEFAULT, 'dotnet_v4': TLS10_ONLY},
        present={'tls12_unavailable', 'tls13_disabled'},
        absent={'win_schannel_half_disabled'},
        guard=None),
    '2022_iiscrypto': dict(
        verdict='will_fail',
        stacks={'schannel_client': MODERN13, 'schannel_server': MODERN13, 'dotnet_v4': NOTHING, 'winhttp': MODERN13},
        present={'win_value_not_0_or_1', 'win_legacy_off_dotnet_weak', 'tls12_unavailable'},
        absent={'legacy_protocol_allowed', 'ssl3_allowed'},
        guard=None),
    '2022_tls13_not_default': dict(
        verdict='at_risk',
        stacks={'schannel_client': (R, A, A, A, R), 'winhttp': (R, R, A, A, R), 'dotnet_v4': (R, A, A, A, R)},
        present={'tls13_disabled', 'win_schannel_half_disabled'},
        absent={'tls12_unavailable'},
        guard=None),
    '2025_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W11_DEFAULT, 'schannel_server': W11_DEFAULT, 'dotnet_v4': TLS10_ONLY},
        present={'legacy_protocol_allowed', 'tls12_unavailable'},
        absent={'win_value_not_0_or_1'},
        guard=None),
    '2025_hardened': dict(
        verdict='compliant',
        stacks={'schannel_client': MODERN13, 'schannel_server': MODERN13, 'dotnet_v4': MODERN13, 'winhttp': MODERN13, 'wininet': MODERN13},
        present=set(), absent={'tls13_disabled'}, guard=None),
    'win10_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W10_DEFAULT, 'dotnet_v4_wow': TLS10_ONLY, 'winhttp': W10_DEFAULT},
        present={'tls12_unavailable', 'win_dotnet_strong_crypto_not_set'},
        absent={'tls13_disabled'},
        guard=None),
    'win10_iiscrypto': dict(
        # Enabled=0xffffffff is enabled for SChannel: a low finding, not a risk
        verdict='compliant',
        stacks={'schannel_client': MODERN12, 'dotnet_v4': MODERN12, 'winhttp': MODERN12},
        present={'win_value_not_0_or_1'},
        absent={'tls12_unavailable', 'legacy_protocol_allowed', 'win_legacy_off_dotnet_weak'},
        guard=None),
    'win11_default': dict(
        verdict='will_fail',
        stacks={'schannel_client': W11_DEFAULT, 'winhttp_wow': W11_DEFAULT, 'dotnet_v4': TLS10_ONLY},
        present={'tls12_unavailable', 'tls13_disabled'},
        absent={'win_winhttp_tls12_bit_missing'},
        guard=None),
    'win11_tls13_missing': dict(
        verdict='at_risk',
        stacks={'schannel_client': W11_DEFAULT, 'winhttp': W10_DEFAULT, 'winhttp_wow': W10_DEFAULT, 'wininet': W10_DEFAULT,
                'dotnet_v4': W11_DEFAULT},
        present={'tls13_disabled', 'legacy_protocol_allowed'},
        absent={'tls12_unavailable'},
        guard=None),
    # --- reads for the lockout guards and what only some hosts have (tests/unit/data/windows/README.md)
    '2008r2_credssp_http': dict(
        verdict='at_risk',
        stacks={'schannel_client': W8_DEFAULT, 'schannel_server': W8_DEFAULT, 'dotnet_v4': (R, A, A, A, R), 'winhttp': (R, A, A, A, R)},
        present={'win_dependant_needs_tls10', 'ssl3_allowed', 'legacy_protocol_allowed'},
        absent={'tls12_unavailable', 'win_tls12_update_missing'},
        guard='rdp_tls10_only'),
    '2022_cert_auth': dict(
        verdict='will_fail',
        stacks={'schannel_client': W11_DEFAULT, 'schannel_server': W10_DEFAULT},
        present={'win_schannel_client_server_mismatch', 'tls12_unavailable'},
        absent={'win_dependant_needs_tls10'},
        guard=None),
    '2019_psrp': dict(
        verdict='compliant',
        stacks={'schannel_client': MODERN12, 'schannel_server': MODERN12, 'winhttp': MODERN12},
        present=set(), absent={'win_dependant_needs_tls10', 'win_no_common_cipher_suite'}, guard=None),
    '2019_de_de': dict(
        verdict='will_fail',
        stacks={'schannel_client': W10_DEFAULT, 'wininet': W10_DEFAULT},
        present={'gather_error', 'tls12_unavailable'},
        absent={'win_dependant_needs_tls10'},
        guard=None),
    '2016_sql2014': dict(
        verdict='will_fail',
        stacks={'schannel_client': W10_DEFAULT, 'schannel_server': W10_DEFAULT},
        present={'win_dependant_needs_tls10', 'tls12_unavailable'},
        absent={'gather_error'},
        guard='sql_server_tls12_unsupported'),
    '2019_iiscrypto_best': dict(
        verdict='will_fail',
        stacks={'schannel_client': W10_DEFAULT, 'schannel_server': W10_DEFAULT},
        present={'win_value_not_0_or_1', 'legacy_protocol_allowed'},
        absent={'win_no_common_cipher_suite', 'win_tls13_without_cipher_suites', 'ssl3_allowed'},
        guard=None),
    '2022_iiscrypto_strict': dict(
        verdict='will_fail',
        stacks={'schannel_client': MODERN13, 'schannel_server': MODERN13, 'dotnet_v4': NOTHING},
        present={'win_tls13_without_cipher_suites', 'win_legacy_off_dotnet_weak'},
        absent={'win_no_common_cipher_suite', 'legacy_protocol_allowed'},
        guard=None),
    'win7sp1_cipher_policy_gcm_only': dict(
        verdict='will_fail',
        stacks={'schannel_client': MODERN12, 'winhttp': MODERN12},
        present={'win_no_common_cipher_suite'},
        absent={'tls12_unavailable', 'win_tls12_update_missing'},
        guard=None),
    'win11_hardened': dict(
        verdict='compliant',
        stacks={'schannel_client': MODERN13, 'dotnet_v4_wow': MODERN13, 'winhttp': MODERN13, 'wininet': MODERN13},
        present=set(), absent={'win_value_undefined'}, guard=None),
}


CIPHER_FINDINGS = ('win_no_common_cipher_suite', 'win_tls13_without_cipher_suites')


def test_every_fixture_has_expectations():
    names = sorted(f[:-5] for f in os.listdir(DATA) if f.endswith('.json'))
    assert names == sorted(CASES)


@pytest.mark.parametrize('name', sorted(CASES))
def test_posture(name):
    case = CASES[name]
    doc = W.posture_from_raw(load(name), name)
    assert doc['schema'] == 1 and doc['host']['os_family'] == 'windows'
    assert doc['verdict']['status'] == case['verdict'], doc['verdict']
    for sid, expected in case['stacks'].items():
        assert states(doc, sid) == expected, sid
    found = ids(doc)
    assert case['present'] <= found, case['present'] - found
    assert not case['absent'] & found, case['absent'] & found
    for finding in doc['findings']:
        assert finding['id'] in P.FINDINGS and finding['evidence'] is not None


@pytest.mark.parametrize('name', sorted(CASES))
def test_posture_matches_json_schema(name):
    import jsonschema  # pylint: disable=import-outside-toplevel
    with open(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'schemas', 'posture-v1.schema.json')) as fh:
        schema = json.load(fh)
    jsonschema.validate(W.posture_from_raw(load(name), name), schema)


# ----- specific rules, fixture by fixture -------------------------------------------------------

def test_iiscrypto_values_are_named_by_path():
    doc = W.posture_from_raw(load('2008r2_iiscrypto'), 'h')
    subs = subjects(doc, 'win_value_not_0_or_1')
    expected = set('registry:HKLM\\%s\\%s\\%s\\Enabled' % (SCH, p, r) for p in ('TLS 1.0', 'TLS 1.1', 'TLS 1.2') for r in ('Client', 'Server'))
    assert subs == expected
    title = [f['title'] for f in doc['findings'] if f['id'] == 'win_value_not_0_or_1'][0]
    assert '0xffffffff' in title


def test_reg_sz_is_reported_and_not_trusted():
    doc = W.posture_from_raw(load('2016_reg_sz'), 'h')
    subs = subjects(doc, 'win_value_wrong_type')
    assert 'registry:HKLM\\%s\\TLS 1.2\\Client\\Enabled' % SCH in subs
    assert 'registry:HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319\\SchUseStrongCrypto' in subs
    client = P.stack_by_id(doc, 'schannel_client')
    assert 'unreadable type' in client['protocols']['tls1_2']['reason']


def test_mismatch_names_the_protocols():
    doc = W.posture_from_raw(load('2019_client_server_mismatch'), 'h')
    assert subjects(doc, 'win_schannel_client_server_mismatch') == {'schannel:TLS 1.0', 'schannel:TLS 1.1'}
    assert subjects(doc, 'win_reboot_pending') == {'host'}


def test_half_disabled_names_role_and_values():
    doc = W.posture_from_raw(load('2019_half_disabled'), 'h')
    assert subjects(doc, 'win_schannel_half_disabled') == {
        'schannel:TLS 1.0/Client', 'schannel:TLS 1.0/Server', 'schannel:TLS 1.1/Client', 'schannel:TLS 1.1/Server'}
    titles = dict((f['subject'], f['title']) for f in doc['findings'] if f['id'] == 'win_schannel_half_disabled')
    assert 'Enabled=1, DisabledByDefault=1' in titles['schannel:TLS 1.1/Client']
    # TLS 1.1 enabled-but-not-default still reaches apps that ask for it explicitly (WinHTTP does)
    client = P.stack_by_id(doc, 'schannel_client')
    assert client['protocols']['tls1_1']['conditions']


def test_win7_tls12_client_is_usable_on_request_only():
    doc = W.posture_from_raw(load('win7sp1_default'), 'h')
    details = P.stack_by_id(doc, 'schannel_client')['details']['protocols']['TLS 1.2']
    assert details['usable_on_request'] == 'allowed' and details['on_by_default'] == 'refused'
    server = P.stack_by_id(doc, 'schannel_server')['details']['protocols']['TLS 1.2']
    assert server['usable_on_request'] == 'refused'


def test_winhttp_bit_rule_only_on_old_builds():
    for name, expected in (('win7sp1_winhttp_no_tls12_bit', {'stack:winhttp', 'stack:winhttp_wow'}),
                           ('2012_winhttp_no_tls12_bit', {'stack:winhttp', 'stack:winhttp_wow'}),
                           ('2008r2_iiscrypto', {'stack:winhttp', 'stack:winhttp_wow'}),
                           ('win11_tls13_missing', set()), ('2012r2_default', set())):
        assert subjects(W.posture_from_raw(load(name), 'h'), 'win_winhttp_tls12_bit_missing') == expected, name


def test_tls13_default_missing_on_capable_builds_only():
    assert {'stack:winhttp', 'stack:winhttp_wow', 'stack:wininet'} <= subjects(W.posture_from_raw(load('win11_tls13_missing'), 'h'), 'tls13_disabled')
    assert {'stack:schannel_client', 'stack:schannel_server', 'stack:winhttp'} <= subjects(
        W.posture_from_raw(load('2022_tls13_not_default'), 'h'), 'tls13_disabled')
    for name in ('win10_default', '2019_default', '2016_default', 'win7sp1_default'):
        assert not subjects(W.posture_from_raw(load(name), 'h'), 'tls13_disabled'), name


def test_2025_legacy_default_is_flagged_as_unverified():
    doc = W.posture_from_raw(load('2025_default'), 'h')
    tls10 = P.stack_by_id(doc, 'schannel_client')['protocols']['tls1_0']
    assert tls10['state'] == A and any('not verified' in c for c in tls10['conditions'])


def test_32bit_os_has_no_wow_stacks():
    raw = load('win10_default')
    raw['os']['is_64bit'] = False
    doc = W.posture_from_raw(raw, 'h')
    assert P.stack_by_id(doc, 'dotnet_v4_wow') is None and P.stack_by_id(doc, 'winhttp_wow') is None
    plan = W.plan_system_tls(raw, {})
    assert not [c for c in plan['changes'] if 'Wow6432Node' in c['path']]


def test_garbage_raw_gives_findings_not_tracebacks():
    doc = W.posture_from_raw({'registry': 'nonsense', 'errors': [{'what': 'WinRM listeners', 'where': 'WSMan:', 'message': 'denied'}]}, 'h')
    assert 'gather_error' in ids(doc)
    assert doc['verdict']['status'] == 'unknown'
    doc = W.posture_from_raw(None, 'h')
    assert 'gather_error' in ids(doc)


def test_minus_one_is_read_as_0xffffffff():
    raw = load('win10_default')
    raw['registry']['HKLM\\%s\\TLS 1.2\\Client' % SCH]['values']['Enabled'] = {'type': 'DWord', 'value': -1}
    doc = W.posture_from_raw(raw, 'h')
    assert 'registry:HKLM\\%s\\TLS 1.2\\Client\\Enabled' % SCH in subjects(doc, 'win_value_not_0_or_1')


# ----- plans and guards ---------------------------------------------------------------------------

HTTPS = {'https': True, 'transport': 'ntlm', 'description': 'winrm https port 5986'}
HTTP = {'https': False, 'transport': 'ntlm', 'description': 'winrm http port 5985'}


def plan_or_guard(raw, **options):
    try:
        return W.plan_system_tls(raw, options), None
    except W.LockoutGuardError as exc:
        return None, exc


@pytest.mark.parametrize('name', sorted(CASES))
def test_enforce_plan_and_guard(name):
    case = CASES[name]
    raw = load(name)
    plan, err = plan_or_guard(raw, connection=HTTP)
    guard = case['guard']
    if guard is not None:
        assert err is not None and err.guard_id == guard, err
        assert 'force_guards: [%s]' % guard in str(err)
        return
    assert err is None, str(err)
    values = change_map(plan)
    for c in plan['changes']:
        assert c['hive'] == 'HKLM'
        if c['part'] == 'schannel':
            # only 0 and 1, never 0xffffffff, and always both values on both roles
            assert c['after'] == {'exists': True, 'type': 'DWord', 'value': c['after']['value']} and c['after']['value'] in (0, 1)
            other_role = c['path'].rsplit('\\', 1)[0] + '\\' + ('Server' if c['path'].endswith('Client') else 'Client')
            # the other role is either changed too or already has the wanted value
            dummy, current = W.reg_value(raw, other_role, c['name'])
            assert (other_role, c['name']) in values or current == c['after']
    if plan['changes'] == [] and set(ids(W.posture_from_raw(raw, name))) <= set(CIPHER_FINDINGS):
        # nothing system_tls manages is wrong (a cipher suite order is not its business)
        assert plan['reboot_required'] == {'schannel': False, 'winhttp': False, 'dotnet': False}
        return
    if case['verdict'] == 'compliant' and not ids(W.posture_from_raw(raw, name)) & {'win_value_not_0_or_1'}:
        assert plan['changes'] == [] and plan['diff'] == {'before': '', 'after': ''}
        assert plan['reboot_required'] == {'schannel': False, 'winhttp': False, 'dotnet': False}
        return
    after = W.apply_changes(raw, plan['changes'])
    doc = W.posture_from_raw(after, name)
    # the result: no legacy protocol in SChannel, TLS 1.2 everywhere
    for sid in ('schannel_client', 'schannel_server', 'winhttp', 'wininet'):
        st = states(doc, sid)
        assert st[:3] == (R, R, R) and st[3] == A, (sid, st)
    # system_tls does not manage cipher suite orders: those findings stay, everything else is fixed
    left = [f for f in doc['findings'] if f['effect'] in ('will_fail', 'at_risk') and f['id'] not in CIPHER_FINDINGS]
    assert not left, left
    # idempotent: the second plan changes nothing
    again = W.plan_system_tls(after, {'connection': HTTP})
    assert again['changes'] == []
    assert plan['reboot_required']['schannel'] is True


def test_enforce_values_on_2022():
    plan = W.plan_system_tls(load('2022_default'), {'connection': HTTP})
    v = change_map(plan)
    for proto in ('SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'DTLS 1.0'):
        for role in ('Client', 'Server'):
            assert v[('%s\\%s\\%s' % (SCH, proto, role), 'Enabled')] == 0
            assert v[('%s\\%s\\%s' % (SCH, proto, role), 'DisabledByDefault')] == 1
    for proto in ('TLS 1.2', 'TLS 1.3', 'DTLS 1.2'):
        for role in ('Client', 'Server'):
            assert v[('%s\\%s\\%s' % (SCH, proto, role), 'Enabled')] == 1
            assert v[('%s\\%s\\%s' % (SCH, proto, role), 'DisabledByDefault')] == 0
    assert v[(W.winhttp_path(False), 'DefaultSecureProtocols')] == 0x2800
    assert v[(W.winhttp_path(True), 'DefaultSecureProtocols')] == 0x2800
    assert v[(W.WININET_MACHINE, 'SecureProtocols')] == 0x2800
    assert (W.WININET_POLICY, 'SecureProtocols') not in v  # no policy value: left to Group Policy
    for wow in (False, True):
        for version in W.DOTNET_VERSIONS:
            for name in W.DOTNET_VALUES:
                assert v[(W.dotnet_path(version, wow), name)] == 1
    assert 'TLS 1.0\\Client\\Enabled = (absent)' in plan['diff']['before']
    assert 'TLS 1.0\\Client\\Enabled = 0x00000000' in plan['diff']['after']


def test_enforce_on_2019_does_not_touch_tls13():
    v = change_map(W.plan_system_tls(load('2019_default'), {'connection': HTTP}))
    assert not [k for k in v if 'TLS 1.3' in k[0]]
    assert v[(W.winhttp_path(False), 'DefaultSecureProtocols')] == 0x800


def test_iiscrypto_values_are_rewritten_as_1():
    v = change_map(W.plan_system_tls(load('win10_iiscrypto'), {'connection': HTTP}))
    assert v[('%s\\TLS 1.2\\Client' % SCH, 'Enabled')] == 1
    assert v[('%s\\TLS 1.2\\Server' % SCH, 'Enabled')] == 1
    assert ('%s\\TLS 1.0\\Client' % SCH, 'Enabled') not in v  # already 0


def test_reg_sz_is_replaced_by_dword():
    plan = W.plan_system_tls(load('2016_reg_sz'), {'connection': HTTP})
    c = [c for c in plan['changes'] if c['path'].endswith('TLS 1.2\\Client') and c['name'] == 'Enabled'][0]
    assert c['before'] == {'exists': True, 'type': 'String', 'value': '1'}
    assert c['after'] == {'exists': True, 'type': 'DWord', 'value': 1}


def test_ensure_tls12_leaves_legacy_alone():
    for name in sorted(CASES):
        raw = load(name)
        plan, err = plan_or_guard(raw, mode='ensure_tls12', connection=HTTPS)
        assert err is None, (name, str(err))
        for c in plan['changes']:
            if c['part'] == 'schannel':
                assert '\\TLS 1.2\\' in c['path'] + '\\', (name, c['path'])
                assert c['after']['value'] == (1 if c['name'] == 'Enabled' else 0)
        assert not [g for g in plan['guards'] if g['status'] == 'fired']
        after = W.apply_changes(raw, plan['changes'])
        assert W.plan_system_tls(after, {'mode': 'ensure_tls12', 'connection': HTTPS})['changes'] == [], name


def test_ensure_tls12_on_win7_adds_the_winhttp_bit_and_keeps_the_rest():
    raw = load('win7sp1_winhttp_no_tls12_bit')
    v = change_map(W.plan_system_tls(raw, {'mode': 'ensure_tls12'}))
    assert v[(W.winhttp_path(False), 'DefaultSecureProtocols')] == 0x8A0
    assert v[(W.winhttp_path(True), 'DefaultSecureProtocols')] == 0x8A0
    doc = W.posture_from_raw(W.apply_changes(raw, W.plan_system_tls(raw, {'mode': 'ensure_tls12'})['changes']), 'h')
    assert states(doc, 'winhttp') == (A, A, R, A, R)
    assert states(doc, 'schannel_client') == (A, A, R, A, R)


def test_ensure_tls12_on_win10_writes_no_winhttp_value():
    v = change_map(W.plan_system_tls(load('win10_default'), {'mode': 'ensure_tls12'}))
    assert not [k for k in v if k[0].endswith('WinHttp')]
    assert v[('%s\\TLS 1.2\\Client' % SCH, 'Enabled')] == 1


def test_toggles_remove_parts():
    plan = W.plan_system_tls(load('win11_default'), {'dotnet': True, 'winhttp': False, 'wininet': False, 'connection': HTTP})
    parts = set(c['part'] for c in plan['changes'])
    assert parts == {'schannel', 'dotnet'}
    assert plan['reboot_required'] == {'schannel': True, 'winhttp': False, 'dotnet': True}


# ----- guards: each one fires, names itself and can be overridden ----------------------------------

def test_guard_os_cannot_do_tls12():
    raw = load('2008sp2_no_kb4019276')
    plan, err = plan_or_guard(raw, connection=HTTP)
    assert err.guard_id == 'os_tls12_unsupported' and 'KB' not in err.guard_id
    assert 'force_guards: [os_tls12_unsupported]' in err.message
    # the same host with KB4019276 (and KB3140245) passes this guard
    raw['hotfixes'] = ['KB4019276', 'KB3140245']
    plan, err = plan_or_guard(raw, connection=HTTP)
    assert err is None
    assert [g['status'] for g in plan['guards'] if g['id'] == 'os_tls12_unsupported'] == ['passed']
    # pre-2008-SP2 build: never TLS 1.2
    raw = load('2008sp2_no_kb4019276')
    raw['os']['build'] = 6001
    plan, err = plan_or_guard(raw, connection=HTTP)
    assert err.guard_id == 'os_tls12_unsupported'
    assert 'win_os_tls12_unsupported' in ids(W.posture_from_raw(raw, 'h'))


def test_guard_prerequisites_missing_on_win7_and_2012():
    for name in ('win7sp1_default', '2008r2_default', '2012_default'):
        plan, err = plan_or_guard(load(name), connection=HTTP)
        assert err.guard_id == 'tls12_prerequisites_missing', name
        assert 'KB3140245' in err.message
    # overriding it deliberately lets the plan through, and the guard says "overridden"
    plan, err = plan_or_guard(load('2012_default'), connection=HTTP, force_guards=['tls12_prerequisites_missing'])
    # WinHTTP without the update can only do SSL 3.0/TLS 1.0: the next guard sees it lose everything
    assert err.guard_id == 'tls12_unusable_after_change' and 'winhttp' in err.message
    plan, err = plan_or_guard(load('2012_default'), connection=HTTP,
                              force_guards=['tls12_prerequisites_missing', 'tls12_unusable_after_change'])
    assert err is None
    statuses = dict((g['id'], g['status']) for g in plan['guards'])
    assert statuses['tls12_prerequisites_missing'] == 'overridden' and statuses['tls12_unusable_after_change'] == 'overridden'


def test_guard_old_dotnet_is_a_missing_prerequisite():
    raw = load('2012r2_default')
    raw['dotnet']['v4_release'] = 30319  # .NET 4.0
    plan, err = plan_or_guard(raw, connection=HTTP)
    assert err.guard_id == 'tls12_prerequisites_missing' and '.NET Framework 4.5' in err.message


def test_guard_tls12_unusable_after_change_without_dotnet():
    # legacy disabled while .NET strong crypto is off: the .NET stacks would be left with nothing
    plan, err = plan_or_guard(load('2016_default'), dotnet=False, connection=HTTP)
    assert err.guard_id == 'tls12_unusable_after_change'
    assert 'dotnet_v4' in err.message and 'force_guards: [tls12_unusable_after_change]' in err.message
    plan, err = plan_or_guard(load('2022_iiscrypto'), dotnet=False, connection=HTTP)
    assert err is None  # nothing is newly broken by this change: the .NET stacks were broken before
    plan, err = plan_or_guard(load('2016_default'), dotnet=True, connection=HTTP)
    assert err is None


def test_guard_tls12_unusable_when_winhttp_is_pinned_to_tls10():
    raw = load('2012_winhttp_no_tls12_bit')
    raw['registry']['HKLM\\' + W.winhttp_path(False)]['values']['DefaultSecureProtocols'] = {'type': 'DWord', 'value': 0x80}
    plan, err = plan_or_guard(raw, winhttp=False, connection=HTTP)
    assert err.guard_id == 'tls12_unusable_after_change' and 'winhttp' in err.message


def test_guard_min_tls13_on_a_build_without_tls13():
    plan, err = plan_or_guard(load('2019_hardened'), min_protocol='TLSv1.3', connection=HTTP)
    assert err.guard_id == 'tls12_unusable_after_change'
    plan, err = plan_or_guard(load('2022_default'), min_protocol='TLSv1.3', connection=HTTP)
    assert err is None
    v = change_map(plan)
    assert v[('%s\\TLS 1.2\\Client' % SCH, 'Enabled')] == 0 and v[(W.winhttp_path(False), 'DefaultSecureProtocols')] == 0x2000


def test_guard_winrm_https_on_win7_era_server():
    # 2008 R2 with KB3140245: the HTTPS connection can only be TLS 1.0 today; disabling it locks us out
    raw = load('2008r2_default')
    raw['hotfixes'] = ['KB3140245']
    plan, err = plan_or_guard(raw, connection=HTTPS)
    assert err.guard_id == 'winrm_https_protocol_removed'
    assert 'TLS 1.0' in err.message and 'ensure_tls12' in err.message
    # over plain HTTP the same plan is fine
    plan, err = plan_or_guard(raw, connection=HTTP)
    assert err is None
    assert [g['status'] for g in plan['guards'] if g['id'] == 'winrm_https_protocol_removed'] == ['not_applicable']
    # without connection details, the host's HTTPS listener counts as the connection
    plan, err = plan_or_guard(raw)
    assert err.guard_id == 'winrm_https_protocol_removed'
    # the two-step path: ensure TLS 1.2 first, then (after the reboot) enforce
    step1 = W.plan_system_tls(raw, {'mode': 'ensure_tls12', 'connection': HTTPS})
    step2, err = plan_or_guard(W.apply_changes(raw, step1['changes']), connection=HTTPS)
    assert err is None
    # deliberate override
    plan, err = plan_or_guard(raw, connection=HTTPS, force_guards=['winrm_https_protocol_removed'])
    assert err is None


def test_guard_winrm_https_certificate_auth_keeps_tls12():
    conn = dict(HTTPS, transport='certificate')
    plan, err = plan_or_guard(load('2022_default'), min_protocol='TLSv1.3', connection=conn)
    assert err.guard_id == 'winrm_https_protocol_removed' and 'certificate' in err.message
    plan, err = plan_or_guard(load('2022_default'), min_protocol='TLSv1.3', connection=HTTPS)
    assert err is None


def test_modern_https_connection_passes():
    plan, err = plan_or_guard(load('2019_default'), connection=HTTPS)
    assert err is None
    assert [g['status'] for g in plan['guards'] if g['id'] == 'winrm_https_protocol_removed'] == ['passed']


def test_unknown_force_guard_and_bad_options_are_errors():
    with pytest.raises(ValueError, match='unknown guard'):
        W.plan_system_tls(load('2019_default'), {'force_guards': ['nope']})
    with pytest.raises(ValueError, match='min_protocol'):
        W.plan_system_tls(load('2019_default'), {'min_protocol': 'TLSv1.1'})
    with pytest.raises(ValueError, match='mode'):
        W.plan_system_tls(load('2019_default'), {'mode': 'yolo'})


# ----- rollback ------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(CASES))
def test_rollback_restores_exactly(name):
    raw = load(name)
    plan, err = plan_or_guard(raw, connection=HTTP, force_guards=list(W.GUARD_IDS))
    assert err is None
    backup = {'format': 1, 'created': '2026-01-01T00:00:00Z', 'entries': W.backup_record(plan)}
    after = W.apply_changes(raw, plan['changes'])
    rollback = W.plan_rollback(backup, after)
    assert len(rollback['changes']) == len(plan['changes'])
    restored = W.apply_changes(after, rollback['changes'])
    for path, names in W.read_spec():
        for value_name in names:
            assert W.reg_value(restored, path, value_name)[1] == W.reg_value(raw, path, value_name)[1], (path, value_name)
    # absent values are deleted, keys that did not exist are removed again
    for change in rollback['changes']:
        if not change['after']['exists']:
            assert change['before']['exists']
    for key, item in raw['registry'].items():
        if not item['exists']:
            assert not restored['registry'][key]['exists'], key
    # and a second rollback has nothing to do
    assert W.plan_rollback(backup, restored)['changes'] == []
    assert rollback['reboot_required'] == plan['reboot_required']


def test_rollback_restores_wrong_types_and_0xffffffff():
    raw = load('2016_reg_sz')
    plan = W.plan_system_tls(raw, {'connection': HTTP})
    after = W.apply_changes(raw, plan['changes'])
    rollback = W.plan_rollback({'entries': W.backup_record(plan)}, after)
    c = [c for c in rollback['changes'] if c['path'].endswith('TLS 1.2\\Client') and c['name'] == 'Enabled'][0]
    assert c['after'] == {'exists': True, 'type': 'String', 'value': '1'}
    raw = load('win10_iiscrypto')
    plan = W.plan_system_tls(raw, {'connection': HTTP})
    rollback = W.plan_rollback({'entries': W.backup_record(plan)}, W.apply_changes(raw, plan['changes']))
    c = [c for c in rollback['changes'] if c['path'].endswith('TLS 1.2\\Server') and c['name'] == 'Enabled'][0]
    assert c['after']['value'] == 0xffffffff


def test_rollback_rejects_foreign_files():
    with pytest.raises(ValueError):
        W.plan_rollback({'something': 'else'}, load('2019_default'))
    with pytest.raises(ValueError):
        W.plan_rollback({'entries': [{'hive': 'HKCU', 'path': 'x', 'name': 'y'}]}, load('2019_default'))


def test_read_spec_matches_the_powershell_reader():
    """Every key and value the brain interprets is read by the PowerShell module util."""
    here = os.path.dirname(__file__)
    psm1 = os.path.join(here, '..', '..', '..', '..', 'plugins', 'module_utils', '_MailTlsWinRegistry.psm1')
    with open(psm1) as fh:
        text = fh.read()
    for path, names in W.read_spec():
        if path.startswith(SCH):
            assert path.split('\\')[-2] in text
        else:
            assert path.replace('\\', '\\\\') in text or path in text, path
        for value_name in names:
            assert "'%s'" % value_name in text, value_name
