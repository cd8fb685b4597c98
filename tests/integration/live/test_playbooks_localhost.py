# -*- coding: utf-8 -*-
"""Run the inventory playbook for real, against this machine (local connection) plus a host that cannot be reached."""
from __future__ import absolute_import, division, print_function

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema

from harness.collection_root import collection_root as collections_root

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
SCHEMA = os.path.join(REPO, 'schemas', 'posture-v1.schema.json')


def write_inventory(path, names):
    lines = ['[fleet]']
    for name in names:
        lines.append('%s ansible_connection=local ansible_python_interpreter=%s' % (name, sys.executable))
    lines.append('ghost ansible_host=127.0.0.9 ansible_connection=ssh ansible_port=1 ansible_ssh_common_args="-o ConnectTimeout=5"')
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


def run_playbook(cwd, inventory, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_root(), ANSIBLE_HOST_KEY_CHECKING='False',
               ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, 'mailtls.remediation.inventory'] + list(extra)
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                          check=False)
    return proc


def check_report(report_dir, names):
    with open(SCHEMA) as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    with open(os.path.join(report_dir, 'posture.json')) as handle:
        data = json.load(handle)
    hosts = dict((d['host']['name'], d) for d in data['hosts'])
    assert sorted(hosts) == sorted(names + ['ghost'])
    for doc in data['hosts']:
        errors = [e.message for e in validator.iter_errors(doc)]
        assert not errors, (doc['host']['name'], errors[:3])
    assert hosts['ghost']['run']['status'] == 'unreachable'
    assert 'host_unreachable' in hosts['ghost']['verdict']['reasons']
    for name in names:
        assert hosts[name]['run']['status'] == 'reported'
        assert hosts[name]['host']['os_family'] == 'linux'
        assert hosts[name]['stacks'], 'the local host has at least one TLS stack'
    assert data['report']['totals']['by_outcome']['unreachable'] == 1
    with open(os.path.join(report_dir, 'hosts.csv')) as handle:
        rows = dict((r['host'], r) for r in csv.DictReader(handle))
    assert rows['ghost']['outcome'] == 'unreachable'
    junit = ET.parse(os.path.join(report_dir, 'junit.xml')).getroot()
    ghost_cases = [c for c in junit.iter('testcase') if c.get('classname') == 'ghost']
    assert ghost_cases and ghost_cases[0].find('error') is not None
    for name in ('summary.md', 'index.html'):
        assert os.path.getsize(os.path.join(report_dir, name)) > 0
    return data


def test_inventory_writes_report_in_cwd_by_default(tmp_path):
    inventory = str(tmp_path / 'hosts.ini')
    write_inventory(inventory, ['alpha', 'beta'])
    proc = run_playbook(str(tmp_path), inventory)
    assert proc.returncode == 0, proc.stdout[-4000:]
    data = check_report(str(tmp_path / 'mailtls-report'), ['alpha', 'beta'])
    assert data['report']['run']['check_mode'] is False


def test_inventory_under_serial_and_check_mode(tmp_path):
    """One batch per host: the report is still written once, with every host, in check mode too."""
    inventory = str(tmp_path / 'hosts.ini')
    names = ['h1', 'h2', 'h3']
    write_inventory(inventory, names)
    report = str(tmp_path / 'out' / 'report')
    proc = run_playbook(str(tmp_path), inventory, '--check', '-e', 'mailtls_inventory_serial=1', '-e', 'fleet_report_dir=%s' % report)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert proc.stdout.count('TASK [mailtls.remediation.fleet_report : Write the fleet report once for the whole scope]') == 1
    data = check_report(report, names)
    assert data['report']['run']['check_mode'] is True


def test_report_gate_fails_the_run(tmp_path):
    inventory = str(tmp_path / 'hosts.ini')
    write_inventory(inventory, ['solo'])
    proc = run_playbook(str(tmp_path), inventory, '-e', '{"fleet_report_fail_on": ["unreachable"]}')
    assert proc.returncode != 0
    assert 'match fail_on (unreachable): ghost' in proc.stdout
    check_report(str(tmp_path / 'mailtls-report'), ['solo'])
