# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job slicing, simulated with the real programs AWX runs.

AWX turns a sliced job template into N ``ansible-playbook`` runs, each limited
to every N-th host of the inventory, with the ``jsonfile`` fact cache, and saves
the facts between jobs.  The fleet report then comes from an unsliced node that
only reads the cache.  The report of that workflow must say the same about every
host as one unsliced run of the inventory playbook.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

from harness.ansible import TARGET_PYTHON, ansible_env

BIN = os.path.dirname(sys.executable)
HOSTS = ['slice-host-%02d' % i for i in range(6)]
GHOST = 'slice-ghost'
SLICES = 3
REPORT_NODE = """---
- name: Write the fleet report for every host of the inventory from the fact cache
  hosts: localhost
  gather_facts: false
  roles:
    - role: mailtls.remediation.fleet_report
      fleet_report_hosts: "{{ groups['all'] }}"
"""
# Times, durations and the run header legitimately differ between two runs.
VOLATILE = {'at', 'gathered_at', 'duration_ms', 'generated_at', 'started_at', 'finished_at'}


def _inventory(path):
    lines = ['[fleet]']
    lines.extend('%s ansible_connection=local ansible_python_interpreter=%s' % (h, TARGET_PYTHON) for h in HOSTS)
    # A host whose slice finds it unreachable: the cache must carry that to the report node too.
    lines.append('%s ansible_host=127.0.0.9 ansible_port=1 ansible_connection=ssh '
                 'ansible_ssh_common_args="-o ConnectTimeout=3 -o BatchMode=yes"' % GHOST)
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def _play(args, cache=None, cwd=None):
    extra = {'ANSIBLE_HOST_KEY_CHECKING': 'False', 'ANSIBLE_FORKS': '10'}
    if cache:
        extra.update({'ANSIBLE_CACHE_PLUGIN': 'ansible.builtin.jsonfile', 'ANSIBLE_CACHE_PLUGIN_CONNECTION': cache,
                      'ANSIBLE_CACHE_PLUGIN_TIMEOUT': '86400'})
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook')] + args, env=ansible_env(extra), cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=600, check=False)
    return proc


def _strip(value):
    if isinstance(value, dict):
        return dict((k, _strip(v)) for k, v in value.items() if k not in VOLATILE)
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _hosts(report_dir):
    with open(os.path.join(report_dir, 'posture.json')) as handle:
        data = json.load(handle)
    return dict((d['host']['name'], _strip(d)) for d in data['hosts']), data['report']


def test_sliced_workflow_reports_what_one_unsliced_run_reports(tmp_path):
    inventory = _inventory(tmp_path / 'hosts.ini')
    everyone = HOSTS + [GHOST]

    single = str(tmp_path / 'single')
    proc = _play(['-i', inventory, 'mailtls.remediation.inventory', '-e', 'fleet_report_dir=%s' % single])
    # An unreachable host makes ansible-playbook exit 4; everything else must have worked.
    assert proc.returncode in (0, 4), proc.stdout[-4000:]

    cache = str(tmp_path / 'facts')
    for index in range(SLICES):
        members = everyone[index::SLICES]
        proc = _play(['-i', inventory, 'mailtls.remediation.inventory', '--limit', ','.join(members),
                      '-e', 'fleet_report_dir=%s' % (tmp_path / ('slice%d' % index))], cache=cache)
        assert proc.returncode in (0, 4), proc.stdout[-4000:]
    # One cache file per host (ansible-core 2.19 prefixes the key with its cache format, as in s1_<host>).
    cached = sorted(os.listdir(cache))
    assert len(cached) == len(everyone) and all(any(f.endswith(h) for f in cached) for h in everyone), cached

    (tmp_path / 'report_node.yml').write_text(REPORT_NODE)
    sliced = str(tmp_path / 'sliced')
    proc = _play(['-i', inventory, str(tmp_path / 'report_node.yml'), '-e', 'fleet_report_dir=%s' % sliced], cache=cache)
    assert proc.returncode == 0, proc.stdout[-4000:]

    single_hosts, single_report = _hosts(single)
    sliced_hosts, sliced_report = _hosts(sliced)
    assert sorted(single_hosts) == sorted(everyone)
    assert single_hosts[GHOST]['run']['status'] == 'unreachable'
    assert all(single_hosts[h]['run']['status'] == 'reported' for h in HOSTS)
    for name in everyone:
        assert sliced_hosts[name] == single_hosts[name], name
    assert sliced_report['totals'] == single_report['totals']
