# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Metadata that must agree across files: Ansible minimum, dependency bounds, references."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re
import subprocess

import yaml

from harness.collection_root import REPO


def _load(*parts):
    with open(os.path.join(REPO, *parts)) as handle:
        return yaml.safe_load(handle)


def _requirements(*parts):
    with open(os.path.join(REPO, *parts)) as handle:
        return [line.split('#')[0].strip() for line in handle if line.split('#')[0].strip()]


def test_one_minimum_ansible_version_everywhere():
    runtime = re.match(r'>=\s*(\d+\.\d+)', _load('meta', 'runtime.yml')['requires_ansible']).group(1)
    roles = dict((os.path.basename(os.path.dirname(os.path.dirname(p))), str(_load(p)['galaxy_info']['min_ansible_version']))
                 for p in glob.glob(os.path.join(REPO, 'roles', '*', 'meta', 'main.yml')))
    assert len(roles) == 4 and set(roles.values()) == {runtime}, roles
    ee = _load('execution-environment.yml')['dependencies']['ansible_core']['package_pip']
    assert ee == 'ansible-core>=%s' % runtime
    tests = [r for r in _requirements('tests', 'requirements.txt') if r.startswith('ansible-core')]
    assert tests and tests[0].startswith('ansible-core>=%s' % runtime)


def test_controller_requirements_have_lower_bounds_and_agree():
    users = _requirements('requirements.txt')
    ee = _requirements('meta', 'ee-requirements.txt')
    assert sorted(users) == sorted(ee)
    for line in users:
        assert re.match(r'^[A-Za-z0-9_.-]+>=[0-9.]+$', line), 'no lower bound, or a pin/cap, in %r' % line
    assert 'tree-sitter>=0.22' in users
    assert not [r for r in users if r.startswith(('ansible', 'ansible-core'))]


def test_execution_environment_installs_the_built_tarball_not_galaxy():
    ee = _load('execution-environment.yml')
    names = [c['name'] for c in ee['dependencies']['galaxy']['collections']]
    assert 'mailtls.remediation' not in names
    built = [c for c in ee['dependencies']['galaxy']['collections'] if c.get('type') == 'file']
    assert [os.path.basename(c['name']) for c in built] == ['mailtls-remediation.tar.gz']
    copied = [f for f in ee['additional_build_files'] if f['src'].endswith('mailtls-remediation.tar.gz')]
    assert copied and os.path.join(copied[0]['dest'], 'mailtls-remediation.tar.gz') == built[0]['name']


def test_no_reference_to_files_that_are_not_in_the_repo():
    tracked = subprocess.run(['git', 'ls-files'], cwd=REPO, stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.split()
    if not tracked:  # not a git checkout (an unpacked tarball): nothing to compare with
        tracked = [os.path.relpath(os.path.join(d, f), REPO) for d, _dirs, files in os.walk(REPO) for f in files]
    names = set(os.path.basename(p) for p in tracked)
    offenders = []
    for path in tracked:
        if path.startswith(('plugins/', 'roles/', 'playbooks/')) and path.endswith(('.py', '.yml', '.ps1', '.psm1')):
            with open(os.path.join(REPO, path), errors='replace') as handle:
                for name in re.findall(r'\b([A-Z][A-Z_]+\.md)\b', handle.read()):
                    if name not in names:
                        offenders.append((path, name))
    assert offenders == []


def test_role_readmes_have_an_example():
    for readme in glob.glob(os.path.join(REPO, 'roles', '*', 'README.md')):
        with open(readme) as handle:
            text = handle.read()
        assert re.search(r'^## Example', text, re.M) and '```yaml' in text, readme
        role = os.path.basename(os.path.dirname(readme))
        assert 'mailtls.remediation.%s' % role in text, readme
