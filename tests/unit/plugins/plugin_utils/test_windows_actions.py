# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive the Windows controller code with a fake action plugin replaying recorded module output."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

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
