# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tls_remediation role's automatic rollback on a Windows host, from a recorded read.

The role file itself is read: its system_tls ``state: rollback`` steps are templated with what
system_tls returned on Windows, their ``when`` is evaluated, and the ones that run go through the
same controller code a real run uses (``run_system_tls``), against a host simulated from the
recorded read.  The registry must come back value for value.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest
import yaml

from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W
from ansible_collections.mailtls.remediation.plugins.plugin_utils import _windows_actions as A

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, '..', '..', 'data', 'windows')
ROLE_TASKS = os.path.join(HERE, '..', '..', '..', '..', 'roles', 'tls_remediation', 'tasks', 'main.yml')
HTTP_VARS = {'inventory_hostname': 'win1', 'ansible_connection': 'winrm', 'ansible_port': 5985, 'ansible_winrm_scheme': 'http'}
OMIT = '__omit_place_holder__windows_test'
BACKUP_PATH = 'C:\\ProgramData\\mailtls\\backups\\system_tls-20261202T183000000Z.json'


class Host(object):
    """A Windows host as the two PowerShell calls see it: reads answer from the registry state,
    a plan is applied and its backup kept under the path the module would write."""

    def __init__(self, raw):
        self.raw = copy.deepcopy(raw)
        self.files = {}
        self.calls = []

    def execute(self, args):
        self.calls.append(copy.deepcopy(args))
        plan = args.get('_plan')
        if plan is not None:
            entries = [{'hive': c['hive'], 'path': c['path'], 'name': c['name'], 'key_existed': c['key_existed'], 'before': c['before']}
                       for c in plan['changes']]
            path = None
            if plan['kind'] == 'change':
                path = BACKUP_PATH
                self.files[path] = {'format': 1, 'kind': 'change', 'entries': entries}
            self.raw = W.apply_changes(self.raw, plan['changes'])
            return {'changed': True, 'backup_file': path}
        out = {'changed': False, 'raw': copy.deepcopy(self.raw)}
        if args.get('state') == 'rollback':
            wanted = args.get('backup_file')
            if wanted not in self.files:
                return {'failed': True, 'msg': 'failed to read the backup at %s' % wanted}
            out.update({'backup': copy.deepcopy(self.files[wanted]), 'backup_file': wanted})
        return out


class Action(object):
    def __init__(self, host, args):
        self.host = host
        self._task = type('Task', (), {'args': args, 'diff': False})()
        self._play_context = type('PlayContext', (), {'check_mode': False, 'connection': 'winrm'})()

    def _execute_module(self, module_name=None, module_args=None, task_vars=None):
        assert module_name == 'mailtls.remediation.system_tls'
        return self.host.execute(module_args or {})


def _templar(variables):
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    from ansible.template import Templar  # pylint: disable=import-outside-toplevel
    return Templar(loader=DataLoader(), variables=variables)


def _walk(tasks):
    for task in tasks or []:
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from _walk(task.get(key))


def _rollback_steps():
    with open(ROLE_TASKS) as fh:
        tasks = yaml.safe_load(fh)
    steps = []
    for task in _walk(tasks):
        args = task.get('mailtls.remediation.system_tls')
        if isinstance(args, dict) and args.get('state') == 'rollback':
            steps.append(task)
    return steps


def _trusted(text):
    # ansible-core 2.19 renders only strings marked as templates (data tagging); older ones render all
    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    except ImportError:
        return text
    return trust_as_template(text)


def _runs(templar, task):
    when = task.get('when') or []
    for cond in (when if isinstance(when, list) else [when]):
        value = templar.template(_trusted('{{ (%s) | bool }}' % cond))
        if value not in (True, 'True'):
            return False
    return True


def _args(templar, task):
    out = {}
    for key, value in task['mailtls.remediation.system_tls'].items():
        rendered = templar.template(_trusted(value) if isinstance(value, str) else value)
        if rendered != OMIT:
            out[key] = rendered
    return out


def load(name):
    with open(os.path.join(DATA, name + '.json')) as fh:
        return json.load(fh)


@pytest.mark.parametrize('name', ['2019_default', 'win7sp1_winhttp_no_tls12_bit', '2016_reg_sz'])
def test_role_rolls_a_windows_host_back_byte_for_byte(name):
    before = load(name)
    host = Host(before)
    change = A.run_system_tls(Action(host, {'min_protocol': 'TLSv1.2'}), HTTP_VARS)
    assert change['changed'] and change['backup_file'] == BACKUP_PATH
    # the common shape of every changing module, so a role needs no Windows branch to find the backup
    assert change['backup_files'] == [{'path': 'HKLM (%d registry values)' % len(change['changes']), 'backup': BACKUP_PATH}]
    assert change['created_files'] == []

    variables = {'__tls_remediation_system': change, '__tls_remediation_windows': True, '__tls_remediation_needs_rollback': True,
                 '__tls_remediation_regressions': ['imap://outlook.office365.com:993'], 'tls_remediation_rollback_on_regression': True,
                 '__tls_remediation_args_state_dir': 'C:\\ProgramData\\mailtls', 'omit': OMIT}
    templar = _templar(variables)
    steps = _rollback_steps()
    assert steps, 'the role has no system_tls rollback step'
    ran = [step for step in steps if _runs(templar, step)]
    assert ran, 'no system_tls rollback step of the role runs for a Windows result: %s' % [s.get('name') for s in steps]
    for step in ran:
        result = A.run_system_tls(Action(host, _args(templar, step)), HTTP_VARS)
        assert not result.get('failed'), result
    # every value the reader reads is back as it was, absent ones absent again
    for path, names in W.read_spec():
        for value in names:
            assert W.reg_value(host.raw, path, value)[1] == W.reg_value(before, path, value)[1], (path, value)
    restore_calls = [c for c in host.calls if c.get('state') == 'rollback' and '_plan' not in c]
    assert restore_calls and all(c.get('backup_file') == BACKUP_PATH for c in restore_calls)


def test_rollback_with_backup_files_finds_the_registry_backup():
    host = Host(load('2019_default'))
    change = A.run_system_tls(Action(host, {}), HTTP_VARS)
    result = A.run_system_tls(Action(host, {'state': 'rollback', 'backup_files': change['backup_files']}), HTTP_VARS)
    assert result['changed'] and result['restored_from'] == BACKUP_PATH
    # nothing to roll back twice
    again = A.run_system_tls(Action(host, {'state': 'rollback', 'backup_files': change['backup_files']}), HTTP_VARS)
    assert again['changed'] is False


def test_an_unchanged_host_gives_the_role_nothing_to_restore():
    host = Host(load('2019_hardened'))
    change = A.run_system_tls(Action(host, {}), HTTP_VARS)
    assert change['changed'] is False and change['backup_files'] == [] and change['backup_file'] is None
