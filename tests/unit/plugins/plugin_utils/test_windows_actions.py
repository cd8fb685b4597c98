# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive the Windows controller code with a fake action plugin replaying recorded module output."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os
import re

from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as MC
from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W
from ansible_collections.mailtls.remediation.plugins.plugin_utils import _windows_actions as A

DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'windows')
HTTPS_VARS = {'inventory_hostname': 'win1', 'ansible_connection': 'winrm', 'ansible_port': 5986, 'ansible_winrm_transport': 'ntlm'}
HTTP_VARS = {'inventory_hostname': 'win1', 'ansible_connection': 'winrm', 'ansible_port': 5985, 'ansible_winrm_scheme': 'http'}


def load(name):
    with open(os.path.join(DATA, name + '.json')) as fh:
        return json.load(fh)


class FakeTask(object):
    def __init__(self, args, diff):
        self.args = args
        self.diff = diff


class FakePlayContext(object):
    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.connection = 'winrm'


class FakeAction(object):
    """Records every _execute_module call; answers reads with a raw fixture and writes with success."""

    def __init__(self, raw, args=None, check_mode=False, diff=False, backup=None, fail_write=False):
        self._task = FakeTask(args or {}, diff)
        self._play_context = FakePlayContext(check_mode)
        self.raw = raw
        self.backup = backup
        self.fail_write = fail_write
        self.calls = []

    def _execute_module(self, module_name=None, module_args=None, task_vars=None):
        self.calls.append((module_name, copy.deepcopy(module_args)))
        if '_plan' in (module_args or {}):
            if self.fail_write:
                return {'failed': True, 'msg': 'failed to write the registry value at HKLM\\x: access denied'}
            self.raw = W.apply_changes(self.raw, module_args['_plan']['changes'])
            return {'changed': True, 'backup_file': 'C:\\ProgramData\\mailtls\\backups\\system_tls-1.json'}
        out = {'changed': False, 'raw': copy.deepcopy(self.raw)}
        if module_name.endswith('system_tls') and (module_args or {}).get('state') == 'rollback':
            if self.backup is None:
                return {'failed': True, 'msg': 'no system_tls backup found'}
            out['backup'] = copy.deepcopy(self.backup)
            out['backup_file'] = 'C:\\ProgramData\\mailtls\\backups\\system_tls-1.json'
        return out

    def writes(self):
        return [c for c in self.calls if '_plan' in (c[1] or {})]


def test_tls_facts_is_one_read_and_a_posture():
    action = FakeAction(load('2019_default'))
    result = A.run_tls_facts(action, HTTP_VARS)
    assert action.calls == [('mailtls.remediation.tls_facts', {})]
    doc = result['ansible_facts']['mailtls_posture']
    assert doc['host']['name'] == 'win1' and doc['host']['os_family'] == 'windows'
    assert doc['verdict']['status'] == 'will_fail'
    assert result['changed'] is False and 'raw' not in result


def test_tls_facts_passes_failures_through():
    class Failing(FakeAction):
        def _execute_module(self, module_name=None, module_args=None, task_vars=None):
            self.calls.append(module_name)
            return {'failed': True, 'msg': 'failed to read the TLS settings at HKLM: denied'}
    action = Failing(None)
    result = A.run_tls_facts(action, HTTP_VARS)
    assert result['failed'] and 'denied' in result['msg'] and len(action.calls) == 1


def test_system_tls_one_read_one_write_then_idempotent():
    action = FakeAction(load('2019_default'), diff=True)
    result = A.run_system_tls(action, HTTP_VARS)
    assert not result.get('failed'), result.get('msg')
    assert [c[0] for c in action.calls] == ['mailtls.remediation.system_tls'] * 2
    assert '_plan' not in action.calls[0][1] and len(action.writes()) == 1
    assert result['changed'] is True and result['backup_file'].endswith('.json')
    assert result['reboot_required'] == {'schannel': True, 'winhttp': True, 'dotnet': True}
    assert 'TLS 1.0\\Client\\Enabled = (absent)' in result['diff']['before']
    written = action.writes()[0][1]['_plan']['changes']
    assert len(written) == len(result['changes'])
    # second run: one read, nothing to write
    action.calls = []
    again = A.run_system_tls(action, HTTP_VARS)
    assert again['changed'] is False and len(action.calls) == 1 and not action.writes()


def test_check_mode_never_writes_and_predicts_the_run():
    raw = load('win11_default')
    check = FakeAction(copy.deepcopy(raw), check_mode=True, diff=True)
    predicted = A.run_system_tls(check, HTTP_VARS)
    assert len(check.calls) == 1 and not check.writes()
    assert predicted['changed'] is True and predicted['diff']['after']
    real = FakeAction(copy.deepcopy(raw))
    done = A.run_system_tls(real, HTTP_VARS)
    assert done['changes'] == predicted['changes']


def test_guard_stops_before_the_write():
    raw = load('2008r2_default')
    raw['hotfixes'] = ['KB3140245']
    action = FakeAction(raw)
    result = A.run_system_tls(action, HTTPS_VARS)
    assert result['failed'] and result['guard'] == 'winrm_https_protocol_removed'
    assert result['override'] == 'force_guards: [winrm_https_protocol_removed]'
    assert len(action.calls) == 1 and not action.writes()
    # over HTTP the same host is changed
    action = FakeAction(copy.deepcopy(raw))
    assert A.run_system_tls(action, HTTP_VARS)['changed'] is True and len(action.writes()) == 1
    # and HTTPS with a deliberate override too
    action = FakeAction(copy.deepcopy(raw), args={'force_guards': ['winrm_https_protocol_removed']})
    result = A.run_system_tls(action, HTTPS_VARS)
    assert result['changed'] is True
    assert [g['status'] for g in result['guards'] if g['id'] == 'winrm_https_protocol_removed'] == ['overridden']


def test_prerequisite_guard_on_win7():
    action = FakeAction(load('win7sp1_default'))
    result = A.run_system_tls(action, HTTP_VARS)
    assert result['guard'] == 'tls12_prerequisites_missing' and not action.writes()


def test_bad_options_fail_before_any_call():
    action = FakeAction(load('2019_default'), args={'force_guards': ['typo']})
    result = A.run_system_tls(action, HTTP_VARS)
    assert result['failed'] and 'unknown guard' in result['msg'] and action.calls == []


def test_write_failure_is_reported():
    action = FakeAction(load('2019_default'), fail_write=True)
    result = A.run_system_tls(action, HTTP_VARS)
    assert result['failed'] and 'access denied' in result['msg'] and result['changes']


def test_rollback_restores_and_is_idempotent():
    raw = load('2016_reg_sz')
    action = FakeAction(copy.deepcopy(raw))
    change = A.run_system_tls(action, HTTP_VARS)
    plan_changes = action.writes()[0][1]['_plan']['changes']
    backup = {'format': 1, 'kind': 'change', 'entries': [
        {'hive': c['hive'], 'path': c['path'], 'name': c['name'], 'key_existed': c['key_existed'], 'before': c['before']} for c in plan_changes]}
    action.backup = backup
    action.calls = []
    action._task.args = {'state': 'rollback'}
    result = A.run_system_tls(action, HTTP_VARS)
    assert result['changed'] is True and result['restored_from'].endswith('.json')
    assert len(action.calls) == 2 and action.writes()[0][1]['_plan']['kind'] == 'rollback'
    for path, names in W.read_spec():
        for name in names:
            assert W.reg_value(action.raw, path, name)[1] == W.reg_value(raw, path, name)[1]
    assert len(result['changes']) == len(change['changes'])
    action.calls = []
    assert A.run_system_tls(action, HTTP_VARS)['changed'] is False and not action.writes()


def test_rollback_without_backup_fails():
    action = FakeAction(load('2019_default'), args={'state': 'rollback'})
    result = A.run_system_tls(action, HTTP_VARS)
    assert result['failed'] and 'no system_tls backup' in result['msg'] and not action.writes()


def test_connection_info():
    action = FakeAction(None)
    assert A.connection_info(action, HTTPS_VARS)['https'] is True
    assert A.connection_info(action, HTTP_VARS)['https'] is False
    assert A.connection_info(action, {'ansible_connection': 'winrm', 'ansible_port': 5985})['https'] is False
    assert A.connection_info(action, {'ansible_connection': 'winrm'})['https'] is True
    info = A.connection_info(action, {'ansible_connection': 'ansible.builtin.winrm', 'ansible_port': '5986',
                                      'ansible_winrm_transport': ['certificate']})
    assert info['https'] is True and info['transport'] == 'certificate'
    assert A.connection_info(action, {'ansible_connection': 'psrp', 'ansible_port': 5986})['https'] is True
    assert A.connection_info(action, {'ansible_connection': 'ssh'})['https'] is False


# --- mail clients through tls_facts ------------------------------------------------------

PSM1 = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'module_utils', '_MailTlsWinClients.psm1')


def facts(raw):
    action = FakeAction(raw)
    result = A.run_tls_facts(action, HTTP_VARS)
    assert len(action.calls) == 1 and 'raw' not in result
    return result['ansible_facts']['mailtls_posture']


def client(doc, client_id):
    found = [c for c in doc['clients'] if c['id'] == client_id]
    assert len(found) == 1, [c['id'] for c in doc['clients']]
    return found[0]


def allowed(record):
    return [p for p in ('ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3') if record['protocols'][p]['state'] == 'allowed']


def client_findings(doc):
    return sorted((f['id'], f['subject']) for f in doc['findings'] if f['subject'].startswith('client:'))


def test_win11_outlook365_and_pinned_thunderbird_turn_a_compliant_host_into_will_fail():
    raw = load('win11_hardened')
    assert W.posture_from_raw(raw, 'win1')['verdict']['status'] == 'compliant'
    doc = facts(raw)
    assert [c['id'] for c in doc['clients']] == ['outlook:0', 'thunderbird:alice:0', 'thunderbird:bob:1']
    outlook = client(doc, 'outlook:0')
    assert outlook['library'] == 'schannel' and outlook['path'].endswith('root\\Office16\\OUTLOOK.EXE')
    assert (outlook['settings']['version'], outlook['settings']['bitness'], outlook['settings']['source']) == ('16.0.17928.20114', 'x64', 'ClickToRun')
    assert outlook['settings']['default_handler'] is True
    assert outlook['settings']['mail_handlers'] == ['Microsoft Outlook', 'Mozilla Thunderbird']
    # hardened SCHANNEL client side: Outlook gets exactly TLS 1.2 and 1.3
    assert allowed(outlook) == ['tls1_2', 'tls1_3']
    assert [(s['host'], s['port'], s['service']) for s in outlook['servers']] == [('outlook.office365.com', 993, 'imap'), ('smtp.office365.com', 587, 'smtp')]
    alice = client(doc, 'thunderbird:alice:0')
    # user.js max=1 and policies.json SSLVersionMin tls1: TLS 1.0 and nothing else
    assert alice['user'] == 'alice' and alice['library'] == 'nss' and allowed(alice) == ['tls1_0']
    assert alice['settings']['locked'] is True
    bob = client(doc, 'thunderbird:bob:1')
    # no pin of his own, but the enterprise policy lowers the minimum to TLS 1.0
    assert allowed(bob) == ['tls1_0', 'tls1_1', 'tls1_2', 'tls1_3']
    assert client_findings(doc) == [('client_allows_legacy', 'client:thunderbird:bob:1'), ('client_pinned_below_tls12', 'client:thunderbird:alice:0')]
    assert doc['verdict']['status'] == 'will_fail' and doc['verdict']['reasons'] == ['client_pinned_below_tls12']
    assert 'schannel' not in [s['id'] for s in doc['stacks']]


def test_win11_policy_file_is_what_lowers_bobs_minimum():
    raw = load('win11_hardened')
    raw['mail_clients']['thunderbird']['policy_files'] = []
    doc = facts(raw)
    assert allowed(client(doc, 'thunderbird:bob:1')) == ['tls1_2', 'tls1_3']
    # alice's user.js still pins TLS 1.0; without the policy her minimum is TLS 1.2: nothing is left
    assert allowed(client(doc, 'thunderbird:alice:0')) == []
    assert [f['id'] for f in doc['findings'] if f['subject'] == 'client:thunderbird:alice:0'] == ['client_no_usable_protocol']
    assert ('client_allows_legacy', 'client:thunderbird:bob:1') not in client_findings(doc)


def test_outlook_2010_on_2008r2_follows_schannel_and_is_fixed_by_system_tls():
    raw = load('2008r2_default')
    raw['hotfixes'] = ['KB3140245']
    doc = facts(copy.deepcopy(raw))
    outlook = client(doc, 'outlook:0')
    assert (outlook['settings']['version'], outlook['settings']['bitness'], outlook['settings']['source']) == ('14.0.7268.5000', 'x86', 'MSI')
    assert allowed(outlook) == ['ssl3', 'tls1_0']
    assert [(s['host'], s['service']) for s in outlook['servers']] == [('outlook.office365.com', 'pop3'), ('smtp.office365.com', 'smtp')]
    assert client_findings(doc) == [('client_pinned_below_tls12', 'client:outlook:0')]
    assert doc['verdict']['status'] == 'will_fail' and 'client_pinned_below_tls12' in doc['verdict']['reasons']
    # system_tls changes SCHANNEL; the next tls_facts sees Outlook on TLS 1.2
    action = FakeAction(raw)
    assert A.run_system_tls(action, HTTP_VARS)['changed'] is True
    after = facts(action.raw)
    assert allowed(client(after, 'outlook:0')) == ['tls1_2']
    assert client_findings(after) == []


def test_outlook_2010_on_2012r2_gets_tls12_from_the_schannel_default():
    doc = facts(load('2012r2_default'))
    outlook = client(doc, 'outlook:0')
    assert allowed(outlook) == ['ssl3', 'tls1_0', 'tls1_1', 'tls1_2'] and outlook['servers'] == []
    carol = client(doc, 'thunderbird:carol:0')
    # HKLM\SOFTWARE\Policies\Mozilla\Thunderbird SSLVersionMin=tls1.2
    assert allowed(carol) == ['tls1_2', 'tls1_3']
    assert [(s['host'], s['legacy_endpoint']) for s in carol['servers']] == [('imap-legacy.office365.com', True)]
    assert client_findings(doc) == [('client_allows_legacy', 'client:outlook:0'), ('client_exo_basic_auth', 'client:thunderbird:carol:0'),
                                    ('client_legacy_endpoint', 'client:thunderbird:carol:0')]
    legacy = [f for f in doc['findings'] if f['id'] == 'client_allows_legacy'][0]
    assert 'TLS 1.0, TLS 1.1' in legacy['title']


def test_no_client_inventory_leaves_the_posture_alone():
    with_null = load('2008r2_default')
    with_null['mail_clients'] = None  # 'clients' failed as a whole (the error is in raw.errors)
    without = load('2008r2_default')
    del without['mail_clients']  # 'clients' not in gather
    for raw in (with_null, without):
        doc = facts(copy.deepcopy(raw))
        assert doc['clients'] == [] and doc == W.posture_from_raw(raw, 'win1')


def test_a_failed_part_of_the_client_read_is_a_finding_not_a_failure():
    raw = load('win11_hardened')
    raw['errors'] = [{'what': 'Outlook accounts', 'where': 'HKU\\S-1-5-21-1-2-3-1104', 'message': 'Requested registry access is not allowed.'}]
    raw['mail_clients']['outlook_accounts'] = []
    doc = facts(raw)
    errors = [f for f in doc['findings'] if f['id'] == 'gather_error']
    assert [f['subject'] for f in errors] == ['host:HKU\\S-1-5-21-1-2-3-1104']
    assert 'Outlook accounts' in errors[0]['title']
    assert client(doc, 'outlook:0')['servers'] == [] and len(doc['clients']) == 3


def test_fixture_sections_have_the_documented_shape():
    shape = json.loads(MC.WINDOWS_RAW_SHAPE)
    for name in ('win11_hardened', '2008r2_default', '2012r2_default'):
        section = load(name)['mail_clients']
        assert sorted(section) == sorted(shape), name
        assert sorted(section['thunderbird']) == sorted(shape['thunderbird']), name
        for prof in section['thunderbird_profiles']:
            assert sorted(prof) == sorted(shape['thunderbird_profiles'][0]), name


def _psm1():
    with open(PSM1) as fh:
        return fh.read()


def test_reader_builds_every_key_of_the_shape():
    text = _psm1()
    for key in ('mail_handlers', 'user_mail_handlers', 'outlook', 'outlook_accounts', 'thunderbird', 'thunderbird_profiles', 'installs',
                'policy_files', 'policy_registry', 'profiles_ini', 'prefs_js', 'user_js', 'compatibility_version', 'locked', 'bitness', 'product_ids'):
        assert re.search(r'\b%s\s*=' % key, text), key


def test_reader_blanks_password_preferences_line_for_line():
    match = re.search(r"\[regex\]::Replace\(\$Text, '((?:[^']|'')*)', ''\)", _psm1())
    pattern = match.group(1).replace("''", "'")
    text = ('user_pref("mail.server.server1.hostname", "outlook.office365.com");\r\n'
            'user_pref("mail.smtpserver.smtp1.password", "hunter2");\r\n'
            "  lockPref('signon.password.x', 'hunter3');\r\n"
            'user_pref("security.tls.version.max", 1);\n')
    # the .NET pattern is also valid for Python's re (inline flags at the start, plain classes)
    out = re.sub(pattern, '', text)
    assert 'hunter' not in out and out.count('\n') == text.count('\n')
    assert 'outlook.office365.com' in out and 'security.tls.version.max' in out


def _validate(doc):
    import jsonschema  # pylint: disable=import-outside-toplevel
    with open(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'schemas', 'posture-v1.schema.json')) as fh:
        jsonschema.validate(doc, json.load(fh))


def test_postures_with_clients_match_the_json_schema():
    for name in ('win11_hardened', '2008r2_default', '2012r2_default'):
        doc = facts(load(name))
        assert doc['clients']
        _validate(doc)


def test_uninterpretable_client_data_is_a_finding_not_a_traceback():
    raw = load('win11_hardened')
    raw['mail_clients']['outlook'] = [42]
    doc = facts(raw)
    errors = [f for f in doc['findings'] if f['id'] == 'gather_error']
    assert [f['subject'] for f in errors] == ['host:mail clients']
    assert 'AttributeError' in errors[0]['evidence'][0]['note']
    # the TLS stacks are still judged
    assert doc['verdict']['status'] == 'unknown' and [s['id'] for s in doc['stacks']][:2] == ['schannel_client', 'schannel_server']
    _validate(doc)


def test_connection_info_names_credssp_and_certificate_transports():
    class Ctx(object):
        _play_context = FakePlayContext(False)
    cert = A.connection_info(Ctx(), {'ansible_connection': 'winrm', 'ansible_port': 5986, 'ansible_winrm_cert_pem': '/x/cert.pem'})
    assert cert['https'] is True and cert['transport'] == 'certificate'
    credssp = A.connection_info(Ctx(), {'ansible_connection': 'psrp', 'ansible_port': 5985, 'ansible_psrp_auth': 'credssp'})
    assert credssp['https'] is False and credssp['transport'] == 'credssp'
    # CredSSP over HTTP still runs TLS through the host's SChannel server: the brain counts it as a TLS connection
    raw = load('2008r2_credssp_http')
    result = A.run_system_tls(FakeAction(raw), {'inventory_hostname': 'w', 'ansible_connection': 'psrp', 'ansible_port': 5985,
                                                'ansible_psrp_auth': 'credssp'})
    assert result['failed'] and 'winrm_credssp_tls10_only' in [g['id'] for g in result['guards'] if g['status'] == 'fired']
