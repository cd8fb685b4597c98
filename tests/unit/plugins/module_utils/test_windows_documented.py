# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows brain against Microsoft's documentation, rule by rule, and the lockout guards for
what else on a host speaks TLS through SChannel (CredSSP, certificate auth, RDP, SQL Server).

Each test starts from a recorded raw read (tests/unit/data/windows/) and changes only the values
the rule is about, so a failure names the rule.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P
from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W

DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'windows')
A, R, U = 'allowed', 'refused', 'unknown'
HTTP = {'https': False, 'transport': 'ntlm', 'description': 'winrm over HTTP'}


def load(name):
    with open(os.path.join(DATA, name + '.json')) as fh:
        return json.load(fh)


def states(doc, sid):
    return tuple(P.stack_by_id(doc, sid)['protocols'][p]['state'] for p in P.PROTOCOLS)


def put(raw, path, name, value, vtype='DWord'):
    key = raw['registry'].setdefault('HKLM\\' + path, {'exists': True, 'values': {}})
    key['exists'] = True
    key['values'][name] = {'type': vtype, 'value': value} if value is not None else {'type': 'absent', 'value': None}


def findings(doc, fid):
    return [f for f in doc['findings'] if f['id'] == fid]


def guard_status(raw, connection=None, **opts):
    """{guard id: status} of an enforce_minimum plan, whether or not a guard fired."""
    options = dict({'connection': connection or HTTP}, **opts)
    try:
        plan = W.plan_system_tls(raw, options)
        return dict((g['id'], g['status']) for g in plan['guards'])
    except W.LockoutGuardError as exc:
        return dict((g['id'], g['status']) for g in exc.guards)


# --- WinHTTP: option flags page, WINHTTP_FLAG_SECURE_PROTOCOL_DEFAULT per build --------------------

@pytest.mark.parametrize('name, mask', [
    ('win7sp1_default', 0x0A0), ('2012_default', 0x0A0), ('2012r2_default', 0xAA0), ('win10_default', 0xAA0), ('2019_default', 0xAA0),
])
def test_winhttp_builtin_default_per_build(name, mask):
    info = W.os_info(load(name))
    assert W.winhttp_default_mask(info) == mask


def test_winhttp_on_2012r2_offers_ssl3_by_default():
    doc = W.posture_from_raw(load('2012r2_default'), 'h')
    assert states(doc, 'winhttp')[0] == A
    assert 'stack:winhttp' in set(f['subject'] for f in findings(doc, 'ssl3_allowed'))


def test_winhttp_on_windows10_keeps_ssl3_off_through_schannel():
    # the WinHTTP default has the SSL 3.0 bit, SChannel (1607+) refuses it
    doc = W.posture_from_raw(load('2019_default'), 'h')
    assert P.stack_by_id(doc, 'winhttp')['details']['effective_mask'] == 0xAA0
    assert states(doc, 'winhttp')[0] == R


# --- .NET Framework 3.5 -------------------------------------------------------------------------------

def _net35_only(strong=None, system_default=None, hotfixes=()):
    raw = load('2008r2_default')
    for wow in (False, True):
        path = W.dotnet_path('v2.0.50727', wow)
        put(raw, path, 'SchUseStrongCrypto', strong)
        put(raw, path, 'SystemDefaultTlsVersions', system_default)
    # SChannel TLS 1.2 client on, so only .NET decides
    for role in ('Client', 'Server'):
        put(raw, W.schannel_path('TLS 1.2', role), 'Enabled', 1)
        put(raw, W.schannel_path('TLS 1.2', role), 'DisabledByDefault', 0)
    raw['hotfixes'] = list(hotfixes)
    return raw


def test_net35_strong_crypto_alone_does_not_give_tls12():
    doc = W.posture_from_raw(_net35_only(strong=1), 'h')
    assert states(doc, 'dotnet_v2') == (A, A, R, R, R)


def test_net35_system_default_with_the_update_follows_schannel():
    doc = W.posture_from_raw(_net35_only(strong=1, system_default=1, hotfixes=['KB3154518']), 'h')
    stack = P.stack_by_id(doc, 'dotnet_v2')
    assert stack['protocols']['tls1_2']['state'] == A
    assert not any('not confirm' in c for c in stack['protocols']['tls1_2']['conditions'])


def test_net35_system_default_without_a_listed_update_is_flagged_as_unconfirmed():
    doc = W.posture_from_raw(_net35_only(system_default=1), 'h')
    stack = P.stack_by_id(doc, 'dotnet_v2')
    assert stack['protocols']['tls1_2']['state'] == A
    assert any('KB3154518' in c and 'not confirm' in c for c in stack['protocols']['tls1_2']['conditions'])


# --- 2008 SP2: KB4019276, not KB3140245 ---------------------------------------------------------------

def test_2008sp2_prerequisite_is_kb4019276_and_can_be_met():
    raw = load('2008sp2_no_kb4019276')
    assert W.os_info(raw)['winhttp_kb_name'] == 'KB4019276'
    raw['hotfixes'] = ['KB4019276']
    status = guard_status(raw)
    assert status['os_tls12_unsupported'] == 'passed'
    assert status['tls12_prerequisites_missing'] == 'passed'


def test_kb3140245_is_never_asked_of_2008sp2():
    raw = load('2008sp2_no_kb4019276')
    doc = W.posture_from_raw(raw, 'h')
    assert not any('KB3140245' in f['title'] for f in doc['findings'])


# --- TLS 1.3 DisabledByDefault=1 ---------------------------------------------------------------------

def test_tls13_disabled_by_default_is_not_usable_on_request():
    doc = W.posture_from_raw(load('2022_tls13_not_default'), 'h')
    details = P.stack_by_id(doc, 'schannel_client')['details']['protocols']['TLS 1.3']
    assert details['usable_on_request'] == R and details['on_by_default'] == R
    assert 'SCHANNEL_CRED' in P.stack_by_id(doc, 'schannel_client')['protocols']['tls1_3']['reason']


def test_tls12_disabled_by_default_stays_usable_on_request_on_win7():
    doc = W.posture_from_raw(load('win7sp1_default'), 'h')
    details = P.stack_by_id(doc, 'schannel_client')['details']['protocols']['TLS 1.2']
    assert details['usable_on_request'] == A and details['on_by_default'] == R


# --- Enabled=0xffffffff ------------------------------------------------------------------------------

def test_enabled_ffffffff_is_enabled_with_a_low_finding():
    doc = W.posture_from_raw(load('win10_iiscrypto'), 'h')
    assert states(doc, 'schannel_client')[3] == A
    odd = findings(doc, 'win_value_not_0_or_1')
    assert odd and all(f['severity'] == 'low' and f['effect'] == 'none' for f in odd)


# --- WinINet: Internet Explorer version and per-user values ------------------------------------------

def test_wininet_on_win7_without_ie11_is_ssl3_and_tls10():
    raw = load('win7sp1_default')
    raw.pop('internet_explorer')
    doc = W.posture_from_raw(raw, 'h')
    assert states(doc, 'wininet') == (A, A, R, R, R)
    raw['internet_explorer'] = {'version': '8.0.7601.17514', 'svc_version': None}
    assert states(W.posture_from_raw(raw, 'h'), 'wininet') == (A, A, R, R, R)


def test_wininet_on_win7_with_ie11_is_tls10_to_12():
    assert states(W.posture_from_raw(load('win7sp1_default'), 'h'), 'wininet') == (R, A, A, A, R)


def _users(*masks):
    out = []
    for number, mask in enumerate(masks):
        values = {'SecureProtocols': {'type': 'DWord', 'value': mask} if mask is not None else {'type': 'absent', 'value': None}}
        out.append({'sid': 'S-1-5-21-1-2-3-%d' % (1001 + number), 'user': 'CONTOSO\\user%d' % number, 'values': values,
                    'policy': {'SecureProtocols': {'type': 'absent', 'value': None}}})
    return out


def test_wininet_per_user_value_overrides_the_machine_value():
    raw = load('win11_hardened')
    raw['wininet_users'] = _users(0x0A0)
    doc = W.posture_from_raw(raw, 'h')
    # the user's own Internet Options ask for SSL 3.0 and TLS 1.0 only, and SChannel refuses both
    assert states(doc, 'wininet') == (R, R, R, R, R)
    assert doc['verdict']['status'] != 'compliant'


def test_wininet_users_that_differ_combine_to_the_worst_case():
    raw = load('win11_default')
    raw['wininet_users'] = _users(0x800, 0xA80)
    doc = W.posture_from_raw(raw, 'h')
    stack = P.stack_by_id(doc, 'wininet')
    assert [u['mask'] for u in stack['details']['users']] == [0x800, 0xA80]
    # TLS 1.0 allowed because user1 allows it; TLS 1.2 allowed for both
    assert states(doc, 'wininet')[1:4] == (A, A, A)
    raw['wininet_users'] = _users(0x80, 0xA80)
    assert states(W.posture_from_raw(raw, 'h'), 'wininet')[3] == R


def test_machine_policy_beats_the_user_value():
    raw = load('win11_default')
    put(raw, W.WININET_POLICY, 'SecureProtocols', 0x2800)
    raw['wininet_users'] = _users(0x80)
    assert states(W.posture_from_raw(raw, 'h'), 'wininet') == (R, R, R, A, A)


def test_no_loaded_profile_is_said():
    raw = load('win11_default')
    raw['wininet_users'] = []
    stack = P.stack_by_id(W.posture_from_raw(raw, 'h'), 'wininet')
    assert any('no user profile' in c for c in stack['protocols']['tls1_2']['conditions'])


# --- CredSSP ---------------------------------------------------------------------------------------

CREDSSP_HTTP = {'https': False, 'transport': 'credssp', 'description': 'winrm over HTTP, port 5985, transport credssp'}


def test_credssp_over_http_on_win7_without_kb3080079_is_guarded():
    raw = load('win7sp1_winhttp_no_tls12_bit')
    assert guard_status(raw)['winrm_credssp_tls10_only'] == 'passed'
    with pytest.raises(W.LockoutGuardError) as err:
        W.plan_system_tls(raw, {'connection': CREDSSP_HTTP})
    assert err.value.guard_id == 'winrm_credssp_tls10_only'
    assert 'KB3080079' in str(err.value) and 'force_guards: [winrm_credssp_tls10_only]' in str(err.value)


def test_credssp_with_kb3080079_passes_and_force_overrides():
    raw = load('win7sp1_winhttp_no_tls12_bit')
    raw['hotfixes'] = raw['hotfixes'] + ['KB3080079']
    assert guard_status(raw, CREDSSP_HTTP)['winrm_credssp_tls10_only'] == 'passed'
    raw = load('win7sp1_winhttp_no_tls12_bit')
    status = guard_status(raw, CREDSSP_HTTP, force_guards=['winrm_credssp_tls10_only'])
    assert status['winrm_credssp_tls10_only'] == 'overridden'


def test_credssp_over_http_counts_as_a_tls_connection_on_modern_builds():
    # CredSSP's TLS goes through the SChannel server, so the connection guard applies over HTTP too
    raw = load('2019_default')
    status = guard_status(raw, CREDSSP_HTTP)
    assert status['winrm_https_protocol_removed'] in ('passed', 'fired')
    assert guard_status(raw, HTTP)['winrm_https_protocol_removed'] == 'not_applicable'


# --- certificate authentication and TLS 1.3 ----------------------------------------------------------

CERT = {'https': True, 'transport': 'certificate', 'description': 'winrm over HTTPS, port 5986, transport certificate'}


def _tls13_server_off(name='2022_default'):
    raw = load(name)
    put(raw, W.schannel_path('TLS 1.3', 'Server'), 'Enabled', 0)
    put(raw, W.schannel_path('TLS 1.3', 'Server'), 'DisabledByDefault', 1)
    return raw


def test_enforce_minimum_does_not_silently_turn_tls13_server_back_on_under_certificate_auth():
    raw = _tls13_server_off()
    with pytest.raises(W.LockoutGuardError) as err:
        W.plan_system_tls(raw, {'connection': CERT})
    assert err.value.guard_id == 'winrm_certificate_tls13'
    # the same host over NTLM/HTTPS may get TLS 1.3 back
    status = guard_status(raw, {'https': True, 'transport': 'ntlm', 'description': 'winrm over HTTPS'})
    assert status['winrm_certificate_tls13'] == 'passed'


def test_certificate_auth_with_tls13_already_on_is_not_blocked_by_this_guard():
    status = guard_status(load('2022_default'), CERT)
    assert status['winrm_certificate_tls13'] == 'passed'


# --- RDP ----------------------------------------------------------------------------------------------

def _rdp(raw, deny=0, layer=2, nla=1):
    raw['rdp'] = {'deny_connections': deny, 'security_layer': layer, 'user_authentication': nla}
    return raw


def test_rdp_over_tls_on_2008r2_without_kb3080079_is_guarded_and_reported():
    raw = _rdp(load('win7sp1_winhttp_no_tls12_bit'))
    with pytest.raises(W.LockoutGuardError) as err:
        W.plan_system_tls(raw, {'connection': HTTP})
    assert err.value.guard_id == 'rdp_tls10_only'
    doc = W.posture_from_raw(raw, 'h')
    assert [f['subject'] for f in findings(doc, 'win_dependant_needs_tls10')] == ['service:rdp']


@pytest.mark.parametrize('change', [
    dict(deny=1), dict(layer=0, nla=0),
])
def test_rdp_off_or_without_tls_is_not_a_reason(change):
    raw = _rdp(load('win7sp1_winhttp_no_tls12_bit'), **change)
    assert guard_status(raw)['rdp_tls10_only'] == 'passed'


def test_rdp_with_kb3080079_or_on_2012r2_passes():
    raw = _rdp(load('win7sp1_winhttp_no_tls12_bit'))
    raw['hotfixes'].append('KB3080079')
    assert guard_status(raw)['rdp_tls10_only'] == 'passed'
    assert guard_status(_rdp(load('2012r2_default')))['rdp_tls10_only'] == 'passed'


# --- SQL Server ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('version, ok', [
    ('12.0.2000.8', False),     # 2014 RTM
    ('12.0.2271.0', True),      # 2014 RTM GDR with TLS 1.2
    ('12.0.2480.0', False),     # a 2014 RTM CU before CU12
    ('12.0.2564.0', True),      # 2014 RTM CU12
    ('12.0.4439.1', True),      # 2014 SP1 CU5
    ('12.0.5000.0', True),      # 2014 SP2
    ('11.0.6020.0', False),     # 2012 SP3 RTM
    ('11.0.6518.0', True),      # 2012 SP3 CU1
    ('11.0.7001.0', True),      # 2012 SP4
    ('10.50.6000.34', False),   # 2008 R2 SP3 RTM
    ('10.53.6542.0', True),     # 2008 R2 SP3 in the registry's PatchLevel form
    ('10.0.5500.0', False),     # 2008 SP3
    ('10.0.6547.0', True),      # 2008 SP4 with the TLS update
    ('9.0.5000.0', False),      # 2005
    ('13.0.1601.5', True),      # 2016
    ('16.0.1000.6', True),      # 2022
    ('garbage', None),
])
def test_sql_server_tls12_table(version, ok):
    assert W.sql_tls12(version)[0] is ok


def _sql(raw, *versions):
    raw['sql_server'] = {'instances': [{'name': 'INST%d' % n, 'id': 'MSSQL.%d' % n, 'current_version': v} for n, v in enumerate(versions)]}
    return raw


def test_sql_server_without_tls12_stops_disabling_tls10():
    raw = _sql(load('2012r2_default'), '13.0.5026.0', '11.0.6020.0')
    with pytest.raises(W.LockoutGuardError) as err:
        W.plan_system_tls(raw, {'connection': HTTP})
    assert err.value.guard_id == 'sql_server_tls12_unsupported' and 'INST1' in str(err.value) and 'INST0' not in str(err.value)
    doc = W.posture_from_raw(raw, 'h')
    assert [f['subject'] for f in findings(doc, 'win_dependant_needs_tls10')] == ['service:mssql/INST1']


def test_sql_server_with_tls12_passes_and_ensure_tls12_never_asks():
    assert guard_status(_sql(load('2012r2_default'), '13.0.5026.0'))['sql_server_tls12_unsupported'] == 'passed'
    # ensure_tls12 disables nothing, so even an old SQL Server is no reason to stop
    raw = _sql(load('2012r2_default'), '11.0.2100.60')
    plan = W.plan_system_tls(raw, {'mode': 'ensure_tls12', 'connection': HTTP})
    assert dict((g['id'], g['status']) for g in plan['guards'])['sql_server_tls12_unsupported'] == 'passed'


def test_every_guard_is_known_to_force_guards():
    status = guard_status(copy.deepcopy(load('2019_default')))
    assert set(status) == set(W.GUARD_IDS)


# --- the recorded reads for CredSSP, certificate auth, PSRP, a German host, SQL Server, IIS Crypto ------

def fired(raw, connection, **opts):
    return sorted(g for g, st in guard_status(raw, connection, **opts).items() if st == 'fired')


def test_credssp_fixture_fires_for_the_connection_and_for_rdp():
    raw = load('2008r2_credssp_http')
    assert fired(raw, CREDSSP_HTTP) == ['rdp_tls10_only', 'winrm_credssp_tls10_only']
    assert fired(raw, HTTP) == ['rdp_tls10_only']
    # the remedy the message names: KB3080079
    raw['hotfixes'].append('KB3080079')
    assert fired(raw, CREDSSP_HTTP) == []


def test_certificate_auth_fixture():
    raw = load('2022_cert_auth')
    assert fired(raw, CERT) == ['winrm_certificate_tls13']
    # ensure_tls12 touches only TLS 1.2, so the workaround stays
    plan = W.plan_system_tls(raw, {'mode': 'ensure_tls12', 'connection': CERT})
    assert not [c for c in plan['changes'] if 'TLS 1.3' in c['path']]


def test_psrp_fixture_records_the_shared_host_process():
    doc = W.posture_from_raw(load('2019_psrp'), 'h')
    assert doc['host']['windows']['powershell']['process'] == 'wsmprovhost'
    assert doc['verdict']['status'] == 'compliant'


def test_german_host_keeps_localised_text_and_names():
    raw = load('2019_de_de')
    doc = W.posture_from_raw(raw, 'h')
    errors = [f for f in doc['findings'] if f['id'] == 'gather_error']
    assert any('unzulässig' in (e.get('note') or '') for f in errors for e in f['evidence'])
    users = P.stack_by_id(doc, 'wininet')['details']['users']
    assert [u['user'] for u in users] == ['CONTOSO\\jürgen.müller', 'CONTOSO\\sören']
    # jürgen allows TLS 1.0/1.1 (0xA80), sören only 1.2/1.3 (0x2800): legacy allowed, TLS 1.2 allowed for both
    assert states(doc, 'wininet') == (R, A, A, A, R)
    # the SQL Server read failed: no guard can say "no instance", so nothing claims there is none
    assert W.sql_instances(raw) == []


def test_sql_fixture_names_only_the_old_instance():
    doc = W.posture_from_raw(load('2016_sql2014'), 'h')
    assert [f['subject'] for f in findings(doc, 'win_dependant_needs_tls10')] == ['service:mssql/LEGACYAPP']
    assert [i['tls12'] for i in doc['host']['windows']['sql_server_instances']] == [True, False]


def test_iiscrypto_best_practices_order_still_meets_exchange_online():
    doc = W.posture_from_raw(load('2019_iiscrypto_best'), 'h')
    suites = P.stack_by_id(doc, 'schannel_client')['details']['cipher_suites']
    assert suites['source'] == 'the local cipher suite order'
    assert suites['in_common_tls12'][0] == 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'
    assert not findings(doc, 'win_no_common_cipher_suite')


def test_iiscrypto_strict_without_tls13_suites_is_flagged():
    doc = W.posture_from_raw(load('2022_iiscrypto_strict'), 'h')
    assert [f['subject'] for f in findings(doc, 'win_tls13_without_cipher_suites')] == ['stack:schannel_server']
    assert P.stack_by_id(doc, 'schannel_client')['details']['cipher_suites']['in_common_tls13'] == []


def test_a_windows10_policy_on_windows7_leaves_nothing_in_common():
    doc = W.posture_from_raw(load('win7sp1_cipher_policy_gcm_only'), 'h')
    suites = P.stack_by_id(doc, 'schannel_client')['details']['cipher_suites']
    # TLS_ECDHE_RSA_*_GCM_* do not exist on Windows 7: SChannel drops them, DHE_RSA GCM is left
    assert suites['offered'] == ['TLS_DHE_RSA_WITH_AES_256_GCM_SHA384']
    assert suites['source'] == 'the SSL Cipher Suite Order policy'
    assert [f['severity'] for f in findings(doc, 'win_no_common_cipher_suite')] == ['critical']
    assert doc['verdict']['status'] == 'will_fail'


def test_default_orders_meet_exchange_online_on_every_build():
    for name in ('win7sp1_hardened', '2012r2_default', '2019_hardened', '2025_hardened'):
        doc = W.posture_from_raw(load(name), name)
        suites = P.stack_by_id(doc, 'schannel_client')['details']['cipher_suites']
        assert suites['in_common_tls12'], name
        assert not findings(doc, 'win_no_common_cipher_suite'), name
