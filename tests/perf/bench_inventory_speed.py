# -*- coding: utf-8 -*-
"""Benchmark: how close the inventory gets to Ansible's own floor.

Not a test (it never asserts times).  Run it from the checkout, after ``make collection``:

    .venv/bin/python tests/perf/bench_inventory_speed.py [--sizes 20,50,100] [--reps 3] [--forks 10]

The fleet is N inventory aliases of this machine with ``ansible_connection=local``,
so every host really runs its modules.  Five plays run in one alternating series
(ping, bare, cold, playbook, naive, ping, bare, ...), so a load change on the machine hits
all of them alike and the ratios stay comparable:

* ``ping``: one ``ansible.builtin.ping`` task, Ansible's floor for one module per host;
* ``bare``: one ``mailtls.remediation.tls_facts`` task, its module_utils bytecode cached on
  the host from an earlier run (the steady state of a fleet inventoried again and again);
* ``cold``: the same with the bytecode cache off (``MAILTLS_BYTECODE_CACHE=off``), as the
  first run on a host, or a host where the cache cannot be kept;
* ``playbook``: ``mailtls.remediation.inventory`` (tls_inventory role, then one fleet report);
* ``naive``: one ``stat`` and one ``slurp`` task per configuration file and one
  ``command`` per version check (the generator of ``bench_fleet_inventory.py``); it is
  slow, so by default it runs at the smallest size only (``--naive-sizes``).

It prints, per size, the median wall time of each play, the ratios bare/ping, cold/ping,
playbook/bare and naive/playbook, and the per-host marginal cost of each play (the slope
of wall time over the number of hosts).  Then where the time goes: per task of the
playbook (a profile callback: wall time from the task's first start to its last result,
and the host-seconds it consumed), and inside the module: the module process alone
(ping, tls_facts with its bytecode kept, tls_facts with nothing kept), every subprocess one
``tls_facts`` call starts, with its duration, from ``strace``, ``duration_ms`` and the size
of the result.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(REPO, 'tests'))
sys.path.insert(0, HERE)
from harness.collection_root import collection_root as collections_root  # noqa: E402  pylint: disable=wrong-import-position
import bench_fleet_inventory as naive_gen  # noqa: E402  pylint: disable=wrong-import-position

TARGET_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
KINDS = ('ping', 'bare', 'cold', 'playbook', 'naive')

PROFILE = """
import json, os, time
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'mailtls_bench_profile'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = {}
        self.order = []
        self.started = {}

    def _task(self, task):
        key = task._uuid
        if key not in self.tasks:
            self.tasks[key] = {'name': task.get_name(), 'action': task.action, 'first': time.time(), 'last': time.time(),
                               'host_seconds': 0.0, 'results': 0}
            self.order.append(key)
        return self.tasks[key]

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task(task)

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def v2_runner_on_start(self, host, task):
        self._task(task)
        self.started[(host.get_name(), task._uuid)] = time.time()

    def _done(self, result, *args, **kwargs):
        entry = self._task(result._task)
        now = time.time()
        entry['last'] = now
        entry['results'] += 1
        began = self.started.pop((result._host.get_name(), result._task._uuid), None)
        if began is not None:
            entry['host_seconds'] += now - began

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _done

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['MAILTLS_BENCH_PROFILE'], 'w') as handle:
            json.dump([self.tasks[k] for k in self.order], handle)
"""


def env_for(workdir, profile=None, cache=True):
    # the modules inherit this environment (local connection): their bytecode cache lives in the work directory
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_root(), ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_NOCOLOR='1',
               ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_HOST_KEY_CHECKING='False',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='False', ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'tmp'),
               MAILTLS_BYTECODE_CACHE=os.path.join(workdir, 'bytecode') if cache else 'off')
    if profile:
        env.update(ANSIBLE_CALLBACK_PLUGINS=os.path.join(workdir, 'callbacks'), ANSIBLE_CALLBACKS_ENABLED='mailtls_bench_profile',
                   MAILTLS_BENCH_PROFILE=profile)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    return env


def play(workdir, args, profile=None, cache=True):
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook')] + args, cwd=workdir, env=env_for(workdir, profile, cache),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:])
        raise SystemExit('ansible-playbook failed (%d): %s' % (proc.returncode, ' '.join(args)))
    return wall


def write_inventory(path, hosts):
    with open(path, 'w') as handle:
        handle.write('[fleet]\n')
        for i in range(hosts):
            handle.write('sim-%04d ansible_connection=local ansible_python_interpreter=%s\n' % (i, TARGET_PYTHON))


def one_task_play(path, name, action, args=None):
    with open(path, 'w') as handle:
        json.dump([{'name': name, 'hosts': 'fleet', 'gather_facts': False,
                    'tasks': [{'name': name, action: args or {}}]}], handle, indent=1)


def slope(points):
    """Least-squares seconds per host from [(hosts, seconds)]."""
    if len(points) < 2:
        return None
    mean_x = statistics.mean(p[0] for p in points)
    mean_y = statistics.mean(p[1] for p in points)
    den = sum((p[0] - mean_x) ** 2 for p in points)
    return sum((p[0] - mean_x) * (p[1] - mean_y) for p in points) / den if den else None


def module_subprocesses(workdir):
    """Run one tls_facts call under strace; returns (subprocesses, duration_ms, result bytes)."""
    strace = shutil.which('strace')
    trace = os.path.join(workdir, 'strace.txt')
    cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-e',
           'ansible_python_interpreter=%s' % TARGET_PYTHON, '-m', 'mailtls.remediation.tls_facts', '-o']
    if strace:
        cmd = [strace, '-f', '-qq', '-ttt', '-e', 'trace=execve,exit_group', '-e', 'signal=none', '-s', '256', '-o', trace] + cmd
    proc = subprocess.run(cmd, cwd=workdir, env=env_for(workdir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    out = proc.stdout
    marker = out.find('=> {')
    result = json.JSONDecoder().raw_decode(out[marker + 3:])[0] if marker >= 0 else {}
    posture = (result.get('ansible_facts') or {}).get('mailtls_posture') or {}
    size = len(json.dumps(posture, separators=(',', ':')))
    if not strace:
        return None, result.get('duration_ms'), size
    started, ended, argv = {}, {}, {}
    with open(trace) as handle:
        lines = handle.readlines()
    for line in lines:
        match = re.match(r'(\d+)\s+([\d.]+)\s+(execve|exit_group)\((.*)', line)
        if not match:
            continue
        pid, stamp, call, rest = match.groups()
        if call == 'execve' and line.rstrip().endswith('= 0'):
            started.setdefault(pid, float(stamp))
            argv[pid] = rest.split('[', 1)[1].split(']', 1)[0] if '[' in rest else rest
        elif call == 'exit_group':
            ended[pid] = float(stamp)
    # The module's own interpreter runs the AnsiballZ payload; what it starts comes after it.
    module = [p for p in started if 'AnsiballZ_tls_facts' in argv[p] and TARGET_PYTHON in argv[p].split(',')[0]]
    if not module:
        return [], result.get('duration_ms'), size
    begin, end = started[module[0]], ended.get(module[0], max(ended.values()))
    children = []
    for pid in sorted(started, key=lambda p: started[p]):
        if pid != module[0] and begin < started[pid] < end:
            children.append((argv[pid][:100], round((ended.get(pid, started[pid]) - started[pid]) * 1000, 1)))
    return children, result.get('duration_ms'), size


def _keep_payload(workdir, module):
    """Run one module through Ansible with its AnsiballZ file kept; return that file's path."""
    remote = os.path.join(workdir, 'remote-%s' % module.rsplit('.', 1)[-1])
    os.makedirs(remote, exist_ok=True)
    env = env_for(workdir)
    env.update(ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote)
    subprocess.run([os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-e',
                    'ansible_python_interpreter=%s' % TARGET_PYTHON, '-m', module], cwd=workdir, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for root, _dirs, files in os.walk(remote):
        for name in files:
            if name.startswith('AnsiballZ_'):
                return os.path.join(root, name)
    raise SystemExit('no AnsiballZ file was kept for %s' % module)


def module_startup(workdir, runs=11):
    """The module processes alone, without Ansible around them: median wall and CPU time of each."""
    payloads = {'ping': _keep_payload(workdir, 'ansible.builtin.ping'), 'tls_facts': _keep_payload(workdir, 'mailtls.remediation.tls_facts')}
    cases = (('ping', 'ping', None), ('tls_facts, bytecode kept', 'tls_facts', os.path.join(workdir, 'bytecode')),
             ('tls_facts, nothing kept', 'tls_facts', 'off'))
    out = {}
    for label, kind, cache in cases:
        env = dict(os.environ)
        if cache:
            env['MAILTLS_BYTECODE_CACHE'] = cache
        walls, cpus = [], []
        for _run in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            subprocess.run([TARGET_PYTHON, payloads[kind]], env=env, stdout=subprocess.DEVNULL, check=True)
            walls.append(time.monotonic() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        out[label] = {'wall_ms': round(statistics.median(walls) * 1000, 1), 'cpu_ms': round(statistics.median(cpus) * 1000, 1)}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--sizes', default='20,50,100')
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--naive-sizes', default=None, help='sizes at which the naive baseline runs (default: the smallest; 0: never)')
    parser.add_argument('--keep', help='keep the work directory here')
    parser.add_argument('--json', help='also write the numbers to this file')
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(',')]
    naive_sizes = [int(s) for s in opts.naive_sizes.split(',')] if opts.naive_sizes is not None else [min(sizes)]

    workdir = os.path.abspath(opts.keep or tempfile.mkdtemp(prefix='mailtls-speed-'))
    for sub in ('tmp', 'callbacks', 'reports'):
        os.makedirs(os.path.join(workdir, sub), exist_ok=True)
    os.makedirs(os.path.join(workdir, 'bytecode'), mode=0o700, exist_ok=True)
    with open(os.path.join(workdir, 'callbacks', 'mailtls_bench_profile.py'), 'w') as handle:
        handle.write(PROFILE)
    one_task_play(os.path.join(workdir, 'ping.yml'), 'Ping', 'ansible.builtin.ping')
    one_task_play(os.path.join(workdir, 'bare.yml'), 'Gather the posture', 'mailtls.remediation.tls_facts')

    write_inventory(os.path.join(workdir, 'one.ini'), 1)
    report = os.path.join(workdir, 'reports', 'sample')
    play(workdir, ['-i', 'one.ini', 'mailtls.remediation.inventory', '-e', 'fleet_report_dir=%s' % report])
    naive_gen.write_baseline(os.path.join(workdir, 'naive.yml'), naive_gen.baseline_paths(os.path.join(report, 'posture.json')))

    walls = dict((kind, dict((n, []) for n in sizes)) for kind in KINDS)
    for size in sizes:
        write_inventory(os.path.join(workdir, 'fleet-%d.ini' % size), size)
    for rep in range(opts.reps):
        for size in sizes:
            inv = 'fleet-%d.ini' % size
            base = ['-i', inv, '-f', str(opts.forks)]
            for kind in KINDS:
                if kind == 'naive' and (size not in naive_sizes or rep > 0):
                    continue
                if kind == 'playbook':
                    args = base + ['mailtls.remediation.inventory', '-e', 'fleet_report_dir=%s' % os.path.join(workdir, 'reports', str(size))]
                else:
                    args = base + ['bare.yml' if kind == 'cold' else '%s.yml' % kind]
                walls[kind][size].append(play(workdir, args, cache=kind != 'cold'))
                sys.stderr.write('rep %d, %d hosts, %s: %.2f s\n' % (rep + 1, size, kind, walls[kind][size][-1]))

    med = dict((kind, dict((n, statistics.median(v)) for n, v in walls[kind].items() if v)) for kind in KINDS)
    out = {'sizes': sizes, 'reps': opts.reps, 'forks': opts.forks, 'cpus': os.cpu_count(), 'median_wall_s': med, 'ratios': {},
           'marginal_s_per_host': {}}
    print('%6s %8s %8s %8s %9s %8s   %9s %9s %13s %14s' % (
        'hosts', 'ping', 'bare', 'cold', 'playbook', 'naive', 'bare/ping', 'cold/ping', 'playbook/bare', 'naive/playbook'))
    for size in sizes:
        row = dict((k, med[k].get(size)) for k in KINDS)
        ratios = {'bare/ping': row['bare'] / row['ping'], 'cold/ping': row['cold'] / row['ping'],
                  'playbook/bare': row['playbook'] / row['bare'],
                  'naive/playbook': row['naive'] / row['playbook'] if row['naive'] else None}
        out['ratios'][size] = ratios
        print('%6d %7.2fs %7.2fs %7.2fs %8.2fs %8s   %8.2fx %8.2fx %12.2fx %14s' % (
            size, row['ping'], row['bare'], row['cold'], row['playbook'], '%.2fs' % row['naive'] if row['naive'] else '-',
            ratios['bare/ping'], ratios['cold/ping'], ratios['playbook/bare'],
            '%.2fx' % ratios['naive/playbook'] if ratios['naive/playbook'] else '-'))
    for kind in KINDS:
        value = slope(sorted(med[kind].items()))
        out['marginal_s_per_host'][kind] = value
    print('per-host marginal cost (slope over %s hosts): %s' % (
        '/'.join(str(s) for s in sizes),
        ', '.join('%s %.0f ms' % (k, v * 1000) for k, v in out['marginal_s_per_host'].items() if v is not None)))

    # Where the time goes, per task of the playbook at the largest size.
    profile = os.path.join(workdir, 'profile.json')
    size = max(sizes)
    play(workdir, ['-i', 'fleet-%d.ini' % size, '-f', str(opts.forks), 'mailtls.remediation.inventory',
                   '-e', 'fleet_report_dir=%s' % os.path.join(workdir, 'reports', 'profile')], profile=profile)
    with open(profile) as handle:
        tasks = json.load(handle)
    out['playbook_tasks'] = tasks
    print('\nplaybook tasks at %d hosts (wall: first start to last result; host-s: summed over hosts):' % size)
    for task in tasks:
        print('  %7.2f s wall %8.2f host-s %4d results  %s (%s)' % (
            task['last'] - task['first'], task['host_seconds'], task['results'], task['name'], task['action']))

    startup = module_startup(workdir)
    out['module_alone'] = startup
    print('\nthe module process alone (its AnsiballZ file run by %s, median of 11; CPU includes the commands it starts):' % TARGET_PYTHON)
    for label, row in startup.items():
        print('  %8.1f ms wall %8.1f ms CPU  %s' % (row['wall_ms'], row['cpu_ms'], label))

    children, duration, size_bytes = module_subprocesses(workdir)
    out['module'] = {'duration_ms': duration, 'posture_bytes': size_bytes, 'subprocesses': children}
    print('\ntls_facts on this machine: duration_ms %s, posture %d bytes (compact JSON)' % (duration, size_bytes))
    if children is None:
        print('  (strace is not installed: subprocesses not traced)')
    else:
        print('  %d subprocesses (times include strace overhead):' % len(children))
        for name, ms in children:
            print('  %8.1f ms  %s' % (ms, name))
    if opts.json:
        with open(opts.json, 'w') as handle:
            json.dump(out, handle, indent=1, default=str)
    if not opts.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
