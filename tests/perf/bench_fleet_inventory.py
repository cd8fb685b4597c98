# -*- coding: utf-8 -*-
"""Benchmark: inventory a simulated fleet with the collection vs the usual one-task-per-file way.

Not a test (it never asserts times).  Run it from the checkout:

    .venv/bin/python tests/perf/bench_fleet_inventory.py [--hosts 200] [--forks 10] [--keep DIR]

The fleet is N inventory aliases of this machine with the local connection, so
every host really runs its modules (a Python process per module call).

* ``collection``: ``mailtls.remediation.inventory`` (tls_inventory role: one
  ``tls_facts`` call per host, then one fleet report for all hosts).
* ``baseline``: a generated playbook that gathers the same raw data the usual
  way: one ``ansible.builtin.stat`` and one ``ansible.builtin.slurp`` task per
  configuration file (the files the posture of this machine cites, plus the
  usual OpenSSL, crypto-policies, GnuTLS and per-user mail client files), and one
  ``ansible.builtin.command`` task per command (OpenSSL and GnuTLS versions).
  It does not even interpret the data or write a report.

Module round trips are counted by a small callback written into the work
directory: every task result on a managed host whose action runs a module there
(not skipped, not ``set_fact``/``include_role``/argument validation, which run
on the controller).
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
CONTROLLER_ACTIONS = {'ansible.builtin.set_fact', 'set_fact', 'ansible.builtin.include_role', 'include_role', 'ansible.builtin.debug',
                      'ansible.builtin.validate_argument_spec', 'validate_argument_spec', 'mailtls.remediation.fleet_report',
                      'ansible.builtin.assert', 'ansible.builtin.fail', 'meta'}

USUAL_FILES = [
    '/etc/ssl/openssl.cnf', '/usr/lib/ssl/openssl.cnf', '/etc/pki/tls/openssl.cnf',
    '/etc/crypto-policies/config', '/etc/crypto-policies/state/current', '/etc/crypto-policies/back-ends/opensslcnf.config',
    '/etc/crypto-policies/back-ends/gnutls.config', '/etc/gnutls/config', '/etc/gnutls/default-priorities',
]
USER_FILES = ['.fetchmailrc', '.muttrc', '.mutt/muttrc', '.mbsyncrc', '.msmtprc', '.offlineimaprc', '.getmail/getmailrc', '.imapfilter/config.lua']
COMMANDS = [['openssl', 'version', '-a'], ['gnutls-cli', '--version']]


sys.path.insert(0, os.path.join(REPO, 'tests'))
from harness.collection_root import collection_root as collections_root  # noqa: E402  pylint: disable=wrong-import-position


COUNTER = """
import json, os
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'mailtls_bench_counter'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.counts = {}

    def _count(self, result):
        action = result._task.action
        if action in %r or result._result.get('skipped'):
            return
        name = result._host.get_name()
        self.counts[name] = self.counts.get(name, 0) + 1

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_unreachable = _count

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['MAILTLS_BENCH_COUNTS'], 'w') as handle:
            json.dump(self.counts, handle)
"""


def env_for(workdir, counts):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_root(), ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_NOCOLOR='1',
               ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'tmp'), ANSIBLE_CALLBACK_PLUGINS=os.path.join(workdir, 'callbacks'),
               ANSIBLE_CALLBACKS_ENABLED='mailtls_bench_counter', MAILTLS_BENCH_COUNTS=counts)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    return env


def run(workdir, label, args):
    """Run ansible-playbook; returns (wall seconds, {host: module round trips})."""
    counts = os.path.join(workdir, 'counts-%s.json' % label)
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook')] + args, cwd=workdir, env=env_for(workdir, counts),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:])
        raise SystemExit('ansible-playbook failed (%d): %s' % (proc.returncode, ' '.join(args)))
    with open(counts) as handle:
        return wall, json.load(handle)


def baseline_paths(sample_report):
    """The files the collection's posture cites for this machine, plus the usual suspects."""
    paths = list(USUAL_FILES)
    homes = ['/root'] + [os.path.join('/home', d) for d in sorted(os.listdir('/home'))] if os.path.isdir('/home') else ['/root']
    for home in homes:
        paths.extend(os.path.join(home, f) for f in USER_FILES)
    if sample_report and os.path.exists(sample_report):
        with open(sample_report) as handle:
            data = json.load(handle)
        for doc in data['hosts']:
            for stack in doc.get('stacks') or []:
                paths.extend(s['path'] for s in stack.get('sources') or [])
            paths.extend(c['path'] for c in doc.get('clients') or [])
            break
    seen = []
    for path in paths:
        if path not in seen:
            seen.append(path)
    return seen


def write_baseline(path, files):
    tasks = []
    for i, item in enumerate(files):
        tasks.append({'name': 'Stat %s' % item, 'ansible.builtin.stat': {'path': item, 'get_checksum': False}, 'register': 'st_%d' % i})
        tasks.append({'name': 'Read %s' % item, 'ansible.builtin.slurp': {'src': item}, 'register': 'rd_%d' % i,
                      'when': 'st_%d.stat.exists and st_%d.stat.isreg' % (i, i)})
    for i, cmd in enumerate(COMMANDS):
        tasks.append({'name': 'Run %s' % ' '.join(cmd), 'ansible.builtin.command': {'argv': cmd}, 'register': 'cmd_%d' % i,
                      'changed_when': False, 'failed_when': False, 'check_mode': False})
    play = [{'name': 'Baseline: one task per file or command', 'hosts': 'fleet', 'gather_facts': False, 'tasks': tasks}]
    with open(path, 'w') as handle:
        json.dump(play, handle, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--hosts', type=int, default=200)
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--keep', help='keep the work directory (inventory, playbooks, report) here')
    opts = parser.parse_args()

    workdir = opts.keep or tempfile.mkdtemp(prefix='mailtls-bench-')
    os.makedirs(os.path.join(workdir, 'tmp'), exist_ok=True)
    os.makedirs(os.path.join(workdir, 'callbacks'), exist_ok=True)
    with open(os.path.join(workdir, 'callbacks', 'mailtls_bench_counter.py'), 'w') as handle:
        handle.write(COUNTER % (sorted(CONTROLLER_ACTIONS),))
    inventory = os.path.join(workdir, 'hosts.ini')
    with open(inventory, 'w') as handle:
        handle.write('[fleet]\n')
        for i in range(opts.hosts):
            handle.write('sim-%04d ansible_connection=local ansible_python_interpreter=%s\n' % (i, sys.executable))
    report = os.path.join(workdir, 'report')

    wall_c, trips_c = run(workdir, 'collection', ['-i', inventory, '-f', str(opts.forks), 'mailtls.remediation.inventory',
                                                  '-e', 'fleet_report_dir=%s' % report])
    files = baseline_paths(os.path.join(report, 'posture.json'))
    baseline = os.path.join(workdir, 'baseline.yml')
    write_baseline(baseline, files)
    wall_b, trips_b = run(workdir, 'baseline', ['-i', inventory, '-f', str(opts.forks), baseline])

    def per_host(trips):
        return sum(trips.values()) / float(max(1, len(trips)))

    out = {
        'hosts': opts.hosts,
        'forks': opts.forks,
        'cpus': os.cpu_count(),
        'baseline_files': len(files),
        'baseline_files_present': sum(1 for f in files if os.path.isfile(f)),
        'collection': {'wall_s': round(wall_c, 1), 'round_trips_per_host': round(per_host(trips_c), 2), 'hosts_seen': len(trips_c)},
        'baseline': {'wall_s': round(wall_b, 1), 'round_trips_per_host': round(per_host(trips_b), 2), 'hosts_seen': len(trips_b)},
    }
    out['ratio_wall'] = round(wall_b / wall_c, 2) if wall_c else None
    out['ratio_round_trips'] = round(per_host(trips_b) / per_host(trips_c), 2) if trips_c else None
    print(json.dumps(out, indent=1))
    print('baseline / collection: %.2fx wall time, %.2fx module round trips per host (%d hosts, %d forks)'
          % (out['ratio_wall'] or 0, out['ratio_round_trips'] or 0, opts.hosts, opts.forks))
    if not opts.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
