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
