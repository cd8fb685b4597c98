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

from harness.ansible import TARGET_PYTHON, ansible_env

BIN = os.path.dirname(sys.executable)
# A typical host's posture: evidence kept, repetition not.
MAX_POSTURE_BYTES = 20 * 1024


def test_tls_facts_starts_no_second_python_and_stays_small(tmp_path):
    strace = shutil.which('strace')
    assert strace, 'strace is not installed (hack/bootstrap.sh installs it)'
    trace = str(tmp_path / 'trace')
    proc = subprocess.run([strace, '-f', '-qq', '-s', '256', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace,
                           os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-o',
                           '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON, '-m', 'mailtls.remediation.tls_facts'],
                          env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index('=> {') + 3:])[0]
    posture = result['ansible_facts']['mailtls_posture']
    with open(trace) as handle:
        execs = [m.group(1) for m in (re.search(r'execve\("([^"]+)", \[(.*?)\]', line) for line in handle
                                      if line.rstrip().endswith('= 0')) if m]
    pythons = [e for e in execs if os.path.basename(e).startswith('python')]
    # ansible itself, then the module's interpreter: nothing else runs Python.
    assert len([p for p in pythons if os.path.realpath(p) == os.path.realpath(TARGET_PYTHON)]) == 1, pythons
    size = len(json.dumps(posture, separators=(',', ':')))
    assert size <= MAX_POSTURE_BYTES, 'posture of this machine is %d bytes' % size
