# -*- coding: utf-8 -*-
"""Benchmark: the fleet report at 1k, 10k and 100k hosts, from postures recorded by real tls_facts runs.

    python tests/perf/bench_report.py                       # record (once), then 1000, 10000, 100000 hosts
    python tests/perf/bench_report.py --sizes 1000,10000    # other sizes
    python tests/perf/bench_report.py --rerecord            # record the postures again

Recording runs the real ``mailtls.remediation.tls_facts`` module on this machine through
``ansible-playbook`` several times with different inputs:

* as the machine is;
* with each candidate OpenSSL configuration of the unit-test data (legacy and hardened files);
* with only some parts gathered;
* when ``unshare`` works (root, or user namespaces): inside a private mount namespace with a passwd
  file and home directories holding the mail-client configurations of the unit-test data, so the
  posture has real client entries and pins. Nothing on the machine changes: the bind mounts vanish
  with the namespace.

The recorded postures go to ``build/perf/postures/`` (they hold this machine's paths, so they are
not kept in the repository). Each fleet size then runs in a fresh Python process that writes the
default report formats with history on, for hosts cycling through the recorded postures plus
derived variants (hardened, GnuTLS undetermined, unreachable, a change plan attached), each with
its own host name. It prints CPU time, wall time, peak RSS (``getrusage``) and the size of every
file. ``--tracemalloc`` adds the peak of Python allocations (slower).

This is a benchmark: it prints numbers and asserts nothing about time.
"""
from __future__ import absolute_import, division, print_function

import argparse
import copy
import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'tests'))
from harness.collection_root import COLLECTIONS_ROOT  # noqa: E402  pylint: disable=wrong-import-position

BUILD = os.path.join(REPO, 'build', 'perf')
RECORDED = os.path.join(BUILD, 'postures')
DATA = os.path.join(REPO, 'tests', 'unit', 'data')

RECORD_PLAY = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Gather the posture
      mailtls.remediation.tls_facts: "{{ facts_args | default({}) }}"
      register: facts
    - name: Keep it
      ansible.builtin.copy:
        content: "{{ facts.ansible_facts.mailtls_posture | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
'''

# (home-relative path, unit-test data file) per fake user: real client files the collection parses.
USERS = {
    'alice': [('.fetchmailrc', 'fetchmailrc'), ('.muttrc', 'muttrc'), ('.msmtprc', 'msmtprc')],
    'bob': [('.mbsyncrc', 'mbsyncrc'), ('.offlineimaprc', 'offlineimaprc'), ('.getmail/getmailrc', 'getmailrc')],
    'carol': [('.curlrc', 'curlrc'), ('.imapfilter/config.lua', 'imapfilter-config.lua'), ('.mbsyncrc', 'mbsyncrc-1.5')],
}


def _ansible_env(tmp):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_NOCOLOR='1',
               ANSIBLE_DEPRECATION_WARNINGS='False', ANSIBLE_LOCAL_TEMP=os.path.join(tmp, 'local'), ANSIBLE_REMOTE_TEMP=os.path.join(tmp, 'remote'))
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    return env


def _record_one(tmp, name, facts_args, wrapper=None):
    out = os.path.join(RECORDED, name + '.json')
    play = os.path.join(tmp, 'record.yml')
    with open(play, 'w') as handle:
        handle.write(RECORD_PLAY)
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=%s' % python, '-e', json.dumps({'out': out, 'facts_args': facts_args}), play]
    if wrapper:
        cmd = wrapper + cmd
    proc = subprocess.run(cmd, env=_ansible_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=600, check=False)
    if proc.returncode != 0 or not os.path.exists(out):
        print('  %s: not recorded (exit %d): %s' % (name, proc.returncode, proc.stdout[-600:].strip().replace('\n', ' | ')))
        return None
    print('  %s: %d bytes' % (name, os.path.getsize(out)))
    return out


def _namespace_wrapper(tmp):
    """A command prefix that runs inside a private mount namespace with fake users and their client files."""
    unshare = shutil.which('unshare')
    if not unshare:
        return None
    homes = os.path.join(tmp, 'home')
    passwd = os.path.join(tmp, 'passwd')
    with open('/etc/passwd') as handle:
        lines = handle.read().rstrip('\n').split('\n')
    uid = 20000
    for user, files in sorted(USERS.items()):
        uid += 1
        lines.append('%s:x:%d:%d:%s:/home/%s:/bin/sh' % (user, uid, uid, user, user))
        for rel, src in files:
            dst = os.path.join(homes, user, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(DATA, 'mail_clients', src), dst)
            os.chmod(dst, 0o600)
    with open(passwd, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    script = 'mount --bind "$1" /etc/passwd && mount --bind "$2" /home && shift 2 && exec "$@"'
    probe = subprocess.run([unshare, '-m', '--propagation', 'private', 'true'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if probe.returncode != 0:
        return None
    return [unshare, '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', passwd, homes]


def record():
    os.makedirs(RECORDED, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='record-', dir=BUILD)
    try:
        print('recording postures with tls_facts on this machine:')
        _record_one(tmp, 'machine', {})
        _record_one(tmp, 'machine-openssl-gnutls', {'gather': ['openssl', 'gnutls']})
        for conf in sorted(glob.glob(os.path.join(DATA, 'openssl', '*', 'etc', '**', 'openssl*.cnf'), recursive=True))[:6]:
            label = os.path.relpath(conf, os.path.join(DATA, 'openssl')).split(os.sep)[0]
            _record_one(tmp, 'openssl-' + label, {'openssl_conf': conf})
        wrapper = _namespace_wrapper(tmp)
        if wrapper:
            _record_one(tmp, 'clients-all', {}, wrapper)
            _record_one(tmp, 'clients-alice', {'users': ['alice']}, wrapper)
        else:
            print('  (no private mount namespace here: postures without fake users\' mail clients)')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_samples():
    samples = []
    for path in sorted(glob.glob(os.path.join(RECORDED, '*.json'))):
        with open(path) as handle:
            samples.append((os.path.basename(path)[:-5], json.load(handle)))
    return samples


PLAN = {
    'changes': [{'module': 'system_tls', 'kind': 'file', 'target': '/etc/ssl/openssl.cnf', 'action': 'modify',
                 'finding_ids': ['legacy_protocol_allowed'],
                 'diff': '--- /etc/ssl/openssl.cnf\n+++ /etc/ssl/openssl.cnf\n@@ -52,3 +52,3 @@\n [system_default_sect]\n'
                         '-MinProtocol = TLSv1\n+MinProtocol = TLSv1.2\n CipherString = DEFAULT@SECLEVEL=2\n'}],
    'guards': [{'id': 'rollback_record_writable', 'blocking': False, 'msg': 'the rollback record can be written'}],
    'restarts': [{'service': 'postfix', 'why': 'reads the OpenSSL configuration at start'}],
    'reboot': False,
    'verify': [{'what': 'openssl', 'how': 'TLS 1.2 handshake with tls_probe', 'endpoints': ['outlook.office365.com:993', 'smtp.office365.com:587']}],
}


def variants(samples):
    """The recorded postures plus variants derived with the real rules (so verdicts and findings stay consistent)."""
    sys.path.insert(0, COLLECTIONS_ROOT)
    from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture
    out = []
    for name, doc in samples:
        out.append((name, doc, None))
        hardened = copy.deepcopy(doc)
        for stack in hardened['stacks']:
            for proto in posture.LEGACY_PROTOCOLS:
                if proto in stack.get('protocols', {}):
                    stack['protocols'][proto] = posture.decision('refused', 'benchmark variant: minimum TLS 1.2')
        out.append((name + '+hardened', posture.evaluate(hardened), None))
        unknown = copy.deepcopy(doc)
        for stack in unknown['stacks']:
            if stack.get('kind') == 'gnutls':
                stack['protocols'] = dict((p, posture.decision('unknown', 'benchmark variant: not determined')) for p in posture.PROTOCOLS)
        out.append((name + '+gnutls-unknown', posture.evaluate(unknown), None))
        out.append((name + '+plan', doc, {'status': 'would_change', 'plan': PLAN}))
    return out


def fleet(n, pool):
    """Host names and a lazy variable source: host i cycles through the pool, with its own name and time."""
    names = ['mx%06d.example.net' % i for i in range(n)]
    index = dict((name, i) for i, name in enumerate(names))

    def get_vars(name):
        i = index[name]
        if i % 50 == 49:
            return {'tls_inventory_status': {'status': 'unreachable', 'msg': 'ssh: connect to host %s port 22: Connection timed out' % name}}
        _label, doc, rem = pool[i % len(pool)]
        entry = dict(doc)
        entry['host'] = dict(doc['host'], name=name)
        entry['gathered_at'] = '2026-12-02T%02d:%02d:%02dZ' % (i // 3600 % 24, i // 60 % 60, i % 60)
        hv = {'mailtls_posture': entry, 'tls_inventory_status': {'status': 'reported', 'msg': '', 'at': entry['gathered_at']}}
        if rem:
            hv['tls_remediation_result'] = rem
        return hv
    return names, get_vars


def one(n, dest, use_tracemalloc):
    sys.path.insert(0, COLLECTIONS_ROOT)
    from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import writer
    pool = variants(load_samples())
    names, get_vars = fleet(n, pool)
    # the cost of producing the input alone, to tell it apart from the report's
    t0 = time.process_time()
    for name in names:
        get_vars(name)
    source_cpu = time.process_time() - t0
    if use_tracemalloc:
        import tracemalloc
        tracemalloc.start()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.time()
    result = writer.write_report(dest, names, get_vars, keep_runs=2)
    wall = time.time() - w0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    traced = None
    if use_tracemalloc:
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    sizes = dict((os.path.basename(f), os.path.getsize(f)) for f in result['files'])
    sizes['outcomes.json'] = os.path.getsize(os.path.join(result['dir'], 'outcomes.json'))
    return {
        'hosts': n, 'samples': len(pool),
        'cpu_s': (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        'wall_s': wall, 'source_cpu_s': source_cpu,
        'peak_rss_mb': ru1.ru_maxrss / 1024.0,
        'traced_peak_mb': traced / 1048576.0 if traced is not None else None,
        'sizes': sizes,
        'posture_bytes_per_host': sizes.get('posture.json', 0) / float(n),
        'by_outcome': result['report']['totals']['by_outcome'],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--sizes', default='1000,10000,100000')
    parser.add_argument('--rerecord', action='store_true')
    parser.add_argument('--tracemalloc', action='store_true')
    parser.add_argument('--keep', action='store_true', help='keep the written reports under build/perf/report-<n>')
    parser.add_argument('--one', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--dest', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.dest, args.tracemalloc)))
        return 0
    os.makedirs(BUILD, exist_ok=True)
    if args.rerecord or not glob.glob(os.path.join(RECORDED, '*.json')):
        record()
    samples = load_samples()
    if not samples:
        print('no posture could be recorded')
        return 1
    sizes = ', '.join('%s %.1f KB' % (n, len(json.dumps(d, separators=(',', ':'))) / 1024.0) for n, d in samples)
    print('recorded postures: %d, %s' % (len(samples), sizes))
    columns = ('hosts', 'cpu s', 'wall s', 'cpu/10k', 'rss MB', 'traced MB', 'posture.json', 'index.html', 'B/host', 'outcomes')
    print('%8s %8s %8s %9s %10s %10s %12s %11s %11s %s' % columns)
    for n in [int(s) for s in args.sizes.split(',') if s]:
        dest = os.path.join(BUILD, 'report-%d' % n)
        shutil.rmtree(dest, ignore_errors=True)
        cmd = [sys.executable, os.path.abspath(__file__), '--one', str(n), '--dest', dest] + (['--tracemalloc'] if args.tracemalloc else [])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
        if proc.returncode != 0:
            print('%8d failed: %s' % (n, proc.stderr[-1500:]))
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print('%8d %8.2f %8.2f %9.2f %10.1f %10s %10.1f MB %8.1f MB %11.0f %s' % (
            n, r['cpu_s'], r['wall_s'], r['cpu_s'] * 10000.0 / n, r['peak_rss_mb'],
            '%.1f' % r['traced_peak_mb'] if r['traced_peak_mb'] is not None else '-',
            r['sizes'].get('posture.json', 0) / 1e6, r['sizes'].get('index.html', 0) / 1e6, r['posture_bytes_per_host'],
            ' '.join('%s=%d' % (k, v) for k, v in r['by_outcome'].items() if v)))
        print('%8s other files: %s; producing the input alone: %.2f s CPU' % (
            '', ', '.join('%s %.1f MB' % (k, v / 1e6) for k, v in sorted(r['sizes'].items()) if k not in ('posture.json', 'index.html')),
            r['source_cpu_s']))
        if not args.keep:
            shutil.rmtree(dest, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
