# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user gets: the tarball, its changelog, the execution environment built from it,
and a Linux-only controller without ansible.windows."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from harness.ansible import TARGET_PYTHON, ansible_env
from harness.collection_root import COLLECTIONS_ROOT, REPO

BIN = os.path.dirname(sys.executable)


def _run(cmd, cwd=None, env=None, timeout=300):
    env = dict(env or os.environ)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    proc = _run(['bash', os.path.join(REPO, 'hack', 'dist.sh'), REPO, str(out)])
    assert proc.returncode == 0, proc.stdout
    with open(os.path.join(REPO, 'galaxy.yml')) as handle:
        version = yaml.safe_load(handle)['version']
    tarball = out / ('mailtls-remediation-%s.tar.gz' % version)
    assert tarball.exists() and (out / 'mailtls-remediation.tar.gz').exists()
    return tarball, version


def _plain(text):
    """Changelog text without RST/Markdown escapes and line breaks, for comparing with fragments."""
    text = re.sub(r'</?code>', '', text)
    return re.sub(r'\s+', ' ', text.replace('\\', '').replace('``', '').replace('`', ''))


def test_tarball_carries_a_changelog_generated_from_the_fragments(dist):
    tarball, version = dist
    with tarfile.open(str(tarball)) as tar:
        names = tar.getnames()
        rst = tar.extractfile('CHANGELOG.rst').read().decode('utf-8')
        md = tar.extractfile('CHANGELOG.md').read().decode('utf-8')
        manifest = json.load(tar.extractfile('MANIFEST.json'))
    assert manifest['collection_info']['name'] == 'remediation' and manifest['collection_info']['version'] == version
    assert 'v%s' % version in rst and 'v%s' % version.replace('.', '\\.') in md
    with open(os.path.join(REPO, 'changelogs', 'config.yaml')) as handle:
        config = yaml.safe_load(handle)
    shown = set(s[0] for s in config['sections']) | {config['prelude_section_name']}
    entries = []
    for path in glob.glob(os.path.join(REPO, 'changelogs', 'fragments', '*.y*ml')):
        with open(path) as handle:
            fragment = yaml.safe_load(handle) or {}
        for section, items in fragment.items():
            if section in shown:
                entries.extend([items] if isinstance(items, str) else items)
    assert entries, 'no changelog fragment with a user-visible entry'
    for entry in entries:
        # Each entry, as written in its fragment, is in both files (compared without markup escapes).
        assert _plain(entry)[:60] in _plain(rst), entry
        assert _plain(entry)[:60] in _plain(md), entry
    # New modules are listed from the plugins themselves.
    assert 'mailtls.remediation.tls_facts' in rst
    # Build tooling and scratch files stay out of the tarball.
    assert not [n for n in names if n.split('/')[0] in ('hack', 'build', '.ci', 'mailtls-report') or '.plugin-cache' in n
                or n.startswith('tests/output')]


def test_execution_environment_context_contains_the_collection(dist, tmp_path):
    tarball, version = dist
    # The EE definition, as shipped, next to a tarball where its relative path expects one.
    shutil.copy(os.path.join(REPO, 'execution-environment.yml'), str(tmp_path))
    (tmp_path / 'build' / 'dist').mkdir(parents=True)
    shutil.copy(str(tarball), str(tmp_path / 'build' / 'dist' / 'mailtls-remediation.tar.gz'))
    proc = _run(['ansible-builder', 'create', '-f', 'execution-environment.yml', '-c', 'context'], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout
    context = tmp_path / 'context'
    build = context / '_build'
    copied = build / 'collections' / 'mailtls-remediation.tar.gz'
    assert copied.read_bytes() == tarball.read_bytes()
    galaxy = yaml.safe_load((build / 'requirements.yml').read_text())
    assert galaxy['collections'] == [{'name': 'collections/mailtls-remediation.tar.gz', 'type': 'file'}]
    containerfile = next(p for p in (context / 'Containerfile', context / 'Dockerfile') if p.exists()).read_text()
    assert 'COPY _build /build' in containerfile and 'WORKDIR /build' in containerfile
    assert re.search(r'ansible-galaxy collection install .*-r requirements\.yml', containerfile)

    # The image's install step, run here from the same directory: it needs no Galaxy for this collection.
    # The image starts with no collection installed, so only the target path counts: a copy of the
    # collection on this controller's collections path would make ansible-galaxy install nothing.
    installed = tmp_path / 'installed'
    image_env = dict(os.environ, ANSIBLE_GALAXY_DISABLE_GPG_VERIFY='1', ANSIBLE_COLLECTIONS_PATH=str(installed),
                     ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    proc = _run(['ansible-galaxy', 'collection', 'install', '--no-deps', '-r', 'requirements.yml', '-p', str(installed)],
                cwd=str(build), env=image_env)
    assert proc.returncode == 0, proc.stdout
    with open(str(installed / 'ansible_collections' / 'mailtls' / 'remediation' / 'MANIFEST.json')) as handle:
        assert json.load(handle)['collection_info']['version'] == version
    # What the image's introspect step then finds in the installed collection.
    proc = _run(['ansible-builder', 'introspect', '--sanitize', str(installed)])
    assert proc.returncode == 0, proc.stdout
    python = [line.split('#')[0].strip() for line in yaml.safe_load(proc.stdout.split('\n', 1)[1])['python']]
    assert 'tree-sitter>=0.22' in python and 'jmespath>=1.0' in python


def test_linux_playbooks_run_without_ansible_windows(tmp_path):
    """ansible.windows is only needed to reboot Windows hosts: a Linux-only controller can go without it."""
    env = ansible_env({'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_ROOT, 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false'})
    proc = _run(['ansible-galaxy', 'collection', 'list', 'ansible.windows'], env=env)
    assert 'ansible.windows' not in proc.stdout.replace('Unable to find collection ansible.windows', '')
    for playbook, args in (('inventory', []),
                           ('remediate', ['--check', '-e', 'tls_remediation_verify=false', '-e', 'tls_remediation_system=false',
                                          '-e', 'tls_remediation_mail_clients=false', '-e', 'tls_remediation_reboot_ok=true'])):
        proc = _run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                     '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON, '-e', 'fleet_report_dir=%s' % (tmp_path / playbook),
                     'mailtls.remediation.%s' % playbook] + args, env=env)
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert 'ansible.windows' not in proc.stdout, proc.stdout[-3000:]
