# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mail_client_tls run in-process on real files: secrets, symlinks, special files, backups and the state record.

The module reads this host's real TLS stacks (as tls_facts does); every file is in ``tmp_path``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import pwd
import stat
import threading

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import _files
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import BACKUP_DIR
from ansible_collections.mailtls.remediation.plugins.modules import mail_client_tls as mod

CANARY = 'Canary-S3cret-9q'
NOBODY = 65534

# One file per supported format: a legacy setting (so the module changes the file and shows a diff) and the
# canary password, live and on a commented-out line.
CANARY_FILES = {
    '.fetchmailrc': (
        '# old account: poll legacy.example.org user "old" password "%(c)s"\n'
        'poll mail.example.org proto imap user "alice" password "%(c)s" ssl sslproto \'tls1\'\n'),
    '.muttrc': (
        'set imap_pass = "%(c)s"\n'
        '# set smtp_pass = "%(c)s"\n'
        'set folder = "imaps://alice:%(c)s@mail.example.org/"\n'
        'set ssl_use_tlsv1 = yes\n'),
    '.neomuttrc': 'set imap_pass=%(c)s\n#set pop_pass=%(c)s\nset ssl_use_tlsv1=yes\nset folder=imaps://mail.example.org/\n',
    '.mbsyncrc': 'IMAPAccount a\nHost mail.example.org\nUser alice\nPass %(c)s\n# Pass %(c)s\nSSLType IMAPS\nSSLVersions TLSv1\n',
    '.offlineimaprc': ('[general]\naccounts = a\n\n[Repository r]\ntype = IMAP\nremotehost = mail.example.org\n'
                       'remotepass = %(c)s\n# remotepass = %(c)s\nssl_version = tls1\n'),
    '.getmail/getmailrc': ('[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = mail.example.org\nusername = alice\n'
                           'password = %(c)s\n# password = %(c)s\nssl_version = tlsv1\n'),
    '.msmtprc': ('account a\nhost mail.example.org\ntls on\npassword %(c)s\n# password %(c)s\n'
                 '# passwordeval "echo %(c)s"\ntls_priorities NORMAL:-VERS-ALL:+VERS-TLS1.0\n'),
    '.imapfilter/config.lua': ("-- password = '%(c)s'\nacc = IMAP { server = 'mail.example.org', username = 'alice', "
                               "password = '%(c)s', ssl = 'tls1' }\n"),
    '.curlrc': '# user = "alice:%(c)s"\nuser = "alice:%(c)s"\n--tlsv1.0\n',
    '.thunderbird/p/prefs.js': ('user_pref("mail.smtpserver.smtp1.password", "%(c)s");\n'
                                '// user_pref("mail.server.server1.password", "%(c)s");\n'
                                'user_pref("security.tls.version.min", 1);\n'),
}


def run_main(args, capsys, check=False, diff=True):
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            mod.main()
    text = capsys.readouterr().out
    out = json.loads(text)
    out['_rc'] = exit_info.value.code
    out['_text'] = text
    return out


def _write(home, files):
    paths = []
    for name, text in files.items():
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text % {'c': CANARY})
        os.chmod(str(path), 0o600)
        paths.append(path)
    return paths


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / 'home'
    folder.mkdir()
    return folder


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / 'state')


def test_canary_password_never_leaves_in_any_format(home, state, capsys):
    paths = _write(home, CANARY_FILES)
    before = dict((str(p), p.read_bytes()) for p in paths)
    check = run_main({'paths': [str(p) for p in paths], 'state_dir': state}, capsys, check=True)
    assert check['_rc'] == 0 and check['changed'], check['_text']
    assert dict((str(p), p.read_bytes()) for p in paths) == before
    statuses = dict((os.path.relpath(f['path'], str(home)), f['status']) for f in check['files'])
    # imapfilter's ssl = 'tls1' is no version pin: nothing to change there (its record is still checked below)
    assert statuses == dict((name, 'unchanged' if 'imapfilter' in name else 'changed') for name in CANARY_FILES), statuses
    assert len(check['diff']) == len(CANARY_FILES) - 1
    real = run_main({'paths': [str(p) for p in paths], 'state_dir': state}, capsys)
    assert real['_rc'] == 0 and real['changed']
    second = run_main({'paths': [str(p) for p in paths], 'state_dir': state}, capsys)
    assert not second['changed']
    rollback = run_main({'state': 'rollback', 'state_dir': state}, capsys)
    assert rollback['changed'] and dict((str(p), p.read_bytes()) for p in paths) == before
    (home / '.thunderbird' / 'profiles.ini').write_text('[Profile0]\nName=p\nIsRelative=1\nPath=p\n')
    document = _posture.new_document('linux', 'h')
    passwd = [pwd.struct_passwd(('alice', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False)
    _posture.evaluate(document)
    assert sorted(set(c['client'] for c in document['clients'])) == sorted(
        ['fetchmail', 'mutt', 'neomutt', 'mbsync', 'offlineimap', 'getmail', 'msmtp', 'imapfilter', 'curl', 'thunderbird'])
    for output in (check['_text'], real['_text'], second['_text'], rollback['_text'], json.dumps(document)):
        assert CANARY not in output
    # the masked diff still shows what changes
    fetch = [d for d in check['diff'] if d['before_header'].endswith('.fetchmailrc')][0]
    assert "sslproto 'tls1'" in fetch['before'] and "sslproto 'tls1.2+'" in fetch['after'] and '********' in fetch['before']


def test_symlink_to_own_file_edits_the_target_and_keeps_the_link(home, state, capsys):
    dotfiles = home / 'dotfiles'
    dotfiles.mkdir()
    target = dotfiles / 'muttrc'
    target.write_text('set ssl_use_tlsv1=yes\nset folder=imaps://mail.example.org/\n')
    link = home / '.muttrc'
    link.symlink_to(target)
    original = target.read_bytes()
    result = run_main({'paths': [str(link)], 'state_dir': state}, capsys)
    assert result['_rc'] == 0 and result['files'][0]['status'] == 'changed', result['files']
    assert result['files'][0]['written'] == str(target)
    assert os.path.islink(str(link)) and os.readlink(str(link)) == str(target)
    assert b'ssl_use_tlsv1=no' in target.read_bytes()
    backup = result['backup_files'][0]['backup']
    assert os.path.dirname(backup) == str(dotfiles / BACKUP_DIR)
    rollback = run_main({'state': 'rollback', 'state_dir': state}, capsys)
    assert rollback['changed']
    assert os.path.islink(str(link)) and target.read_bytes() == original
    # what the change created (its backup and the backup directory) is gone: the tree is as it was
    assert not os.path.exists(backup) and not os.path.exists(str(dotfiles / BACKUP_DIR))
    assert sorted(os.listdir(str(dotfiles))) == ['muttrc']


def test_symlink_to_a_file_of_another_owner_is_left_alone(home, state, capsys, tmp_path):
    if os.geteuid() != 0:
        pytest.skip('needs root to give the target another owner')
    target = tmp_path / 'root-only.rc'
    target.write_text('poll x proto imap user "a" password "%s" sslproto \'tls1\'\n' % CANARY)
    os.chmod(str(target), 0o600)
    link = home / '.fetchmailrc'
    link.symlink_to(target)
    os.lchown(str(link), NOBODY, NOBODY)
    result = run_main({'paths': [str(link)], 'state_dir': state}, capsys)
    assert result['_rc'] == 0 and not result['changed']
    item = result['files'][0]
    assert item['status'] == 'link_refused', item
    assert CANARY not in result['_text'] and 'diff' not in result or not result['diff']
    assert b'tls1' in target.read_bytes() and os.path.islink(str(link))
    # root inventorying that user's home never reads through the link into the root-only file
    plan = mc.plan_file(str(link), 'fetchmail', {'min_protocol': 'tls1_2', 'move_legacy_endpoints': False}, {}, as_uid=NOBODY)
    assert plan['status'] == 'link_refused' and 'before' not in plan
    document = _posture.new_document('linux', 'h')
    os.chown(str(home), NOBODY, NOBODY)
    passwd = [pwd.struct_passwd(('nobodyuser', 'x', NOBODY, NOBODY, '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False)
    assert document['clients'] == []
    assert [f['id'] for f in document['findings']] == ['client_config_unparsable']
    assert CANARY not in json.dumps(document)


def test_fifo_device_huge_and_deeply_nested_files_are_findings(home, state, capsys):
    fifo = home / '.fetchmailrc'
    os.mkfifo(str(fifo))
    device = home / '.muttrc'
    device.symlink_to('/dev/zero')
    huge = home / '.mbsyncrc'
    huge.write_text('IMAPAccount a\nHost h\nSSLVersions TLSv1\n' + '#' * 2000000 + '\n')
    deep = home / 'policies.json'
    deep.write_text('{"policies": ' + '[' * 5000 + ']' * 5000 + '}')
    done = {}

    def run():
        done['result'] = run_main({'paths': [str(fifo), str(device), str(huge), str(deep)], 'state_dir': state}, capsys)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), 'mail_client_tls hung on a FIFO or a device'
    result = done['result']
    assert result['_rc'] == 0 and not result['changed'], result['_text']
    statuses = dict((os.path.basename(f['path']), f['status']) for f in result['files'])
    assert statuses == {'.fetchmailrc': 'special', '.muttrc': 'special', '.mbsyncrc': 'too_large', 'policies.json': 'unparsable'}
    assert 'Traceback' not in result['_text']
    document = _posture.new_document('linux', 'h')
    passwd = [pwd.struct_passwd(('alice', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False)
    assert sorted(f['id'] for f in document['findings']) == ['client_config_unparsable'] * 3
    parsed = mc.cl.parse('thunderbird_policies', deep.read_text())
    assert not parsed.ok and 'nested deeper' in parsed.errors[0]


def test_backups_are_unique_per_change_and_never_listed_as_clients(home, state, capsys):
    folder = home / '.getmail'
    folder.mkdir()
    rc = folder / 'getmailrc'
    rc.write_text('[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h\nusername = a\nssl_version = tlsv1\n')
    first = run_main({'paths': [str(rc)], 'state_dir': state}, capsys)
    rc.write_text(rc.read_text().replace('tlsv1_2', 'tlsv1'))
    second = run_main({'paths': [str(rc)], 'state_dir': state}, capsys)
    backups = [first['backup_files'][0]['backup'], second['backup_files'][0]['backup']]
    assert backups[0] != backups[1] and all(os.path.exists(b) for b in backups)
    assert all(os.path.dirname(b) == str(folder / BACKUP_DIR) for b in backups)
    passwd = [pwd.struct_passwd(('alice', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    found = mc.discover(passwd_entries=passwd, include_system=False)
    assert [f['path'] for f in found] == [str(rc)]
    third = run_main({'users': None, 'paths': [str(rc)], 'state_dir': state}, capsys)
    assert not third['changed']


def test_rollback_from_the_record_alone_restores_bytes_owner_and_mode(home, state, capsys):
    rc = home / '.mbsyncrc'
    rc.write_bytes(b'# \xff\xfe odd bytes\r\nIMAPAccount a\r\nHost h\r\nSSLVersions TLSv1\r\n')
    os.chmod(str(rc), 0o640)
    original = rc.read_bytes()
    real = run_main({'paths': [str(rc)], 'state_dir': state, 'backup': False}, capsys)
    assert real['changed'] and real['backup_files'] == [] and real['created_files'] == []
    assert rc.read_bytes() != original
    record = json.loads(open(real['state_file']).read())
    assert stat.S_IMODE(os.stat(real['state_file']).st_mode) == 0o600
    assert record['runs'][-1]['changes'][0]['path'] == str(rc)
    check = run_main({'state': 'rollback', 'state_dir': state}, capsys, check=True)
    assert check['changed'] and rc.read_bytes() != original
    rollback = run_main({'state': 'rollback', 'state_dir': state}, capsys)
    assert rollback['changed'] and rollback['files'][0]['status'] == 'restored'
    assert rc.read_bytes() == original and stat.S_IMODE(os.stat(str(rc)).st_mode) == 0o640
    again = run_main({'state': 'rollback', 'state_dir': state}, capsys)
    assert not again['changed']


def test_corrupt_record_and_unwritable_state_dir_fail_cleanly(home, tmp_path, capsys):
    state = tmp_path / 'state'
    state.mkdir()
    (state / _files.RECORD_NAME).write_text('{"version": 1, "runs": [{"changes": [')
    result = run_main({'state': 'rollback', 'state_dir': str(state)}, capsys)
    assert result['_rc'] == 1 and result['failed'] and 'corrupt or truncated' in result['msg'], result['msg']
    assert 'Traceback' not in result['_text']
    rc = home / '.curlrc'
    rc.write_text('--tlsv1.0\n')
    before = rc.read_bytes()
    blocked = tmp_path / 'not-a-dir'
    blocked.write_text('a file where the state directory should be')
    result = run_main({'paths': [str(rc)], 'state_dir': str(blocked / 'state')}, capsys)
    assert result['_rc'] == 1 and 'nothing was changed' in result['msg']
    assert rc.read_bytes() == before and not os.path.exists(str(home / BACKUP_DIR))
