# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""exo_scripts end to end: ansible-playbook against localhost (connection local) on a temporary tree.

The real action plugin, the real exo engine on the controller and the real exo_script_files helper
(AnsiballZ-packaged, run by the host's Python) work together: scan, check-mode migrate (nothing
written, diff shown), migrate (written, backup, owner/mode kept), a second run (no change), and a
file edited between scan and write (refused).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import importlib
import json
import os
import stat
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# The Ansible that runs these tests (make test's virtualenv, wherever it is).
VENV_BIN = os.path.dirname(sys.executable)
PLAYBOOK_BIN = os.path.join(VENV_BIN, 'ansible-playbook')
TARGET_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable


from harness.collection_root import COLLECTIONS_ROOT  # noqa: E402  pylint: disable=wrong-import-position

# The engine is part of this repository and ansible-playbook is installed by make test: a test
# without either fails at collection, it never skips.
importlib.import_module('ansible_collections.mailtls.remediation.plugins.plugin_utils.exo')
assert os.access(PLAYBOOK_BIN, os.X_OK), 'ansible-playbook is not installed next to %s (make test installs it)' % sys.executable

LEGACY = (
    "# Nightly mailbox report\r\n"
    "$UserCredential = Import-Clixml -Path C:\\secure\\exo.xml\r\n"
    "$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ "
    "-Credential $UserCredential -Authentication Basic -AllowRedirection\r\n"
    "Import-PSSession $Session -DisableNameChecking\r\n"
    "Get-Mailbox -ResultSize Unlimited | Export-Csv C:\\reports\\mailboxes.csv -NoTypeInformation\r\n"
    "Remove-PSSession $Session\r\n"
)
RPS_FLAG = "Connect-ExchangeOnline -UserPrincipalName admin@contoso.onmicrosoft.com -UseRPSSession\nGet-Mailbox\n"
CLEAN = "Connect-ExchangeOnline -UserPrincipalName admin@contoso.onmicrosoft.com -ShowBanner:$false\nGet-EXOMailbox\n"

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: exo_scripts under test
      mailtls.remediation.exo_scripts: "{{ exo_args }}"
      register: exo_result
      ignore_errors: true
    - name: keep the result for the test
      ansible.builtin.copy:
        content: "{{ exo_result | to_nice_json }}"
        dest: "{{ result_file }}"
        mode: '0600'
      check_mode: false
      diff: false
"""


def _sha(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _snapshot(root):
    found = {}
    for folder, dummy, files in os.walk(root):
        for name in files:
            full = os.path.join(folder, name)
            found[os.path.relpath(full, root)] = _sha(full)
    return found


class Runner(object):
    def __init__(self, workdir):
        self.workdir = workdir
        self.python = TARGET_PYTHON
        self.playbook = os.path.join(workdir, 'play.yml')
        with open(self.playbook, 'w') as handle:
            handle.write(PLAY)

    def run(self, args, check=False, diff=False, timeout=300):
        result_file = os.path.join(self.workdir, 'result.json')
        if os.path.exists(result_file):
            os.unlink(result_file)
        extra = os.path.join(self.workdir, 'vars.json')
        with open(extra, 'w') as handle:
            json.dump({'exo_args': args, 'result_file': result_file}, handle)
        cmd = [PLAYBOOK_BIN, '-i', 'localhost,', self.playbook, '-e', '@' + extra]
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_ROOT,
            'ANSIBLE_PYTHON_INTERPRETER': self.python,
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'PATH': VENV_BIN + os.pathsep + env.get('PATH', ''),
        })
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                              timeout=timeout, check=False)
        output = proc.stdout.decode('utf-8', 'replace')
        assert os.path.exists(result_file), 'no result from the play (rc=%d):\n%s' % (proc.returncode, output)
        with open(result_file) as handle:
            return json.load(handle), output


@pytest.fixture
def tree(tmp_path):
    scripts = tmp_path / 'scripts'
    (scripts / 'jobs').mkdir(parents=True)
    (scripts / 'jobs' / 'mailbox-report.ps1').write_bytes(b'\xef\xbb\xbf' + LEGACY.encode('utf-8'))
    (scripts / 'jobs' / 'rps-flag.ps1').write_text(RPS_FLAG)
    (scripts / 'clean.ps1').write_text(CLEAN)
    (scripts / 'readme.txt').write_text(LEGACY)
    (scripts / 'data.bin').write_bytes(os.urandom(4096))
    os.chmod(str(scripts / 'jobs' / 'mailbox-report.ps1'), 0o750)
    if os.geteuid() == 0:
        os.chown(str(scripts / 'jobs' / 'mailbox-report.ps1'), 2001, 2002)
    work = tmp_path / 'work'
    work.mkdir()
    return scripts, Runner(str(work))


def test_scan_finds_only_legacy_scripts(tree):
    scripts, runner = tree
    before = _snapshot(str(scripts))
    result, output = runner.run({'mode': 'scan', 'paths': [str(scripts)], 'report_sarif': 'exo.sarif', 'report_json': 'exo.json'})
    assert not result.get('failed'), output
    assert result['changed'] is False
    assert sorted(os.path.relpath(p, str(scripts)) for p in result['candidates']) == ['jobs/mailbox-report.ps1', 'jobs/rps-flag.ps1']
    assert result['legacy_remaining'] >= 2
    paths = {f['path'] for f in result['findings']}
    assert paths == {str(scripts / 'jobs' / 'mailbox-report.ps1'), str(scripts / 'jobs' / 'rps-flag.ps1')}
    assert all(isinstance(f['line'], int) and f['line'] >= 1 for f in result['findings'])
    assert _snapshot(str(scripts)) == before
    sarif = json.load(open(os.path.join(runner.workdir, 'exo.sarif')))
    assert sarif['version'] == '2.1.0' and sarif['runs'][0]['results']
    report = json.load(open(os.path.join(runner.workdir, 'exo.json')))
    assert report['summary']['legacy_remaining'] == result['legacy_remaining']


def test_check_mode_migrate_shows_diff_and_writes_nothing(tree):
    scripts, runner = tree
    before = _snapshot(str(scripts))
    result, output = runner.run({'mode': 'migrate', 'paths': [str(scripts)]}, check=True, diff=True)
    assert not result.get('failed'), output
    assert result['changed'] is True
    assert sorted(result['changed_files']) == sorted([str(scripts / 'jobs' / 'mailbox-report.ps1'), str(scripts / 'jobs' / 'rps-flag.ps1')])
    assert _snapshot(str(scripts)) == before
    assert result['backups'] == []
    # the unified diff is printed by Ansible
    assert '--- before: %s' % (scripts / 'jobs' / 'rps-flag.ps1') in output
    assert '-Connect-ExchangeOnline -UserPrincipalName admin@contoso.onmicrosoft.com -UseRPSSession' in output
    diffs = {d['before_header']: d for d in result['diff']}
    after = diffs[str(scripts / 'jobs' / 'mailbox-report.ps1')]['after']
    assert 'New-PSSession' not in after and 'Connect-ExchangeOnline' in after


def test_migrate_writes_with_backup_keeps_owner_mode_then_idempotent(tree):
    scripts, runner = tree
    target = scripts / 'jobs' / 'mailbox-report.ps1'
    original = target.read_bytes()
    st_before = target.stat()
    result, output = runner.run({'mode': 'migrate', 'paths': [str(scripts)]})
    assert not result.get('failed'), output
    assert result['changed'] is True
    data = target.read_bytes()
    assert data != original
    assert data.startswith(b'\xef\xbb\xbf'), 'the BOM must survive'
    assert b'\r\n' in data and b'New-PSSession' not in data and b'Connect-ExchangeOnline' in data
    st = target.stat()
    assert stat.S_IMODE(st.st_mode) == 0o750
    assert (st.st_uid, st.st_gid) == (st_before.st_uid, st_before.st_gid)
    backups = [b for b in result['backups'] if b.startswith(str(target) + '.')]
    assert len(backups) == 1
    with open(backups[0], 'rb') as handle:
        assert handle.read() == original
    assert b'-UseRPSSession' not in (scripts / 'jobs' / 'rps-flag.ps1').read_bytes()
    assert (scripts / 'clean.ps1').read_text() == CLEAN

    snapshot = _snapshot(str(scripts))
    again, output = runner.run({'mode': 'migrate', 'paths': [str(scripts)]})
    assert not again.get('failed'), output
    assert again['changed'] is False
    assert again['changed_files'] == [] and again['backups'] == []
    assert _snapshot(str(scripts)) == snapshot


def test_side_by_side_leaves_original(tree):
    scripts, runner = tree
    result, output = runner.run({'mode': 'migrate', 'paths': [str(scripts / 'jobs')], 'write': 'side_by_side'})
    assert not result.get('failed'), output
    copy = scripts / 'jobs' / 'rps-flag.exov3.ps1'
    assert copy.exists() and b'-UseRPSSession' not in copy.read_bytes()
    assert (scripts / 'jobs' / 'rps-flag.ps1').read_text() == RPS_FLAG


def test_file_changed_since_scan_is_refused(tree):
    """The helper gets the scan-time hash; a file edited after the scan is left alone and reported.

    The host's Python is wrapped: its first start is the helper's scan, its second the helper's
    write, and just before the second one the wrapper edits a script, as a person might.
    """
    scripts, runner = tree
    target = scripts / 'jobs' / 'rps-flag.ps1'
    wrapper = os.path.join(runner.workdir, 'python-that-edits')
    counter = os.path.join(runner.workdir, 'starts')
    with open(wrapper, 'w') as handle:
        handle.write('#!/bin/sh\n'
                     'echo x >> "%s"\n'
                     'if [ "$(wc -l < "%s")" -eq 2 ]; then printf "# edited by hand\\n" >> "%s"; fi\n'
                     'exec %s "$@"\n' % (counter, counter, target, TARGET_PYTHON))
    os.chmod(wrapper, 0o755)
    runner.python = wrapper
    result, output = runner.run({'mode': 'migrate', 'paths': [str(scripts / 'jobs')]})
    assert result.get('failed') is True, output
    assert [r['path'] for r in result['refused']] == [str(target)]
    assert 'changed since' in result['refused'][0]['msg']
    assert target.read_text() == RPS_FLAG + '# edited by hand\n'
    assert not list((scripts / 'jobs').glob('rps-flag.ps1.*.bak'))
    # the other file was still migrated, in the same write call
    assert b'New-PSSession' not in (scripts / 'jobs' / 'mailbox-report.ps1').read_bytes()
    assert [f['status'] for f in result['files'] if f['path'] == str(target)] == ['refused']


def test_a_script_that_dot_sources_the_connect_keeps_it_from_being_migrated(tmp_path):
    """The reader names no Exchange endpoint or cmdlet: the host-side helper finds it in a second walk."""
    scripts = tmp_path / 'scripts'
    (scripts / 'lib').mkdir(parents=True)
    connect = ('$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri '
               'https://outlook.office365.com/powershell-liveid/ -Credential $cred -Authentication Basic -AllowRedirection\n'
               'Import-PSSession $Session -DisableNameChecking | Out-Null\n')
    (scripts / 'lib' / 'Connect-Tenant.ps1').write_text(connect)
    (scripts / 'nightly.ps1').write_text('. (Join-Path $PSScriptRoot "lib\\Connect-Tenant.ps1")\nGet-Mailbox -ResultSize 10\n'
                                         'Remove-PSSession $Session\n')
    (scripts / 'other.ps1').write_text(connect)
    work = tmp_path / 'work'
    work.mkdir()
    before = _snapshot(scripts)
    result, output = Runner(str(work)).run({'mode': 'migrate', 'paths': [str(scripts)]})
    assert not result.get('failed'), output[-3000:]
    # The shared connect stays as it is, with the reason; a connect nobody sources is migrated.
    assert (scripts / 'lib' / 'Connect-Tenant.ps1').read_text() == connect
    assert 'Connect-ExchangeOnline' in (scripts / 'other.ps1').read_text()
    assert _snapshot(scripts)['nightly.ps1'] == before['nightly.ps1']
    blocked = [f for f in result['findings'] if f['id'] == 'EXO031' and f['path'].endswith('Connect-Tenant.ps1')]
    assert blocked and 'nightly.ps1' in blocked[0]['message'], result['findings']
    assert result['scope_files'] == [str(scripts / 'nightly.ps1')]
