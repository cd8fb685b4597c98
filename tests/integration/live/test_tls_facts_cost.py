# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One real tls_facts call on this machine: the processes it starts and the size of its posture."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys

from ansible_collections.mailtls.remediation.plugins.module_utils import _clients as cl
from harness.ansible import TARGET_PYTHON, ansible_env

BIN = os.path.dirname(sys.executable)
# A typical host's posture: evidence kept, repetition not.
MAX_POSTURE_BYTES = 20 * 1024


def _client_binaries():
    """(client, its program names), from the collection's own registry."""
    return [(d.name, tuple(d.binaries)) for d in cl.DESCRIPTORS]


def _processes(trace):
    """{pid, path, argv text} of every successful exec in an ``strace -f`` log, and child pid -> parent pid.

    strace splits a call that another process interrupts into ``<unfinished ...>`` and ``<... resumed>``.
    """
    started, parent, pending = [], {}, {}
    with open(trace) as handle:
        for line in handle:
            fields = line.strip().split(None, 1)
            if len(fields) != 2 or not fields[0].isdigit():
                continue
            pid, call = int(fields[0]), fields[1].strip()
            fork = re.match(r'(?:<\.\.\. )?(?:clone3?|v?fork)\b.*=\s*(\d+)$', call)
            if fork:
                parent[int(fork.group(1))] = pid
                continue
            match = re.match(r'execve\("([^"]+)", \[(.*?)\]', call)
            if match:
                pending[pid] = (match.group(1), match.group(2))
            if (match or call.startswith('<... execve resumed>')) and call.endswith('= 0') and pid in pending:
                path, argv = pending.pop(pid)
                started.append({'pid': pid, 'path': path, 'argv': argv})
    return started, parent


def test_tls_facts_starts_no_second_python_and_stays_small(tmp_path):
    strace = shutil.which('strace')
    assert strace, 'strace is not installed (hack/bootstrap.sh installs it)'
    trace = str(tmp_path / 'trace')
    proc = subprocess.run([strace, '-f', '-qq', '-s', '256', '-e', 'trace=execve,clone,clone3,fork,vfork', '-e', 'signal=none', '-o', trace,
                           os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-o',
                           '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON, '-m', 'mailtls.remediation.tls_facts'],
                          env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index('=> {') + 3:])[0]
    posture = result['ansible_facts']['mailtls_posture']
    started, parent = _processes(trace)
    execs = [p['path'] for p in started]
    # What the module itself started: the descendants of the interpreter that ran it.
    module_pids = set(p['pid'] for p in started if 'AnsiballZ_tls_facts' in p['argv'] and os.path.basename(p['path']).startswith('python'))
    assert module_pids, started

    def in_module(pid):
        while pid is not None:
            if pid in module_pids:
                return True
            pid = parent.get(pid)
        return False
    children = [p for p in started if in_module(p['pid']) and p['pid'] not in module_pids]
    commands = [p['argv'] for p in children]
    assert commands, 'the module started no command: the trace does not follow its children'
    # A command that only describes a build is asked once, even where the posture and the plan both need it.
    repeated = sorted(set(argv for argv in commands if commands.count(argv) > 1 and 'ld-linux' not in argv))
    assert repeated == [], repeated
    # A mail client program is asked about itself only when a configuration of it was found.
    clients = set(c['client'] for c in posture.get('clients', []))
    client_programs = set(b for name, binaries in _client_binaries() for b in binaries)
    asked = set(os.path.basename(p['path']) for p in children if os.path.basename(p['path']) in client_programs)
    asked_for = set(name for name, binaries in _client_binaries() if asked & set(binaries))
    # Postfix is read as a whole instance (main.cf and master.cf): its version decides its defaults.
    assert asked_for <= clients | {'postfix'}, (asked_for, clients)
    pythons = [e for e in execs if os.path.basename(e).startswith('python')]
    # ansible itself, then the module's interpreter: nothing else runs Python.
    assert len([p for p in pythons if os.path.realpath(p) == os.path.realpath(TARGET_PYTHON)]) == 1, pythons
    size = len(json.dumps(posture, separators=(',', ':')))
    assert size <= MAX_POSTURE_BYTES, 'posture of this machine is %d bytes' % size


def _tls_facts(env_extra):
    proc = subprocess.run([os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-o',
                           '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON, '-m', 'mailtls.remediation.tls_facts'],
                          env=ansible_env(env_extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    posture = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index('=> {') + 3:])[0]['ansible_facts']['mailtls_posture']
    # what differs between two calls by nature: when, and how long
    for key in ('gathered_at', 'duration_ms'):
        posture.pop(key, None)
    return posture


def test_the_kept_bytecode_changes_nothing_but_the_start(tmp_path):
    """A real tls_facts run through Ansible keeps the compiled module_utils, and a run from them says what an uncached run says."""
    cache = tmp_path / 'bytecode'
    cache.mkdir(mode=0o700)
    first = _tls_facts({'MAILTLS_BYTECODE_CACHE': str(cache)})
    (folder,) = os.listdir(str(cache))
    kept = set(os.listdir(str(cache / folder)))
    # one entry per module_utils file the module imports (the posture, the gatherers, every client descriptor, ...)
    assert len(kept) >= 20, kept
    again = _tls_facts({'MAILTLS_BYTECODE_CACHE': str(cache)})
    assert set(os.listdir(str(cache / folder))) == kept, 'a second run compiled again instead of reading what the first kept'
    uncached = _tls_facts({'MAILTLS_BYTECODE_CACHE': 'off'})
    assert first == again == uncached
