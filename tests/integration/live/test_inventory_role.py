# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory playbook: one task per host, and every outcome recorded for the report.

A reachable host, an unreachable one and one whose module cannot even start (its Python
does not exist) run through the real playbook; the JSON callback shows which tasks ran
on which host.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

import subprocess

import yaml

from harness.ansible import TARGET_PYTHON, ansible_env
from harness.collection_root import REPO as REPO_ROOT

BIN = os.path.dirname(sys.executable)
GOOD = ['inv-good-1', 'inv-good-2', 'inv-good-3']


def _inventory(path):
    lines = ['[fleet]']
    lines.extend('%s ansible_connection=local ansible_python_interpreter=%s' % (h, TARGET_PYTHON) for h in GOOD)
    lines.append('inv-ghost ansible_host=127.0.0.9 ansible_port=1 ansible_connection=ssh '
                 'ansible_ssh_common_args="-o ConnectTimeout=3 -o BatchMode=yes"')
    lines.append('inv-broken ansible_connection=local ansible_python_interpreter=/nonexistent/bin/python3')
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def _run(tmp_path, extra=()):
    report = tmp_path / 'report'
    env = ansible_env({'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.json', 'ANSIBLE_HOST_KEY_CHECKING': 'False'})
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', _inventory(tmp_path / 'hosts.ini'),
                           'mailtls.remediation.inventory', '-e', 'fleet_report_dir=%s' % report] + list(extra),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=600, check=False)
    out = json.loads(proc.stdout)
    with open(str(report / 'posture.json')) as handle:
        hosts = dict((d['host']['name'], d['run']) for d in json.load(handle)['hosts'])
    return proc.returncode, out, hosts


def _tasks_per_host(out, play_index=0):
    ran = {}
    for task in out['plays'][play_index]['tasks']:
        for host, result in task['hosts'].items():
            if not result.get('skipped'):
                ran.setdefault(host, []).append(task['task']['name'])
    return ran


def _has_argument_spec(role, entry_point):
    path = os.path.join(REPO_ROOT, 'roles', role, 'meta', 'argument_specs.yml')
    if not os.path.exists(path):
        return False
    with open(path) as handle:
        return entry_point in (yaml.safe_load(handle) or {}).get('argument_specs', {})


def test_one_task_per_host_and_every_outcome_recorded(tmp_path):
    rc, out, hosts = _run(tmp_path)
    assert rc == 0, json.dumps(out.get('stats'))
    assert hosts['inv-good-1']['status'] == hosts['inv-good-2']['status'] == hosts['inv-good-3']['status'] == 'reported'
    assert hosts['inv-ghost']['status'] == 'unreachable' and hosts['inv-ghost']['message']
    assert hosts['inv-broken']['status'] == 'failed' and hosts['inv-broken']['message']
    ran = _tasks_per_host(out)
    # The run_once checks run on one host; every other host runs exactly the one gathering task.
    gather = 'Read the TLS posture of the host in one round trip and record the outcome'
    others = [h for h in GOOD + ['inv-ghost', 'inv-broken'] if len(ran.get(h, [])) == 1]
    assert len(others) == 4, ran
    assert all(len(ran[h]) == 1 and ran[h][0].endswith(gather) for h in others), ran
    # Argument specs are checked once per play, not per host: one validation for each entry point the
    # first play imports that has a spec (record_scope has none; tls_inventory:validate has one).
    with_spec = [name for name in ('fleet_report:record_scope', 'tls_inventory:validate') if _has_argument_spec(*name.split(':'))]
    assert with_spec, 'the inventory play imports no entry point with an argument spec'
    assert sum(1 for tasks in ran.values() for t in tasks if 'Validating arguments' in t) == len(with_spec), ran


def test_fail_on_error_fails_the_host_and_still_records_it(tmp_path):
    rc, out, hosts = _run(tmp_path, ['-e', 'tls_inventory_fail_on_error=true'])
    assert rc == 2, json.dumps(out.get('stats'))
    assert out['stats']['inv-broken']['failures'] == 1 and out['stats']['inv-good-1']['failures'] == 0
    assert hosts['inv-broken']['status'] == 'failed'
    assert hosts['inv-ghost']['status'] == 'unreachable'
    assert hosts['inv-good-2']['status'] == 'reported'
