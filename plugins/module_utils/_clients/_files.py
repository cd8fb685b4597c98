# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: reading and writing mail client files safely.

* ``read_client_file`` never blocks and never follows a link where it must not:
  it ``lstat``s first, refuses FIFOs, devices and sockets, resolves a symlink
  and, when root reads for a user (``as_uid``), only follows it into a regular
  file that user can read (owner and mode checked with the user's uid and
  groups); it opens with ``O_NONBLOCK`` and checks the opened file again.
* ``edit_target`` says which file an edit may replace: the file itself, or the
  target of a symlink when that target is a regular file owned by the owner of
  the link; the link itself is never replaced.
* ``replace_file`` writes atomically with a backup in a ``.mailtls-backup``
  directory next to the file (names unique per change, never matching a client
  file pattern), keeping owner, group and mode.
* ``StateRecord`` is the record ``state=rollback`` works from.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import errno
import json
import os
import stat

from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import (
    READ_FLAGS, FileChangedError, file_kind, fsync_dir, sha256_bytes, unlink_quietly, write_temp_like)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import BACKUP_DIR, backup_name


class Read(object):
    """What a read found: ``data`` (bytes or None), ``status`` and, for a link, the ``target`` that was read."""

    def __init__(self, path, status, error=None, data=None, st=None, target=None, link_st=None):
        self.path = path
        self.status = status
        self.error = error
        self.data = data
        self.stat = st
        self.target = target
        self.link_stat = link_st

    @property
    def sha256(self):
        return sha256_bytes(self.data) if self.data is not None else None


def user_groups(uid):
    """The primary and supplementary group ids of ``uid`` (empty when unknown)."""
    try:
        import grp
        import pwd
        entry = pwd.getpwuid(uid)
    except (KeyError, ImportError):
        return set()
    groups = set([entry.pw_gid])
    try:
        groups.update(g.gr_gid for g in grp.getgrall() if entry.pw_name in g.gr_mem)
    except (KeyError, OSError):
        pass
    return groups


def can_read(st, uid, groups=None):
    """Whether ``uid`` may read a file with this stat (owner, group and other bits; root reads anything)."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IRUSR)
    if st.st_gid in (groups if groups is not None else user_groups(uid)):
        return bool(st.st_mode & stat.S_IRGRP)
    return bool(st.st_mode & stat.S_IROTH)


def read_client_file(path, max_bytes, as_uid=None):
    """Read a client file without blocking or following links where the user could not.

    status: read, missing, special (FIFO/device/socket/directory), link_refused, unreadable, too_large.
    """
    try:
        lst = os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return Read(path, 'missing', 'does not exist')
        return Read(path, 'unreadable', str(exc))
    target = path
    link_st = None
    if stat.S_ISLNK(lst.st_mode):
        link_st = lst
        target = os.path.realpath(path)
        try:
            st = os.stat(target)
        except OSError as exc:
            return Read(path, 'missing' if exc.errno in (errno.ENOENT, errno.ENOTDIR) else 'unreadable',
                        'symbolic link to %s, which cannot be read: %s' % (target, exc.strerror), target=target, link_st=lst)
        if not stat.S_ISREG(st.st_mode):
            return Read(path, 'special', 'symbolic link to %s, which is %s; left alone' % (target, file_kind(st.st_mode)), st=st,
                        target=target, link_st=lst)
        uid = as_uid if as_uid is not None else None
        if uid is not None and uid != 0 and not can_read(st, uid):
            return Read(path, 'link_refused', 'symbolic link to %s, which its user (uid %d) cannot read; not followed' % (target, uid),
                        target=target, link_st=lst)
    else:
        st = lst
        if not stat.S_ISREG(st.st_mode):
            return Read(path, 'special', '%s; left alone' % file_kind(st.st_mode), st=st)
        if as_uid is not None and as_uid != 0 and not can_read(st, as_uid):
            return Read(path, 'unreadable', 'its user (uid %d) cannot read it; not read' % as_uid, st=st)
    if st.st_size > max_bytes:
        return Read(path, 'too_large', '%d bytes, more than the %d byte limit' % (st.st_size, max_bytes), st=st, target=target, link_st=link_st)
    flags = READ_FLAGS
    if link_st is None:
        flags |= getattr(os, 'O_NOFOLLOW', 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        return Read(path, 'unreadable', str(exc), st=st, target=target, link_st=link_st)
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode) or (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            return Read(path, 'unreadable', 'changed while it was opened; left alone', st=st, target=target, link_st=link_st)
        chunks = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return Read(path, 'unreadable', str(exc), st=st, target=target, link_st=link_st)
    finally:
        os.close(fd)
    data = b''.join(chunks)
    if len(data) > max_bytes:
        return Read(path, 'too_large', 'more than the %d byte limit' % max_bytes, st=st, target=target, link_st=link_st)
    return Read(path, 'read', data=data, st=fst, target=target, link_st=link_st)


def edit_target(read):
    """(path to replace, None) or (None, why not): a link is kept and its target edited only when both have one owner."""
    if read.link_stat is None:
        return read.path, None
    if read.stat is None or not stat.S_ISREG(read.stat.st_mode):
        return None, 'symbolic link to something that is not a regular file'
    if read.stat.st_uid != read.link_stat.st_uid:
        return None, ('symbolic link to %s, owned by uid %d while the link belongs to uid %d; left alone'
                      % (read.target, read.stat.st_uid, read.link_stat.st_uid))
    return read.target, None


def _backup_dir(path, like_stat):
    """The backup directory next to ``path``: (folder, created now?)."""
    folder = os.path.join(os.path.dirname(path), BACKUP_DIR)
    try:
        st = os.lstat(folder)
    except OSError:
        os.mkdir(folder, 0o700)
        if os.geteuid() == 0 and like_stat is not None:
            os.chown(folder, like_stat.st_uid, like_stat.st_gid)
        return folder, True
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise OSError(errno.EEXIST, '%s exists and is not a directory' % folder)
    return folder, False


def replace_file(path, new_data, expected_sha256, backup=True, created=None):
    """Atomically replace the regular file ``path`` if it still hashes to ``expected_sha256``; returns the backup path or None.

    ``created`` (a list) gets the backup directory when this call made it, so a rollback can remove it again.
    """
    current = read_client_file(path, max(4 * 1024 * 1024, len(new_data) * 2 + 1024))
    if current.data is None or current.sha256 != expected_sha256 or current.link_stat is not None:
        raise FileChangedError('%s changed since it was read (expected sha256 %s, found %s); not overwritten'
                               % (path, expected_sha256, current.sha256 or current.status))
    backup_file = None
    if backup:
        folder, made = _backup_dir(path, current.stat)
        if made and created is not None:
            created.append(folder)
        backup_file = backup_name(path)
        while os.path.lexists(backup_file):
            backup_file = backup_name(path)
        tmp = write_temp_like(backup_file, current.data, current.stat)
        os.rename(tmp, backup_file)
    tmp = write_temp_like(path, new_data, current.stat, xattrs_from=path)
    try:
        again = read_client_file(path, max(4 * 1024 * 1024, len(new_data) * 2 + 1024))
        if again.sha256 != expected_sha256:
            raise FileChangedError('%s changed while the new version was being written; not overwritten' % path)
        os.rename(tmp, path)
    except Exception:
        unlink_quietly(tmp)
        raise
    fsync_dir(os.path.dirname(path))
    return backup_file


def restore_bytes(path, data, mode, uid, gid):
    """Put ``data`` back at ``path`` (a regular file or missing) with this owner and mode, atomically."""
    try:
        lst = os.lstat(path)
    except OSError:
        lst = None
    if lst is not None and not stat.S_ISREG(lst.st_mode):
        raise OSError(errno.EEXIST, '%s is no longer a regular file; not restored' % path)

    class _Like(object):
        st_uid, st_gid, st_mode = uid, gid, mode

    tmp = write_temp_like(path, data, _Like(), require_owner=os.geteuid() == 0)
    os.rename(tmp, path)
    fsync_dir(os.path.dirname(path))


# ---------------------------------------------------------------------------
# the state record
# ---------------------------------------------------------------------------

RECORD_NAME = 'mail_client_tls.json'
RECORD_VERSION = 1


class RecordError(Exception):
    """The record exists but cannot be used (corrupt, truncated, wrong version)."""


class StateRecord(object):
    """``<state_dir>/mail_client_tls.json``: one run per ``runs`` item, each with what it changed.

    A change item: ``path`` (the file replaced: a link's target), ``link`` (the link, if any), ``backup``,
    ``before_sha256``, ``after_sha256``, ``mode``, ``uid``, ``gid``, ``created``, and the original bytes
    (``before_b64``) so that a rollback needs nothing else.  The file is mode 0600 in a 0700 directory.
    """

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.path = os.path.join(state_dir, RECORD_NAME)

    def load(self):
        try:
            with open(self.path, 'rb') as handle:
                data = handle.read()
        except IOError as exc:
            if exc.errno == errno.ENOENT:
                return {'version': RECORD_VERSION, 'runs': []}
            raise RecordError('cannot read %s: %s' % (self.path, exc.strerror))
        try:
            doc = json.loads(data.decode('utf-8'))
        except (ValueError, UnicodeDecodeError) as exc:
            raise RecordError('%s is corrupt or truncated (%s); nothing was restored. Fix or remove it, or pass backup_files'
                              % (self.path, str(exc).split(':', maxsplit=1)[0]))
        if not isinstance(doc, dict) or doc.get('version') != RECORD_VERSION or not isinstance(doc.get('runs'), list):
            raise RecordError('%s is not a mail_client_tls record of version %d; nothing was restored' % (self.path, RECORD_VERSION))
        for run in doc['runs']:
            if not isinstance(run, dict) or not isinstance(run.get('changes'), list):
                raise RecordError('%s holds a malformed run; nothing was restored' % self.path)
        return doc

    def check_writable(self):
        """Raise OSError unless the record can be written (checked before anything changes)."""
        if not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir, 0o700)
        probe = os.path.join(self.state_dir, '.%s.probe.%d' % (RECORD_NAME, os.getpid()))
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
        self.load()

    def save(self, doc):
        data = json.dumps(doc, indent=1, sort_keys=True).encode('utf-8')
        tmp = write_temp_like(self.path, data, None)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.path)
        fsync_dir(self.state_dir)

    def append_run(self, run):
        doc = self.load()
        doc['runs'].append(run)
        self.save(doc)

    def last_run(self):
        doc = self.load()
        for run in reversed(doc['runs']):
            if run.get('changes') and not run.get('rolled_back'):
                return doc, run
        return doc, None


def change_item(path, link, backup, before, after, st, backup_dir_created=None):
    return {'path': path, 'link': link, 'backup': backup, 'before_sha256': sha256_bytes(before), 'after_sha256': sha256_bytes(after),
            'mode': stat.S_IMODE(st.st_mode), 'uid': st.st_uid, 'gid': st.st_gid, 'created': False,
            'backup_dir_created': backup_dir_created, 'before_b64': base64.b64encode(before).decode('ascii')}


def remove_backup(item):
    """After a restore: remove the backup this change made (if it still is the original) and the directory it created."""
    backup = item.get('backup')
    if backup:
        current = read_client_file(backup, 64 * 1024 * 1024)
        if current.data is not None and current.link_stat is None and current.sha256 == item.get('before_sha256'):
            unlink_quietly(backup)
    folder = item.get('backup_dir_created')
    if folder:
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty: other backups still live there


def item_bytes(item):
    try:
        data = base64.b64decode(item['before_b64'].encode('ascii'), validate=True)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise RecordError('the record entry for %s has no usable original content' % item.get('path'))
    if sha256_bytes(data) != item.get('before_sha256'):
        raise RecordError('the recorded original of %s does not match its checksum' % item.get('path'))
    return data
