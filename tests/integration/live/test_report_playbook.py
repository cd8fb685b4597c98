# -*- coding: utf-8 -*-
"""The fleet_report role in real plays: the end-of-run summary, the pipeline gate, history across runs, the change plan."""
from __future__ import absolute_import, division, print_function

import importlib.util
import json
import os
import subprocess
import sys

from harness.collection_root import collection_root

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)

PLAY = '''
- name: Hosts that already reported (postures built by the real rules)
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Record the scope
      ansible.builtin.include_role:
        name: mailtls.remediation.fleet_report
        tasks_from: record_scope
    - name: Posture and status as tls_inventory leaves them
      ansible.builtin.set_fact:
        mailtls_posture: "{{ lookup('ansible.builtin.file', data_dir ~ '/' ~ inventory_hostname ~ '.json') | from_json }}"
        tls_inventory_status: {status: reported, msg: ''}
    - name: A change plan as tls_remediation leaves it (check mode of remediate)
      ansible.builtin.set_fact:
        tls_remediation_result: "{{ lookup('ansible.builtin.file', data_dir ~ '/' ~ inventory_hostname ~ '.plan.json') | from_json }}"
      when: (data_dir ~ '/' ~ inventory_hostname ~ '.plan.json') is file

- name: Report
  hosts: localhost
  gather_facts: false
  roles:
    - role: mailtls.remediation.fleet_report
'''

PLAN = {'status': 'would_change', 'plan': {
    'changes': [{'module': 'mail_client_tls', 'kind': 'file', 'target': '/home/u/.fetchmailrc', 'action': 'modify',
                 'finding_ids': ['client_pinned_below_tls12'], 'diff': '--- a\n+++ b\n-sslproto TLS1\n+sslproto TLS1.2+\n'}],
    'guards': [], 'restarts': [], 'reboot': False,
    'verify': [{'what': 'fetchmail', 'how': 'the client settings against the loopback canary', 'endpoints': ['127.0.0.1:993']}]}}


def _fleet_data():
    path = os.path.join(REPO, 'tests', 'unit', 'plugins', 'plugin_utils', 'report', 'fleet_data.py')
    spec = importlib.util.spec_from_file_location('mailtls_fleet_data_play', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup(tmp_path, kinds):
    fleet_data = _fleet_data()
    data = tmp_path / 'data'
    data.mkdir(exist_ok=True)
    lines = ['[fleet]']
    for name, kind in kinds.items():
        (data / (name + '.json')).write_text(json.dumps(fleet_data.make_posture(name, kind)))
        plan = data / (name + '.plan.json')
        if kind == 'pinned':
            plan.write_text(json.dumps(PLAN))
        elif plan.exists():
            plan.unlink()
        lines.append('%s ansible_connection=local ansible_python_interpreter=%s' % (name, sys.executable))
    (tmp_path / 'hosts.ini').write_text('\n'.join(lines) + '\n')
    (tmp_path / 'play.yml').write_text(PLAY)
    return str(data)


def play(tmp_path, data_dir, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_root(), ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_NOCOLOR='1',
               ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_DEPRECATION_WARNINGS='False')
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'hosts.ini', 'play.yml', '-e', 'data_dir=%s' % data_dir] + list(extra)
    return subprocess.run(cmd, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)


def report_part(stdout):
    return stdout[stdout.index('PLAY [Report]'):stdout.index('PLAY RECAP')]


def test_summary_gate_history_and_change_plan(tmp_path):
    kinds = dict(('h%02d' % i, 'compliant') for i in range(1, 9))
    kinds.update({'h09': 'legacy', 'h10': 'pinned'})
    data = setup(tmp_path, kinds)
    report = tmp_path / 'mailtls-report'

    # the gate: a host that will fail makes the play fail, after the report is written and the summary printed
    proc = play(tmp_path, data, '-e', 'fleet_report_gate_will_fail=true')
    assert proc.returncode != 0, proc.stdout[-3000:]
    part = report_part(proc.stdout)
    assert '10 host(s): will fail 1, at risk 1, compliant 8' in part
    assert 'report: %s' % (report / 'index.html') in part
    assert 'change plan: %s' % (report / 'change-plan.json') in part
    assert '1 host(s) match fail_on (will_fail): h10' in part
    assert (report / 'index.html').exists() and (report / 'change-plan.json').exists()
    plan = json.loads((report / 'change-plan.json').read_text())
    assert list(plan['hosts']) == ['h10'] and plan['hosts']['h10']['changes'] == PLAN['plan']['changes']
    # the report play prints a fixed handful of lines, never one per host
    assert len(part.splitlines()) < 40
    assert not [n for n in kinds if n != 'h10' and '[%s]' % n in part]

    # the pinned client is fixed: no gate, and the second run compares itself with the first
    kinds['h10'] = 'compliant'
    setup(tmp_path, kinds)
    proc = play(tmp_path, data, '-e', 'fleet_report_gate_will_fail=true')
    assert proc.returncode == 0, proc.stdout[-3000:]
    part = report_part(proc.stdout)
    assert 'since %s: 0 newly failing, 0 regressed, 1 fixed, 0 improved, 9 unchanged, 0 new' % json.loads(
        (report / 'history.json').read_text())['runs'][0]['id'] in part
    assert 'change plan' not in part and not (report / 'change-plan.json').exists()
    runs = sorted(os.listdir(str(report / 'runs')))
    assert len(runs) == 2
    assert os.readlink(str(report / 'latest')) == os.path.join('runs', runs[-1])
    assert os.path.exists(str(report / 'runs' / runs[0] / 'change-plan.json'))

    # retention from the role variable
    proc = play(tmp_path, data, '-e', 'fleet_report_keep_runs=1')
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert len(os.listdir(str(report / 'runs'))) == 1


SERIAL_PLAY = '''
- name: A rollout in batches that rewrites the report after each batch, as remediate does
  hosts: fleet
  gather_facts: false
  serial: 2
  tasks:
    - name: Record the scope
      ansible.builtin.include_role:
        name: mailtls.remediation.fleet_report
        tasks_from: record_scope
    - name: Posture and status as tls_inventory leaves them
      ansible.builtin.set_fact:
        mailtls_posture: "{{ lookup('ansible.builtin.file', data_dir ~ '/' ~ inventory_hostname ~ '.json') | from_json }}"
        tls_inventory_status: {status: reported, msg: ''}
    - name: Rewrite the report after this batch
      ansible.builtin.include_role:
        name: mailtls.remediation.fleet_report
'''


def test_report_rewritten_per_batch_is_one_run_with_one_summary(tmp_path):
    kinds = dict(('b%02d' % i, 'compliant') for i in range(1, 6))
    data = setup(tmp_path, kinds)
    (tmp_path / 'play.yml').write_text(SERIAL_PLAY)
    proc = play(tmp_path, data)
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = tmp_path / 'mailtls-report'
    # three batches, three rewrites, one kept run
    assert proc.stdout.count('TASK [mailtls.remediation.fleet_report : Write the fleet report once for the whole scope]') == 3
    assert len(os.listdir(str(report / 'runs'))) == 1
    # the summary is printed once, after the last batch, with every host
    assert proc.stdout.count('"5 host(s): compliant 5"') == 1
    assert '(kept runs: 1)' in proc.stdout
    data_json = json.loads((report / 'posture.json').read_text())
    assert sorted(h['host']['name'] for h in data_json['hosts']) == sorted(kinds)
    assert all(h['run']['status'] == 'reported' for h in data_json['hosts'])
