# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the exo_scripts action plugin and the report builders.

The real engine is written separately; these tests inject a tiny stand-in engine whose rules are
trivial (one legacy line = one finding) so that what is tested here is the delivery: walking,
hash-checked writes, backups, check mode, diff, gate and reports. The host side runs the real
helper functions of exo_script_files in-process through a replaced ``_execute_module`` that does
what the module's main() does (base64 in both directions, fail on refusal).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import json
import os
import stat
import types
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.mailtls.remediation.plugins.action import exo_scripts as action_mod
from ansible_collections.mailtls.remediation.plugins.plugin_utils.exo_target import exo_script_files as helper
from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo_report

LEGACY = (
    "$cred = Get-Credential\n"
    "$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/"
    " -Credential $cred -Authentication Basic -AllowRedirection\n"
    "Import-PSSession $s -DisableNameChecking\n"
    "Get-Mailbox | Select-Object DisplayName\n"
    "Invoke-Command -Session $s -ScriptBlock { Get-Mailbox }\n"
)
CLEAN = "Connect-ExchangeOnline -ShowBanner:$false\nGet-Mailbox\n"


def _fake_engine(fail_on=None, broken_after=None):
    """Stand-in with the engine's interface: New-PSSession lines are legacy and rewritable,
    Invoke-Command -Session lines are report-only."""

    def decode_script(data):
        if data.startswith(b'\xef\xbb\xbf'):
            return data[3:].decode('utf-8'), {'encoding': 'utf-8-sig', 'newline': '\n'}
        return data.decode('utf-8'), {'encoding': 'utf-8', 'newline': '\n'}

    def encode_script(text, encoding):
        raw = text.encode('utf-8')
        return (b'\xef\xbb\xbf' + raw) if encoding['encoding'] == 'utf-8-sig' else raw

    def prefilter_patterns():
        return [r'new-pssession', r'-userpssession\b', r'connect-exopssession']

    def scan(text, path=''):
        if fail_on and path.endswith(fail_on):
            raise RuntimeError('boom in %s' % path)
        findings = []
        legacy = 0
        for number, line in enumerate(text.splitlines(), 1):
            col = line.find('New-PSSession')
            if col >= 0:
                legacy += 1
                findings.append({'id': 'EXO001', 'severity': 'error', 'message': 'Remote PowerShell session to Exchange Online',
                                 'line': number, 'column': col + 1, 'end_line': number, 'end_column': len(line) + 1,
                                 'snippet': line, 'rewritable': True, 'rule': 'rps-session'})
            col = line.find('Invoke-Command -Session')
            if col >= 0:
                findings.append({'id': 'EXO050', 'severity': 'warning', 'message': 'Invoke-Command -Session does not work with REST',
                                 'line': number, 'column': col + 1, 'end_line': number, 'end_column': len(line) + 1,
                                 'snippet': line, 'rewritable': False, 'rule': 'invoke-command-session'})
        return {'findings': findings, 'connections': [], 'parse_errors': [], 'legacy_remaining': legacy}

    def migrate(text, path='', auth='keep_credential', options=None):
        out = []
        edits = []
        for line in text.splitlines(True):
            if 'New-PSSession' in line:
                extra = ''
                if auth == 'certificate':
                    extra = ' -AppId %s -Organization %s' % (options['app_id'], options['organization'])
                out.append('Connect-ExchangeOnline -ShowBanner:$false%s\n' % extra)
                edits.append({'kind': 'replace'})
            elif line.startswith('Import-PSSession'):
                edits.append({'kind': 'delete'})
            else:
                out.append(line)
        new = ''.join(out)
        errors = ['unbalanced brace'] if broken_after and path.endswith(broken_after) else []
        return {'text': new, 'changed': new != text, 'edits': edits, 'findings': [], 'parse_errors_after': errors}

    return types.SimpleNamespace(decode_script=decode_script, encode_script=encode_script,
                                 prefilter_patterns=prefilter_patterns, scan=scan, migrate=migrate)


def _run_helper(module_args, check_mode):
    """What exo_script_files' main() does, minus AnsibleModule."""
    if module_args.get('state', 'scan') == 'scan':
        kwargs = {k: v for k, v in module_args.items() if k not in ('state', 'paths')}
        out = helper.scan_paths(module_args.get('paths'), **kwargs)
        for cand in out['candidates']:
            if 'data' in cand:
                cand['content'] = base64.b64encode(cand.pop('data')).decode('ascii')
        return dict(out, changed=False)
    out = helper.write_files(module_args['files'], write_mode=module_args['write_mode'], suffix=module_args['side_by_side_suffix'],
                             backup=module_args['backup'], backup_dir=module_args.get('backup_dir'), check_mode=check_mode)
    if out['refused']:
        out['failed'] = True
        out['msg'] = 'refused'
    return out


class Harness(object):
    def __init__(self, monkeypatch, engine=None, between_scan_and_write=None):
        self.calls = []
        self.between = between_scan_and_write
        monkeypatch.setattr(action_mod, 'exo_engine', engine or _fake_engine())

    def run(self, args, check_mode=False, diff=False, basedir='/'):
        task = MagicMock()
        task.args = args
        task.check_mode = check_mode
        task.diff = diff
        task.async_val = 0
        task.action = 'mailtls.remediation.exo_scripts'
        connection = MagicMock()
        connection._shell.tmpdir = '/nonexistent-remote-tmp'
        loader = MagicMock()
        loader.get_basedir.return_value = basedir
        action = action_mod.ActionModule(task, connection, MagicMock(), loader, None, None)

        def execute(module_name=None, module_args=None, task_vars=None, **kwargs):
            # the internal helper: found through its own folder on the module search path, never a public module
            assert module_name == 'ansible.legacy.exo_script_files'
            # the real module loader resolves that name to the helper files of this collection, for both platforms
            modules = action._shared_loader_obj.module_loader
            for suffix in ('.py', '.ps1'):
                found = modules.find_plugin(module_name, mod_type=suffix)
                assert found == os.path.join(os.path.realpath(action_mod.HELPER_DIR), 'exo_script_files' + suffix)
            self.calls.append(dict(module_args))
            if module_args.get('state') == 'write' and self.between:
                self.between()
            return _run_helper(module_args, check_mode)

        action._execute_module = execute
        return action.run(task_vars={'inventory_hostname': 'web01'})


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'scripts'
    (root / 'sub').mkdir(parents=True)
    (root / 'legacy.ps1').write_text(LEGACY)
    (root / 'sub' / 'clean.ps1').write_text(CLEAN)
    (root / 'sub' / 'notes.txt').write_text(LEGACY)  # right text, wrong name
    (root / 'sub' / 'runbook').write_text('#!/usr/bin/env pwsh\n' + LEGACY)  # extensionless, sniffed
    (root / 'bom.ps1').write_bytes(b'\xef\xbb\xbf' + LEGACY.encode('utf-8'))
    return root


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_scan_reports_findings_per_file_without_writing(monkeypatch, tree):
    before = {p: _sha(p) for p in tree.rglob('*') if p.is_file()}
    h = Harness(monkeypatch)
    res = h.run({'mode': 'scan', 'paths': [str(tree)]})
    assert not res.get('failed'), res
    assert res['changed'] is False
    assert sorted(os.path.relpath(p, tree) for p in res['candidates']) == ['bom.ps1', 'legacy.ps1', 'sub/runbook']
    assert res['legacy_remaining'] == 3
    legacy_findings = [f for f in res['findings'] if f['path'] == str(tree / 'legacy.ps1')]
    assert [(f['id'], f['line'], f['column']) for f in legacy_findings] == [('EXO001', 2, 6), ('EXO050', 5, 1)]
    assert all('snippet' not in f for f in res['findings'])
    assert len(h.calls) == 1 and h.calls[0]['state'] == 'scan'
    assert 'new-pssession' in h.calls[0]['prefilter']
    assert {p: _sha(p) for p in tree.rglob('*') if p.is_file()} == before


def test_check_mode_migrate_writes_nothing_and_shows_diff(monkeypatch, tree):
    before = {p: _sha(p) for p in tree.rglob('*') if p.is_file()}
    h = Harness(monkeypatch)
    res = h.run({'mode': 'migrate', 'paths': [str(tree)]}, check_mode=True, diff=True)
    assert not res.get('failed'), res
    assert res['changed'] is True
    assert len(res['changed_files']) == 3
    assert res['backups'] == []
    assert {p: _sha(p) for p in tree.rglob('*') if p.is_file()} == before
    diff = {d['before_header']: d for d in res['diff']}
    legacy = diff[str(tree / 'legacy.ps1')]
    assert 'New-PSSession' in legacy['before'] and 'New-PSSession' not in legacy['after']
    assert 'Connect-ExchangeOnline' in legacy['after']
    assert res['legacy_remaining'] == 0
    assert {f['status'] for f in res['files']} == {'would_change'}
    # the write call went out, as check mode, with the scan-time hashes
    write = h.calls[1]
    assert write['state'] == 'write'
    assert {f['path']: f['expected_sha256'] for f in write['files']} == {str(p): before[p] for p in before if str(p) in diff}


def test_migrate_writes_keeps_mode_and_owner_leaves_backup_then_is_idempotent(monkeypatch, tree):
    target = tree / 'legacy.ps1'
    os.chmod(target, 0o750)
    if os.geteuid() == 0:
        os.chown(target, 4321, 4322)
    original = target.read_bytes()
    h = Harness(monkeypatch)
    res = h.run({'mode': 'migrate', 'paths': [str(tree)]})
    assert not res.get('failed'), res
    assert res['changed'] is True
    assert 'Connect-ExchangeOnline' in target.read_text()
    st = target.stat()
    assert stat.S_IMODE(st.st_mode) == 0o750
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4322)
    backups = [b for b in res['backups'] if b.startswith(str(target) + '.')]
    assert len(backups) == 1 and backups[0].endswith('.bak')
    with open(backups[0], 'rb') as handle:
        assert handle.read() == original
    # the BOM survives the round trip through decode/encode
    assert (tree / 'bom.ps1').read_bytes().startswith(b'\xef\xbb\xbf')
    assert 'diff' not in res

    again = h.run({'mode': 'migrate', 'paths': [str(tree)]})
    assert not again.get('failed'), again
    assert again['changed'] is False
    assert again['changed_files'] == [] and again['backups'] == []
    assert again['legacy_remaining'] == 0


def test_file_changed_between_scan_and_write_is_refused(monkeypatch, tree):
    target = tree / 'legacy.ps1'

    def someone_edits():
        target.write_text(LEGACY + '# edited by a person\n')

    h = Harness(monkeypatch, between_scan_and_write=someone_edits)
    res = h.run({'mode': 'migrate', 'paths': [str(tree)]})
    assert res['failed'] is True
    assert [r['path'] for r in res['refused']] == [str(target)]
    assert 'changed since' in res['refused'][0]['msg']
    assert target.read_text().endswith('# edited by a person\n')
    assert not list(tree.glob('legacy.ps1.*.bak'))
    # the other files were still migrated; the refused one still counts as legacy
    assert 'Connect-ExchangeOnline' in (tree / 'bom.ps1').read_text(encoding='utf-8-sig')
    assert res['legacy_remaining'] == 1
    assert [f['status'] for f in res['files'] if f['path'] == str(target)] == ['refused']


def test_side_by_side_keeps_original_and_excludes_copies_next_time(monkeypatch, tree):
    h = Harness(monkeypatch)
    res = h.run({'mode': 'migrate', 'paths': [str(tree)], 'write': 'side_by_side'})
    assert not res.get('failed'), res
    copy = tree / 'legacy.exov3.ps1'
    assert copy.exists() and 'Connect-ExchangeOnline' in copy.read_text()
    assert (tree / 'legacy.ps1').read_text() == LEGACY
    assert str(copy) in res['changed_files']
    assert (tree / 'sub' / 'runbook.exov3').exists()
    # originals are still legacy: the gate would still fail
    assert res['legacy_remaining'] == 3
    again = h.run({'mode': 'migrate', 'paths': [str(tree)], 'write': 'side_by_side'})
    assert again['changed'] is False
    assert str(copy) not in again['candidates']


def test_gate_fails_only_when_legacy_remains(monkeypatch, tree):
    h = Harness(monkeypatch)
    res = h.run({'mode': 'scan', 'paths': [str(tree)], 'gate': True})
    assert res['failed'] is True
    assert res['msg'].startswith('gate: 3 legacy')
    res = h.run({'mode': 'migrate', 'paths': [str(tree)], 'gate': True})
    assert not res.get('failed'), res
    assert res['legacy_remaining'] == 0


def test_on_controller_writes_json_and_sarif_relative_to_checkout(monkeypatch, tree, tmp_path):
    h = Harness(monkeypatch)
    res = h.run({'mode': 'scan', 'on_controller': True, 'paths': ['scripts'], 'gate': True,
                 'report_json': 'out/exo.json', 'report_sarif': 'out/exo.sarif'}, basedir=str(tmp_path))
    assert h.calls == []  # no helper on a host
    assert res['failed'] is True  # gate
    sarif = json.loads((tmp_path / 'out' / 'exo.sarif').read_text())
    run = sarif['runs'][0]
    assert sarif['version'] == '2.1.0'
    assert {r['id'] for r in run['tool']['driver']['rules']} == {'EXO001', 'EXO050'}
    first = [r for r in run['results'] if r['locations'][0]['physicalLocation']['artifactLocation']['uri'] == 'legacy.ps1']
    assert [r['ruleId'] for r in first] == ['EXO001', 'EXO050']
    region = first[0]['locations'][0]['physicalLocation']['region']
    assert (region['startLine'], region['startColumn'], region['endLine']) == (2, 6, 2)
    assert first[0]['level'] == 'error' and first[1]['level'] == 'warning'
    assert run['originalUriBaseIds']['SRCROOT']['uri'] == 'file://%s/' % tree
    report = json.loads((tmp_path / 'out' / 'exo.json').read_text())
    assert report['summary']['legacy_remaining'] == 3
    assert report['summary']['candidates'] == 3
    assert {f['relative_path'] for f in report['findings']} == {'legacy.ps1', 'bom.ps1', 'sub/runbook'}
    assert 'snippet' not in json.dumps(report)


def test_engine_errors_and_unparsable_rewrites_leave_files_alone(monkeypatch, tree):
    h = Harness(monkeypatch, engine=_fake_engine(fail_on='bom.ps1', broken_after='runbook'))
    res = h.run({'mode': 'migrate', 'paths': [str(tree)]})
    assert not res.get('failed'), res
    status = {os.path.basename(f['path']): f['status'] for f in res['files']}
    assert status == {'bom.ps1': 'error', 'legacy.ps1': 'changed', 'runbook': 'error'}
    assert 'New-PSSession' in (tree / 'sub' / 'runbook').read_text()
    assert any('would not parse' in w for w in res['warnings'])
    assert any('bom.ps1: scan failed' in w for w in res['warnings'])
    assert {os.path.basename(p['path']) for p in res['parse_errors']} == {'bom.ps1', 'runbook'}


def test_certificate_auth_options_reach_the_engine_and_are_validated(monkeypatch, tree):
    h = Harness(monkeypatch)
    with pytest.raises(AnsibleActionFail, match='app_id'):
        h.run({'mode': 'migrate', 'paths': [str(tree)], 'auth': 'certificate', 'certificate_path': '/etc/exo/app.pfx'})
    with pytest.raises(AnsibleActionFail, match='certificate_thumbprint'):
        h.run({'mode': 'migrate', 'paths': [str(tree)], 'auth': 'certificate', 'app_id': 'a', 'organization': 'o'})
    res = h.run({'mode': 'migrate', 'paths': [str(tree)], 'auth': 'certificate', 'app_id': 'app-1', 'organization': 'contoso.onmicrosoft.com',
                 'certificate_path': '/etc/exo/app.pfx'}, check_mode=True, diff=True)
    assert any('-AppId app-1 -Organization contoso.onmicrosoft.com' in d['after'] for d in res['diff'])
    assert action_mod.engine_options({'app_id': 'x', 'organization': None, 'certificate_thumbprint': '', 'certificate_path': None,
                                      'certificate_password_expression': None, 'managed_identity_account_id': None}) == {'app_id': 'x'}


def test_missing_engine_is_a_clear_error(monkeypatch, tree):
    Harness(monkeypatch)
    monkeypatch.setattr(action_mod, 'exo_engine', None)
    monkeypatch.setattr(action_mod, 'ENGINE_IMPORT_ERROR', ImportError('no module named exo'))
    task = MagicMock(args={'paths': [str(tree)]}, check_mode=False, diff=False, async_val=0)
    connection = MagicMock()
    connection._shell.tmpdir = '/x'
    action = action_mod.ActionModule(task, connection, MagicMock(), MagicMock(), None, None)
    with pytest.raises(AnsibleActionFail, match='cannot be imported: no module named exo'):
        action.run(task_vars={})


@pytest.mark.parametrize('suffix', ['/../../../x', '\\..\\..\\x', 'sub/x', '', '.exo\x00v3'])
@pytest.mark.parametrize('on_controller', [True, False])
def test_side_by_side_suffix_cannot_leave_the_folder(monkeypatch, tree, tmp_path, suffix, on_controller):
    h = Harness(monkeypatch)
    before = sorted(str(p) for p in tmp_path.rglob('*'))
    res = h.run({'mode': 'migrate', 'paths': [str(tree)], 'write': 'side_by_side', 'side_by_side_suffix': suffix,
                 'on_controller': on_controller})
    assert res['failed'] is True and 'side_by_side_suffix' in res['msg']
    assert sorted(str(p) for p in tmp_path.rglob('*')) == before
    assert h.calls == []  # refused before anything ran on a host


def test_write_one_refuses_a_suffix_that_leaves_the_folder(tmp_path):
    script = tmp_path / 'dir' / 'a.ps1'
    script.parent.mkdir()
    script.write_bytes(b'old')
    spec = {'path': str(script), 'content': base64.b64encode(b'new').decode(), 'expected_sha256': hashlib.sha256(b'old').hexdigest()}
    out = helper.write_one(spec, write_mode='side_by_side', suffix='/../../escaped')
    assert out['refused'] and not out['changed']
    assert sorted(p.name for p in tmp_path.rglob('*')) == ['a.ps1', 'dir']


def test_on_controller_needs_paths(monkeypatch):
    h = Harness(monkeypatch)
    with pytest.raises(AnsibleActionFail, match='paths'):
        h.run({'on_controller': True})


# --- a Windows host, replayed from what the PowerShell helper returns -------------------------

WIN_SCRIPT = LEGACY.replace('\n', '\r\n').encode('utf-8')


def test_windows_helper_output_round_trip(monkeypatch):
    monkeypatch.setattr(action_mod, 'exo_engine', _fake_engine())
    sha = hashlib.sha256(WIN_SCRIPT).hexdigest()
    scan_reply = {
        'changed': False, 'files_walked': 812, 'files_scanned': 41, 'bytes_scanned': 90211, 'binary_skipped': 0,
        'skipped_files': [{'path': 'C:\\Users\\alice\\Documents\\WindowsPowerShell', 'reason': 'cannot list: Access to the path is denied.'}],
        'skipped_total': 1,
        'candidates': [{'path': 'C:\\Scripts\\Mailbox Report!.ps1', 'size': len(WIN_SCRIPT), 'sha256': sha, 'mode': '', 'owner': 'BUILTIN\\Administrators',
                        'group': '', 'mtime': 1767225600.0, 'bom': '', 'content': base64.b64encode(WIN_SCRIPT).decode('ascii')}],
    }
    write_reply = {'changed': True, 'refused': [], 'results': [
        {'path': 'C:\\Scripts\\Mailbox Report!.ps1', 'dest': 'C:\\Scripts\\Mailbox Report!.ps1', 'changed': True, 'refused': False,
         'backup_file': 'C:\\Scripts\\Mailbox Report!.ps1.20260101T120000.bak', 'sha256': 'x', 'msg': 'written'}]}
    replies = [scan_reply, write_reply]
    sent = []

    def execute(module_name=None, module_args=None, task_vars=None, **kwargs):
        sent.append(module_args)
        return replies.pop(0)

    task = MagicMock(args={'mode': 'migrate', 'paths': ['C:\\Scripts'], 'report_sarif': 'win.sarif'}, check_mode=False, diff=True, async_val=0)
    connection = MagicMock()
    connection._shell.tmpdir = 'C:\\Windows\\Temp\\x'
    loader = MagicMock()
    loader.get_basedir.return_value = '/nonexistent'
    action = action_mod.ActionModule(task, connection, MagicMock(), loader, None, None)
    action._execute_module = execute
    written = {}
    monkeypatch.setattr(exo_report, 'write_json_atomic', lambda path, doc: written.setdefault(path, doc) and path)
    res = action.run(task_vars={'inventory_hostname': 'win01'})
    assert not res.get('failed'), res
    assert sent[0]['paths'] == ['C:\\Scripts'] and 'content' not in sent[0]
    new = base64.b64decode(sent[1]['files'][0]['content'])
    assert sent[1]['files'][0]['expected_sha256'] == sha
    assert b'New-PSSession' not in new and b'Connect-ExchangeOnline' in new
    assert res['backups'] == ['C:\\Scripts\\Mailbox Report!.ps1.20260101T120000.bak']
    assert res['diff'][0]['before_header'] == 'C:\\Scripts\\Mailbox Report!.ps1'
    assert any('could not be read' in w for w in res['warnings'])
    sarif = written['/nonexistent/win.sarif']
    loc = sarif['runs'][0]['results'][0]['locations'][0]['physicalLocation']['artifactLocation']
    assert loc == {'uri': 'file:///C:/Scripts/Mailbox%20Report%21.ps1'}
    assert sarif['runs'][0]['results'][0]['properties']['host'] == 'win01'


# --- report builders -----------------------------------------------------------------------------

@pytest.mark.parametrize('severity, level', [('error', 'error'), ('High', 'error'), ('warning', 'warning'), ('info', 'note'),
                                             ('', 'warning'), ('bogus', 'warning')])
def test_sarif_levels(severity, level):
    assert exo_report.sarif_level(severity) == level


@pytest.mark.parametrize('path, root, expected', [
    ('/repo/a/b.ps1', '/repo', {'uri': 'a/b.ps1', 'uriBaseId': 'SRCROOT'}),
    ('/repo/a b/c#.ps1', '/repo/', {'uri': 'a%20b/c%23.ps1', 'uriBaseId': 'SRCROOT'}),
    ('/elsewhere/x.ps1', '/repo', {'uri': 'file:///elsewhere/x.ps1'}),
    ('/repox/x.ps1', '/repo', {'uri': 'file:///repox/x.ps1'}),
    ('C:\\Scripts\\x.ps1', 'C:\\Scripts', {'uri': 'x.ps1', 'uriBaseId': 'SRCROOT'}),
    ('D:\\x.ps1', 'C:\\Scripts', {'uri': 'file:///D:/x.ps1'}),
    ('\\\\srv\\share\\x.ps1', None, {'uri': 'file://srv/share/x.ps1'}),
])
def test_artifact_locations(path, root, expected):
    assert exo_report.artifact_location(path, root) == expected


def test_sarif_regions_are_sane_even_for_odd_engine_values():
    doc = exo_report.build_sarif([
        {'path': '/r/a.ps1', 'id': 'EXO001', 'severity': 'error', 'message': 'm', 'line': 0, 'column': None, 'end_line': None, 'end_column': None},
        {'path': '/r/a.ps1', 'id': 'EXO001', 'severity': 'error', 'message': 'm', 'line': 5, 'column': 9, 'end_line': 5, 'end_column': 9},
        {'path': '/r/a.ps1', 'id': 'EXO002', 'severity': 'note', 'message': 'n', 'line': 7, 'column': 2, 'end_line': 9, 'end_column': 1,
         'rule': {'name': 'session state check', 'help': 'Use Get-ConnectionInformation.', 'help_uri': 'https://example.invalid/h'}},
    ], root='/r')
    results = doc['runs'][0]['results']
    regions = [r['locations'][0]['physicalLocation']['region'] for r in results]
    assert regions[0] == {'startLine': 1, 'startColumn': 1, 'endLine': 1}
    assert regions[1] == {'startLine': 5, 'startColumn': 9, 'endLine': 5, 'endColumn': 10}
    assert regions[2] == {'startLine': 7, 'startColumn': 2, 'endLine': 9, 'endColumn': 1}
    rules = doc['runs'][0]['tool']['driver']['rules']
    assert [r['id'] for r in rules] == ['EXO001', 'EXO002']
    assert [r['ruleIndex'] for r in results] == [0, 0, 1]
    assert rules[1]['name'] == 'SessionStateCheck'
    assert rules[1]['help']['text'] == 'Use Get-ConnectionInformation.'
    assert rules[1]['helpUri'] == 'https://example.invalid/h'
    assert 'Connect-ExchangeOnline' in rules[0]['help']['text']
    assert results[0]['partialFingerprints'] != results[2]['partialFingerprints']


# --- which implementation runs ----------------------------------------------------------------------

@pytest.mark.parametrize('family, expected', [('sh', ('.py', '')), ('powershell', ('.ps1', '.exe', ''))])
def test_helper_implementation_follows_the_shell(family, expected):
    class Connection(object):
        module_implementation_preferences = ('.ps1', '.exe', '') if family == 'powershell' else ('',)

    connection = Connection()
    connection._shell = types.SimpleNamespace(SHELL_FAMILY=family)
    seen = []
    action = types.SimpleNamespace(_connection=connection)
    action._execute_module = lambda **kw: seen.append(connection.module_implementation_preferences) or {'ok': kw['module_name']}
    assert action_mod.execute_platform_module(action, 'mailtls.remediation.exo_script_files', {}, {}) == {'ok': 'mailtls.remediation.exo_script_files'}
    assert seen == [expected]
    assert 'module_implementation_preferences' not in connection.__dict__  # restored to the class default


@pytest.mark.parametrize('encoding, label', [
    ({'codec': 'utf-16-le', 'bom': True, 'line_endings': 'crlf'}, 'utf-16-le bom crlf'),
    ({'encoding': 'utf-8', 'newline': '\n'}, 'utf-8'),
    (None, None),
])
def test_encoding_label(encoding, label):
    assert action_mod.encoding_label(encoding) == label


def test_documented_options_match_the_action_spec():
    import yaml
    from ansible_collections.mailtls.remediation.plugins.doc_fragments import exo_files
    from ansible_collections.mailtls.remediation.plugins.modules import exo_scripts as stub
    doc = yaml.safe_load(stub.DOCUMENTATION)['options']
    # The file selection options come from the shared doc fragment.
    assert 'mailtls.remediation.exo_files' in yaml.safe_load(stub.DOCUMENTATION)['extends_documentation_fragment']
    doc.update(yaml.safe_load(exo_files.ModuleDocFragment.DOCUMENTATION)['options'])
    assert set(doc) == set(action_mod.ARGUMENT_SPEC)
    for name, spec in action_mod.ARGUMENT_SPEC.items():
        for key in ('type', 'default', 'choices', 'elements'):
            assert doc[name].get(key) == spec.get(key), (name, key)


def test_dot_sourced_reader_of_a_removed_session_keeps_the_defining_file(monkeypatch, tmp_path):
    """Def-use across files: report.ps1 dot-sources connect.ps1 and passes its session to Invoke-Command."""
    from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo as real_engine
    root = tmp_path / 'scripts'
    root.mkdir()
    connect = ('$global:EXOSession = New-PSSession -ConfigurationName Microsoft.Exchange '
               '-ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection\n'
               'Import-PSSession $global:EXOSession | Out-Null\n')
    (root / 'connect.ps1').write_text(connect)
    (root / 'report.ps1').write_text('. "$PSScriptRoot\\connect.ps1"\nInvoke-Command -Session $EXOSession -ScriptBlock { Get-Mailbox }\n')
    (root / 'alone.ps1').write_text(connect.replace('EXOSession', 'Other'))
    h = Harness(monkeypatch, engine=real_engine)
    res = h.run({'mode': 'migrate', 'paths': [str(root)]})
    assert (root / 'connect.ps1').read_text() == connect
    assert 'Connect-ExchangeOnline' in (root / 'alone.ps1').read_text()
    blocked = [f for f in res['findings'] if f['id'] == 'EXO031' and f['path'].endswith('connect.ps1')]
    assert blocked and 'report.ps1' in blocked[0]['message'] and '$EXOSession' in blocked[0]['message']
    assert res['auth_limits'] and 'MFA' in res['auth_limits']


CONNECT_SESSION = ('$global:EXOSession = New-PSSession -ConfigurationName Microsoft.Exchange '
                   '-ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic '
                   '-AllowRedirection\nImport-PSSession $global:EXOSession | Out-Null\n')


@pytest.mark.parametrize('layout', ['reader_sources_connect', 'connect_sources_reader'])
def test_a_reader_the_prefilter_does_not_match_still_keeps_the_defining_file(monkeypatch, tmp_path, layout):
    """The reader mentions no Exchange endpoint or cmdlet, so it is no candidate; it still shares the scope."""
    from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo as real_engine
    root = tmp_path / 'scripts'
    root.mkdir()
    reader = 'if ($EXOSession.State -eq "Opened") { Remove-PSSession $EXOSession }\n'
    if layout == 'reader_sources_connect':
        connect = CONNECT_SESSION
        (root / 'nightly.ps1').write_text('. "$PSScriptRoot\\connect.ps1"\n' + reader)
        reader_name = 'nightly.ps1'
    else:
        connect = CONNECT_SESSION + '. "$PSScriptRoot\\cleanup.ps1"\n'
        (root / 'cleanup.ps1').write_text(reader)
        reader_name = 'cleanup.ps1'
    (root / 'connect.ps1').write_text(connect)
    (root / 'unrelated.ps1').write_text('Get-ChildItem | Out-Null\n')
    assert not real_engine.prefilter_match((root / reader_name).read_text())
    h = Harness(monkeypatch, engine=real_engine)
    res = h.run({'mode': 'migrate', 'paths': [str(root)]})
    assert (root / 'connect.ps1').read_text() == connect
    blocked = [f for f in res['findings'] if f['id'] == 'EXO031' and f['path'].endswith('connect.ps1')]
    assert blocked and reader_name in blocked[0]['message'] and '$EXOSession' in blocked[0]['message'], res['findings']
    # The reader was read for the check only: never a candidate, never written.
    assert res['candidates'] == [str(root / 'connect.ps1')]
    assert res['scope_files'] == [str(root / reader_name)]
    assert not res['changed']


def test_without_a_removed_name_no_second_scan_runs(monkeypatch, tmp_path):
    from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo as real_engine
    root = tmp_path / 'scripts'
    root.mkdir()
    (root / 'clean.ps1').write_text('Connect-ExchangeOnline -UserPrincipalName admin@contoso.example\nGet-Mailbox\n')
    h = Harness(monkeypatch, engine=real_engine)
    res = h.run({'mode': 'migrate', 'paths': [str(root)]})
    assert [c.get('state', 'scan') for c in h.calls] == ['scan']
    assert res['scope_files'] == []


@pytest.mark.parametrize('statement, name', [
    ('. "$PSScriptRoot\\connect.ps1"', 'connect.ps1'),
    ('. .\\connect.ps1', 'connect.ps1'),
    ('& .\\connect', 'connect.ps1'),
    ('. (Join-Path $PSScriptRoot "lib\\Connect-Tenant.ps1")', 'connect-tenant.ps1'),
    ("& (Join-Path -Path $here -ChildPath 'Connect.ps1') -Tenant x", 'connect.ps1'),
    ('if ($x) { . ./helpers/Connect.PS1 }', 'connect.ps1'),
])
def test_sourced_script_names(statement, name):
    assert name in action_mod._sourced_names(statement)


@pytest.mark.parametrize('text', ['Write-Host "see connect.ps1"', '$v = 1.5', 'Get-Item ./connect.ps1'])
def test_text_that_sources_nothing(text):
    # (A commented-out dot-source still counts: the check errs towards keeping a file as it is.)
    assert 'connect.ps1' not in action_mod._sourced_names(text)
