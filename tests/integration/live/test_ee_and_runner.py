# -*- coding: utf-8 -*-
"""The execution environment definition builds a context, and the inventory playbook runs under ansible-runner (as AWX runs jobs)."""
from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys

import yaml

from harness.collection_root import collection_root as collections_root

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def tool(name):
    """The tool from the venv or PATH; make test installs both, so a missing one is a failure."""
    path = os.path.join(BIN, name)
    found = path if os.path.exists(path) else shutil.which(name)
    assert found, '%s is not installed (tests/requirements.txt lists it)' % name
    return found


def test_collection_ee_dependencies_are_found():
    """ansible-builder reads meta/execution-environment.yml of the installed collection."""
    proc = subprocess.run([tool('ansible-builder'), 'introspect', '--sanitize', collections_root()],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    data = yaml.safe_load(proc.stdout.split('\n', 1)[1])
    python = [line.split('#')[0].strip() for line in data['python'] if 'mailtls.remediation' in line]
    assert 'jmespath>=1.0' in python
    with open(os.path.join(REPO, 'meta', 'ee-requirements.txt')) as handle:
        wanted = [line.strip() for line in handle if line.strip() and not line.startswith('#')]
    assert sorted(python) == sorted(wanted)
    assert any(line.startswith('openssl') for line in data['system'])


def test_inventory_playbook_under_ansible_runner(tmp_path):
    pdd = tmp_path / 'pdd'
    for sub in ('project', 'inventory', 'env'):
        (pdd / sub).mkdir(parents=True)
    (pdd / 'project' / 'inventory.yml').write_text(
        '---\n- name: Run the collection playbook\n  ansible.builtin.import_playbook: mailtls.remediation.inventory\n')
    (pdd / 'inventory' / 'hosts').write_text(
        '[fleet]\nrunner-local ansible_connection=local ansible_python_interpreter=%s\n'
        'ghost ansible_host=127.0.0.9 ansible_connection=ssh ansible_port=1 ansible_ssh_common_args="-o ConnectTimeout=5"\n' % sys.executable)
    report = tmp_path / 'report'
    (pdd / 'env' / 'extravars').write_text(json.dumps({'fleet_report_dir': str(report)}))
    (pdd / 'env' / 'envvars').write_text(json.dumps({
        'ANSIBLE_COLLECTIONS_PATH': collections_root(), 'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable, 'ANSIBLE_LOCALHOST_WARNING': 'False'}))
    env = dict(os.environ)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    proc = subprocess.run([tool('ansible-runner'), 'run', str(pdd), '-p', 'inventory.yml'], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    artifacts = pdd / 'artifacts'
    status = list(artifacts.glob('*/status'))
    assert status and status[0].read_text().strip() == 'successful'
    with open(str(report / 'posture.json')) as handle:
        data = json.load(handle)
    states = dict((d['host']['name'], d['run']['status']) for d in data['hosts'])
    assert states == {'runner-local': 'reported', 'ghost': 'unreachable'}
    # runner keeps the job events AWX would store: one for the report task
    events = [json.loads(p.read_text()) for p in artifacts.glob('*/job_events/*.json')]
    assert any((e.get('event_data') or {}).get('task_action') == 'mailtls.remediation.fleet_report' and e.get('event') == 'runner_on_ok'
               for e in events)
