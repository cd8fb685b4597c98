"""Run the collection's modules for real through Ansible, on localhost.

Tests call ``run_module('tls_facts', {...})`` and get the module's JSON result
back, as Ansible produced it (AnsiballZ packaging, argument validation, check
and diff mode included).  The collection is found through the same throw-away
``ansible_collections`` root that ``tests/conftest.py`` builds.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'tests'))
from harness.collection_root import COLLECTIONS_ROOT  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
# Debian's own interpreter: it follows the system OpenSSL configuration, as
# the Python of a managed host does.
TARGET_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_ROOT,
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_PYTHON_INTERPRETER': TARGET_PYTHON,
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    env.update(extra or {})
    return env


class ModuleRun(object):
    def __init__(self, rc, status, result, output):
        self.rc = rc
        self.status = status
        self.result = result
        self.output = output

    @property
    def failed(self):
        return self.status in ('FAILED!', 'UNREACHABLE!') or bool(self.result.get('failed'))

    def __getitem__(self, key):
        return self.result[key]

    def get(self, key, default=None):
        return self.result.get(key, default)


def run_module(name, args=None, check=False, diff=False, env=None, timeout=300):
    """Run ``mailtls.remediation.<name>`` against localhost; returns a ModuleRun."""
    fqcn = name if '.' in name else 'mailtls.remediation.%s' % name
    cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-m', fqcn]
    if args:
        cmd.extend(['-a', json.dumps(args)])
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ansible_env(env), timeout=timeout,
                          check=False, cwd=REPO)
    out = proc.stdout.decode('utf-8', 'replace')
    marker = out.find(' => {')
    if marker < 0:
        raise AssertionError('no module result in the output of %s:\n%s\n%s' % (' '.join(cmd), out, proc.stderr.decode('utf-8', 'replace')))
    status = out[:marker].split('|')[-1].strip()
    result = json.JSONDecoder().raw_decode(out[marker + 4:])[0]
    return ModuleRun(proc.returncode, status, result, out)
