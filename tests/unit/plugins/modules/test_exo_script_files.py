# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the Linux side of exo_script_files: walking, prefilter, hash-checked atomic writes."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import errno
import hashlib
import json
import os
import re
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailtls.remediation.plugins.plugin_utils.exo_target import exo_script_files as mod

PREFILTER = ['new-pssession', r'-userpssession\b']
LEGACY = b'$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/\n'


def b64(data):
    return base64.b64encode(data).decode('ascii')


def sha(data):
    return hashlib.sha256(data).hexdigest()


def run_main(args, capsys, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out['_rc'] = exit_info.value.code
    return out


def names(result, root):
    return sorted(os.path.relpath(c['path'], str(root)) for c in result['candidates'])


# --- decoding for the prefilter ------------------------------------------------------------------

@pytest.mark.parametrize('data, bom, contains', [
    (b'\xef\xbb\xbfNew-PSSession', 'utf-8', 'New-PSSession'),
    (b'\xff\xfe' + 'New-PSSession \u2013x'.encode('utf-16-le'), 'utf-16-le', '\u2013x'),
    (b'\xfe\xff' + 'New-PSSession'.encode('utf-16-be'), 'utf-16-be', 'New-PSSession'),
    ('New-PSSession'.encode('utf-16-le'), '', 'New-PSSession'),
    ('caf\u00e9 New-PSSession'.encode('cp1252'), '', 'caf\u00e9'),
    ('\u201cMicrosoft.Exchange\u201d'.encode('utf-8'), '', '\u201cMicrosoft.Exchange\u201d'),
])
def test_text_for_prefilter_decodes_script_encodings(data, bom, contains):
    text, found_bom = mod.text_for_prefilter(data)
    assert found_bom == bom
    assert contains in text


def test_binary_is_not_text():
    assert mod.text_for_prefilter(b'MZ\x90\x00\x03\x00\x00\x00New-PSSession\x00\xff')[0] is None


# --- the fast prefilter -----------------------------------------------------------------------------

@pytest.mark.parametrize('pattern, literal', [
    (r'Microsoft\.Exchange', 'microsoft.exchange'),
    (r'outlook\.office365\.(com|us)', 'outlook.office365.'),
    ('Connect[-\u2013]EXOPSSession', 'exopssession'),
    ('ab?cde', 'cde'),
    ('x{2,3}yyy', 'yyy'),
    ('hello+world', 'hello'),
    ('a|bcdef', None),
    ('(?x) a b c d', None),
    (r'\d+', None),
    ('ab', None),
])
def test_required_literal(pattern, literal):
    assert mod.required_literal(pattern) == literal


ENGINE_LIKE = [r'Microsoft\.Exchange', 'powershell-liveid', r'outlook\.office365\.(com|us)', 'Connect[-\u2013\u2014]EXOPSSession',
               'UseRPSSession', 'DelegatedOrg=', r'ps\.outlook\.com|webmail\.apps\.mil']


@pytest.mark.parametrize('text', [
    'nothing here', 'MICROSOFT.EXCHANGE', 'microsoftXexchange', 'https://OUTLOOK.office365.US/x', 'outlook.office365.org',
    'Connect\u2013exopssession -x', 'connect_EXOPSSession', '-userRPSsession', 'WEBMAIL.apps.MIL', 'ps.outlook.co',
    'x' * 5000 + 'delegatedorg=' + 'y' * 10, '\u0130 Microsoft.Exchange',
])
def test_prefilter_agrees_with_the_plain_regexes(text):
    combined = re.compile('|'.join('(?:%s)' % p for p in ENGINE_LIKE), re.IGNORECASE | re.MULTILINE)
    assert mod.Prefilter(ENGINE_LIKE).search(text) == bool(combined.search(text))


# --- scanning --------------------------------------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    files = {
        'a/legacy.ps1': LEGACY,
        'a/clean.ps1': b'Connect-ExchangeOnline\n',
        'a/Module.PSM1': b'function x { New-PSSession }\n',
        'a/readme.txt': LEGACY,
        'a/.git/hooks/x.ps1': LEGACY,
        'a/old.ps1.20250101T000000.bak': LEGACY,
        'a/ExchangeOnlineManagement/3.5.0/inner.psm1': LEGACY,
        'b/runner': b'#!/usr/bin/env pwsh\n' + LEGACY,
        'b/requires': b'#Requires -Modules ExchangeOnlineManagement\n' + LEGACY,
        'b/paramfile': b'  param([string]$x)\n' + LEGACY,
        'b/shell': b'#!/bin/sh\necho New-PSSession\n',
        'b/bin.ps1': b'\x00\x01\x02' + LEGACY,
        'b/wide.ps1': b'\xff\xfe' + LEGACY.decode().encode('utf-16-le'),
        'b/wide-noext': b'\xff\xfe' + ('#!/usr/bin/pwsh\n' + LEGACY.decode()).encode('utf-16-le'),
        'b/rps.ps1': b'Connect-ExchangeOnline -UseRPSSession\n',
    }
    for rel, data in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


def test_scan_patterns_sniffing_excludes_and_prefilter(tree):
    res = mod.scan_paths([str(tree)], prefilter=PREFILTER)
    assert names(res, tree) == ['a/Module.PSM1', 'a/legacy.ps1', 'b/paramfile', 'b/requires', 'b/rps.ps1', 'b/runner',
                                'b/wide-noext', 'b/wide.ps1']
    assert res['binary_skipped'] == 1
    # every .ps1/.psm1 read, plus the sniffed extensionless ones; not readme.txt or b/shell
    assert res['files_scanned'] == 10
    legacy = [c for c in res['candidates'] if c['path'].endswith('legacy.ps1')][0]
    assert legacy['data'] == LEGACY and legacy['sha256'] == sha(LEGACY) and legacy['size'] == len(LEGACY)
    assert legacy['mode'] == '%04o' % stat.S_IMODE(os.stat(legacy['path']).st_mode)
    assert [c['bom'] for c in res['candidates'] if c['path'].endswith('wide.ps1')] == ['utf-16-le']


def test_scan_without_prefilter_user_excludes_and_no_sniffing(tree):
    res = mod.scan_paths([str(tree)], exclude=['b', 'clean*'], sniff_extensionless=False, include_content=False)
    assert names(res, tree) == ['a/Module.PSM1', 'a/legacy.ps1']
    assert all('data' not in c for c in res['candidates'])
    res = mod.scan_paths([str(tree)], exclude=[str(tree / 'a') + '/*'], patterns=['*.ps1'], prefilter=PREFILTER, sniff_extensionless=False)
    assert names(res, tree) == ['b/rps.ps1', 'b/wide.ps1']


def test_default_excludes_can_be_switched_off(tree):
    res = mod.scan_paths([str(tree / 'a')], prefilter=PREFILTER, use_default_excludes=False, patterns=['*.ps1', '*.psm1', '*.bak'])
    assert names(res, tree / 'a') == ['.git/hooks/x.ps1', 'ExchangeOnlineManagement/3.5.0/inner.psm1', 'Module.PSM1', 'legacy.ps1',
                                      'old.ps1.20250101T000000.bak']


def test_wildcard_roots_explicit_files_overlaps_and_missing_paths(tree):
    res = mod.scan_paths([str(tree / '*'), str(tree / 'a'), str(tree / 'b' / 'shell'), str(tree / 'does-not-exist')], prefilter=PREFILTER)
    found = names(res, tree)
    assert found.count('a/legacy.ps1') == 1
    assert 'b/shell' in found  # named explicitly: no name test, prefilter still applies


def test_size_limit_and_unreadable_files_are_listed(tree, monkeypatch):
    res = mod.scan_paths([str(tree / 'a')], prefilter=PREFILTER, max_file_size=10)
    assert res['candidates'] == []
    assert {os.path.basename(s['path']) for s in res['skipped_files']} == {'legacy.ps1', 'clean.ps1', 'Module.PSM1'}
    assert res['skipped_total'] == 3
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).endswith('legacy.ps1'):
            raise PermissionError(errno.EACCES, 'Permission denied')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(mod, 'open', deny, raising=False)
    res = mod.scan_paths([str(tree / 'a')], prefilter=PREFILTER)
    assert names(res, tree / 'a') == ['Module.PSM1']
    assert res['skipped_files'] == [{'path': str(tree / 'a' / 'legacy.ps1'), 'reason': 'cannot read: Permission denied'}]


def test_symlink_loops_end(tmp_path):
    (tmp_path / 'd').mkdir()
    (tmp_path / 'd' / 'x.ps1').write_bytes(LEGACY)
    os.symlink(str(tmp_path), str(tmp_path / 'd' / 'loop'))
    os.symlink(str(tmp_path / 'd' / 'x.ps1'), str(tmp_path / 'd' / 'alias.ps1'))
    res = mod.scan_paths([str(tmp_path)], prefilter=PREFILTER, follow_symlinks=True)
    assert len(res['candidates']) == 1
    res = mod.scan_paths([str(tmp_path)], prefilter=PREFILTER)
    assert names(res, tmp_path) == ['d/x.ps1']


def test_scan_through_main_returns_base64(tree, capsys):
    out = run_main({'paths': [str(tree / 'a')], 'prefilter': PREFILTER}, capsys)
    assert out['_rc'] == 0 and out['changed'] is False
    legacy = [c for c in out['candidates'] if c['path'].endswith('legacy.ps1')][0]
    assert base64.b64decode(legacy['content']) == LEGACY


def test_bad_prefilter_regex_fails_cleanly(tree, capsys):
    out = run_main({'paths': [str(tree)], 'prefilter': ['(unclosed']}, capsys)
    assert out['failed'] is True and 'invalid prefilter' in out['msg']


# --- writing ---------------------------------------------------------------------------------------

NEW = b'Connect-ExchangeOnline -ShowBanner:$false\n'


@pytest.fixture
def script(tmp_path):
    path = tmp_path / 'dir' / 'job.ps1'
    path.parent.mkdir()
    path.write_bytes(LEGACY)
    os.chmod(str(path), 0o640)
    os.utime(str(path), (1700000000, 1700000000))
    return path


def spec(path, content=NEW, expected=None):
    return {'path': str(path), 'content': b64(content), 'expected_sha256': expected or sha(LEGACY)}


def leftovers(directory):
    return [n for n in os.listdir(str(directory)) if n.endswith('.tmp')]


def test_in_place_write_keeps_mode_owner_and_leaves_exact_backup(script):
    if os.geteuid() == 0:
        os.chown(str(script), 1234, 2345)
    res = mod.write_one(spec(script))
    assert res['changed'] and not res['refused'] and res['msg'] == 'written'
    assert script.read_bytes() == NEW and res['sha256'] == sha(NEW)
    st = script.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 2345)
    backup = res['backup_file']
    assert backup.startswith(str(script) + '.') and backup.endswith('.bak')
    with open(backup, 'rb') as handle:
        assert handle.read() == LEGACY
    bst = os.stat(backup)
    assert stat.S_IMODE(bst.st_mode) == 0o640 and bst.st_mtime == 1700000000
    assert leftovers(script.parent) == []


def test_second_write_is_a_no_op(script):
    mod.write_one(spec(script))
    res = mod.write_one(spec(script, expected=sha(NEW)))
    assert res['changed'] is False and res['msg'] == 'already up to date' and res['backup_file'] == ''
    assert len(list(script.parent.glob('*.bak'))) == 1


def test_stale_hash_is_refused_and_nothing_is_touched(script):
    res = mod.write_one(spec(script, expected=sha(b'what the scan saw')))
    assert res['refused'] and not res['changed']
    assert 'changed since it was scanned' in res['msg']
    assert script.read_bytes() == LEGACY
    assert list(script.parent.iterdir()) == [script]


def test_change_during_write_is_refused(script, monkeypatch):
    real = mod._atomic_write

    def racing(dest, data, like_stat, like_path):
        tmp = real(dest, data, like_stat, like_path)
        if data == NEW:
            script.write_bytes(LEGACY + b'# edited meanwhile\n')
        return tmp

    monkeypatch.setattr(mod, '_atomic_write', racing)
    res = mod.write_one(spec(script), backup=False)
    assert res['refused'] and 'while it was being written' in res['msg']
    assert script.read_bytes().endswith(b'# edited meanwhile\n')
    assert leftovers(script.parent) == []


def test_owner_that_cannot_be_kept_refuses(script, monkeypatch):
    def no_chown(path, uid, gid):
        raise PermissionError(errno.EPERM, 'Operation not permitted')

    monkeypatch.setattr(os, 'chown', no_chown)
    monkeypatch.setattr(os, 'getuid', lambda: 999999)
    res = mod.write_one(spec(script), backup=False)
    assert res['refused'] and 'cannot keep owner' in res['msg']
    assert script.read_bytes() == LEGACY
    assert leftovers(script.parent) == []


def test_check_mode_predicts_without_writing(script):
    res = mod.write_one(spec(script), check_mode=True)
    assert res['changed'] and res['msg'] == 'would be written' and res['backup_file'] == ''
    assert script.read_bytes() == LEGACY
    assert list(script.parent.iterdir()) == [script]


def test_side_by_side_and_backup_dir(script, tmp_path):
    backups = tmp_path / 'backups'
    res = mod.write_one(spec(script), write_mode='side_by_side', backup_dir=str(backups))
    copy = script.parent / 'job.exov3.ps1'
    assert res['dest'] == str(copy) and copy.read_bytes() == NEW
    assert script.read_bytes() == LEGACY
    assert stat.S_IMODE(copy.stat().st_mode) == 0o640
    assert res['backup_file'] == ''  # nothing existed at the destination
    again = mod.write_one(spec(script), write_mode='side_by_side', backup_dir=str(backups))
    assert again['changed'] is False
    newer = mod.write_one(spec(script, content=NEW + b'# v2\n'), write_mode='side_by_side', backup_dir=str(backups))
    assert newer['changed'] and newer['backup_file'].startswith(str(backups) + str(copy) + '.')
    with open(newer['backup_file'], 'rb') as handle:
        assert handle.read() == NEW


def test_in_place_through_a_symlink_keeps_the_link(script, tmp_path):
    link = tmp_path / 'link.ps1'
    os.symlink(str(script), str(link))
    res = mod.write_one(spec(link), backup=False)
    assert res['changed'] and os.path.islink(str(link))
    assert script.read_bytes() == NEW


def test_backup_names_do_not_collide(script):
    first = mod.backup_name(str(script), now=1767225600)
    open(first, 'w').close()
    second = mod.backup_name(str(script), now=1767225600)
    assert first != second and second.endswith('.1.bak')


def test_bad_input_is_refused_not_raised(script, tmp_path):
    assert mod.write_one({'path': str(script), 'content': '%%%', 'expected_sha256': sha(LEGACY)})['msg'] == 'content is not valid base64'
    res = mod.write_one(spec(tmp_path / 'gone.ps1'))
    assert res['refused'] and res['msg'].startswith('cannot read')


@pytest.mark.parametrize('name, expected', [('a.ps1', 'a.exov3.ps1'), ('runner', 'runner.exov3'), ('.profile', '.profile.exov3'),
                                            ('x.tar.ps1', 'x.tar.exov3.ps1')])
def test_side_by_side_names(name, expected):
    assert mod.side_by_side_name(os.path.join('/d', name), '.exov3') == os.path.join('/d', expected)


def test_write_through_main_fails_on_refusal_and_reports_each_file(script, tmp_path, capsys):
    other = tmp_path / 'dir' / 'other.ps1'
    other.write_bytes(LEGACY)
    out = run_main({'state': 'write', 'files': [spec(script), spec(other, expected='0' * 64)]}, capsys)
    assert out['_rc'] == 1 and out['failed'] is True
    assert out['refused'] == [str(other)]
    assert [r['changed'] for r in out['results']] == [True, False]
    assert script.read_bytes() == NEW and other.read_bytes() == LEGACY


def test_write_through_main_in_check_mode(script, capsys):
    out = run_main({'state': 'write', 'files': [spec(script)]}, capsys, check_mode=True)
    assert out['_rc'] == 0 and out['changed'] is True
    assert script.read_bytes() == LEGACY


@pytest.mark.parametrize('head,expected', [
    (b'$cred = Get-Credential\n$s = New-PSSession -ConfigurationName Microsoft.Exchange\n', True),
    (b'# nightly mailbox report\nImport-Module ActiveDirectory\nGet-Mailbox -ResultSize 10\n', True),
    (b'function Connect-Tenant {\n  $uri = "https://outlook.office365.com/powershell-liveid/"\n}\n', True),
    (b'#!/bin/bash\n$x = 1\nGet-Mailbox\n', False),
    (b'Get-Mailbox is mentioned once in this note\n', False),
    (b'import os\nprint("New-PSSession")\n', False),
])
def test_extensionless_files_are_sniffed_by_content(tmp_path, head, expected):
    path = tmp_path / 'runbook'
    path.write_bytes(head + b'# was: New-PSSession to outlook.office365.com\n')
    res = mod.scan_paths([str(tmp_path)], prefilter=PREFILTER)
    assert bool(res['candidates']) is expected
    assert mod.sniffed_powershell(head.decode()) is expected
