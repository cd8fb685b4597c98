# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the atomic write building blocks in _atomic."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import stat

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _atomic
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import (
    FileChangedError, OwnerNotKeptError, atomic_replace, fsync_dir, sha256_bytes, write_temp_like,
)

IS_ROOT = hasattr(os, 'geteuid') and os.geteuid() == 0


@pytest.fixture
def original(tmp_path):
    path = tmp_path / 'app.conf'
    path.write_bytes(b'old\n')
    os.chmod(str(path), 0o640)
    return path


def temp_files(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith('.tmp'))


def record_chown(monkeypatch):
    calls = []

    def fake_chown(path, uid, gid):
        calls.append((path, uid, gid))

    monkeypatch.setattr(os, 'chown', fake_chown)
    return calls


def test_temp_file_sits_next_to_the_target_with_its_mode(original):
    tmp = write_temp_like(str(original), b'new\n', os.stat(str(original)))
    assert os.path.dirname(tmp) == str(original.parent)
    assert os.path.basename(tmp).startswith('.app.conf.') and tmp.endswith('.tmp')
    with open(tmp, 'rb') as handle:
        assert handle.read() == b'new\n'
    assert stat.S_IMODE(os.stat(tmp).st_mode) == 0o640
    assert original.read_bytes() == b'old\n'


def test_without_like_stat_nothing_is_copied(original, monkeypatch):
    calls = record_chown(monkeypatch)
    tmp = write_temp_like(str(original), b'x', None)
    assert calls == [] and stat.S_IMODE(os.stat(tmp).st_mode) == 0o600


def test_default_gives_the_file_away_only_as_root(original, monkeypatch):
    calls = record_chown(monkeypatch)
    like = os.stat(str(original))
    monkeypatch.setattr(os, 'geteuid', lambda: 1000)
    write_temp_like(str(original), b'x', like)
    assert calls == []
    monkeypatch.setattr(os, 'geteuid', lambda: 0)
    tmp = write_temp_like(str(original), b'x', like)
    assert calls == [(tmp, like.st_uid, like.st_gid)]


def test_required_owner_is_not_set_when_it_is_already_ours(original, monkeypatch):
    calls = record_chown(monkeypatch)
    like = os.stat(str(original))
    monkeypatch.setattr(os, 'getuid', lambda: like.st_uid)
    monkeypatch.setattr(os, 'getgid', lambda: like.st_gid)
    write_temp_like(str(original), b'x', like, require_owner=True)
    assert calls == []


def test_required_owner_that_cannot_be_set_raises_and_leaves_nothing(original, monkeypatch):
    def refuse(path, uid, gid):
        raise PermissionError(errno.EPERM, 'Operation not permitted')

    monkeypatch.setattr(os, 'chown', refuse)
    monkeypatch.setattr(os, 'getuid', lambda: 999999)
    with pytest.raises(OwnerNotKeptError):
        write_temp_like(str(original), b'x', os.stat(str(original)), require_owner=True)
    assert temp_files(original.parent) == []


def test_other_chown_errors_are_not_reported_as_owner_refusals(original, monkeypatch):
    def broken(path, uid, gid):
        raise OSError(errno.EIO, 'I/O error')

    monkeypatch.setattr(os, 'chown', broken)
    monkeypatch.setattr(os, 'getuid', lambda: 999999)
    with pytest.raises(OSError) as info:
        write_temp_like(str(original), b'x', os.stat(str(original)), require_owner=True)
    assert not isinstance(info.value, OwnerNotKeptError) and info.value.errno == errno.EIO
    assert temp_files(original.parent) == []


@pytest.mark.skipif(not IS_ROOT, reason='giving a file to another user needs root')
def test_owner_change_keeps_set_id_bits(tmp_path):
    path = tmp_path / 'tool'
    path.write_bytes(b'#!/bin/sh\n')
    os.chown(str(path), 4321, 4321)
    os.chmod(str(path), 0o6755)
    for require_owner in (False, True):
        tmp = write_temp_like(str(path), b'#!/bin/sh\n', os.stat(str(path)), require_owner=require_owner)
        st = os.stat(tmp)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4321, 0o6755)


def test_extended_attributes_follow_when_asked(original):
    try:
        os.setxattr(str(original), 'user.mailtls_test', b'kept')
    except (OSError, AttributeError):
        pytest.skip('user extended attributes are not supported here')
    plain = write_temp_like(str(original), b'x', os.stat(str(original)))
    assert 'user.mailtls_test' not in os.listxattr(plain)
    copied = write_temp_like(str(original), b'x', os.stat(str(original)), xattrs_from=str(original))
    assert os.getxattr(copied, 'user.mailtls_test') == b'kept'


def test_failed_write_removes_the_temp_file(original, monkeypatch):
    def no_chmod(path, mode):
        raise OSError(errno.EROFS, 'Read-only file system')

    monkeypatch.setattr(os, 'chmod', no_chmod)
    with pytest.raises(OSError):
        write_temp_like(str(original), b'x', os.stat(str(original)))
    assert temp_files(original.parent) == []


def test_fsync_dir_ignores_a_missing_directory(tmp_path):
    fsync_dir(str(tmp_path))
    fsync_dir(str(tmp_path / 'gone'))


def test_atomic_replace_keeps_mode_and_backup(original, tmp_path):
    backup = atomic_replace(str(original), b'new\n', sha256_bytes(b'old\n'), backup_dir=str(tmp_path))
    assert original.read_bytes() == b'new\n' and stat.S_IMODE(original.stat().st_mode) == 0o640
    with open(backup, 'rb') as handle:
        assert handle.read() == b'old\n'
    assert backup.endswith(_atomic.BACKUP_SUFFIX)
    with pytest.raises(FileChangedError):
        atomic_replace(str(original), b'newer\n', sha256_bytes(b'old\n'))
    assert original.read_bytes() == b'new\n'
    assert temp_files(original.parent) == []


def test_read_file_never_opens_a_fifo_or_a_device(tmp_path):
    fifo = tmp_path / 'pipe'
    os.mkfifo(str(fifo))
    result = _atomic.read_file(str(fifo))
    assert result.data is None and result.status == 'unreadable' and 'FIFO' in result.error
    device = _atomic.read_file('/dev/zero')
    assert device.data is None and 'character device' in device.error
    with pytest.raises(_atomic.NotRegularFileError):
        _atomic.open_regular(str(fifo))
    link = tmp_path / 'link'
    link.symlink_to(fifo)
    assert 'FIFO' in _atomic.read_file(str(link)).error, 'a symlink to a FIFO is not followed into a read'


@pytest.mark.parametrize('data, problem', [
    (b'{"version": 1, "entries": [{"pa', 'truncated or corrupt'),
    (b'', 'truncated or corrupt'),
    (b'\xff\xfe', 'truncated or corrupt'),
    (b'[]', 'no valid entries'),
    (b'{"entries": [42]}', 'no valid entries'),
])
def test_read_manifest_names_the_file_when_it_is_unusable(tmp_path, data, problem):
    record = tmp_path / 'system_tls.json'
    record.write_bytes(data)
    with pytest.raises(_atomic.ManifestError) as err:
        _atomic.read_manifest(str(record))
    assert str(record) in str(err.value) and problem in str(err.value)
    with pytest.raises(_atomic.ManifestError):
        _atomic.write_manifest(str(record), [{'path': '/x'}])
    assert record.read_bytes() == data, 'an unusable record is never overwritten'
    assert str(record) in _atomic.check_state_dir(str(tmp_path), 'system_tls.json')


def test_write_manifest_appends_and_check_state_dir_creates_the_directory(tmp_path):
    state = tmp_path / 'a' / 'state'
    assert _atomic.read_manifest(str(state / 'm.json')) is None
    assert _atomic.check_state_dir(str(state), 'm.json', create=False) is None, 'check mode: the parent is writable'
    assert not state.exists(), 'check mode creates nothing'
    assert _atomic.check_state_dir(str(state), 'm.json') is None
    assert state.is_dir() and os.listdir(str(state)) == []
    _atomic.write_manifest(str(state / 'm.json'), [{'path': '/a', 'run': '1'}])
    _atomic.write_manifest(str(state / 'm.json'), [{'path': '/b', 'run': '2'}])
    assert [e['path'] for e in _atomic.read_manifest(str(state / 'm.json'))] == ['/a', '/b']


def test_check_state_dir_refuses_a_path_under_a_file(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    for create in (True, False):
        reason = _atomic.check_state_dir(str(blocker / 'state'), 'm.json', create=create)
        assert reason and str(blocker / 'state') in reason
