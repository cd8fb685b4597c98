# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: safe file reads and writes for the remediation modules.

Every write here follows the same contract, so a change fails closed and loses
nothing: read with a fingerprint, refuse to write when the file changed since
it was read, keep a byte-for-byte backup, write a temporary file in the same
directory with the original owner, group, mode and SELinux context, fsync, then
rename over the original.  ``restore_backup`` is the rollback.

``write_temp_like`` and ``fsync_dir`` are the building blocks, also used by
modules with their own backup naming (exo_script_files).

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import hashlib
import json
import os
import stat
import subprocess
import tempfile
import time

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
BACKUP_SUFFIX = '.mailtls-backup'


class FileChangedError(Exception):
    """The file on disk is not the one that was read and planned against."""


class ReadResult(object):
    """What a read found: bytes (or None), a fingerprint, and why it failed."""

    def __init__(self, path, data=None, error=None, status='read', st=None):
        self.path = path
        self.data = data
        self.error = error
        self.status = status
        self.stat = st

    @property
    def sha256(self):
        return sha256_bytes(self.data) if self.data is not None else None

    @property
    def exists(self):
        return self.status != 'missing'


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


_FILE_KINDS = ((stat.S_ISFIFO, 'a FIFO (named pipe)'), (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
               (stat.S_ISSOCK, 'a socket'), (stat.S_ISDIR, 'a directory'))


def file_kind(mode):
    """'a FIFO (named pipe)', 'a character device', ... for a non-regular st_mode; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, label in _FILE_KINDS:
        if test(mode):
            return label
    return 'not a regular file'


class NotRegularFileError(OSError):
    """The path is a FIFO, a device, a socket or a directory: reading it could block or never end."""

    def __init__(self, path, kind):
        super(NotRegularFileError, self).__init__(errno.EINVAL, 'is %s, not a regular file' % kind, path)
        self.kind = kind


# Read-only opens that a FIFO or a terminal swapped in after the type check cannot block.
READ_FLAGS = os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOCTTY', 0) | getattr(os, 'O_CLOEXEC', 0)


def open_regular(path):
    """Open ``path`` for reading only if it is (or a symlink resolves to) a regular file.

    The type is checked with lstat/stat before the open, the open itself uses
    O_NONBLOCK (a FIFO swapped in between cannot block it) and the opened
    descriptor is checked again with fstat.  Returns a binary file object;
    raises NotRegularFileError or OSError.
    """
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        st = os.stat(path)
    kind = file_kind(st.st_mode)
    if kind:
        raise NotRegularFileError(path, kind)
    fd = os.open(path, READ_FLAGS)
    try:
        fst = os.fstat(fd)
        kind = file_kind(fst.st_mode)
        if kind:
            raise NotRegularFileError(path, kind)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            raise OSError(errno.EAGAIN, 'changed while it was being opened', path)
        return os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise


def read_file(path, max_bytes=DEFAULT_MAX_BYTES):
    """Read a file without raising: status is read, missing, unreadable or too_large.

    FIFOs, devices and sockets are never opened for reading (status unreadable, the error says what they are), so a read cannot hang.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return ReadResult(path, status='missing', error='does not exist')
        return ReadResult(path, status='unreadable', error=str(exc))
    kind = file_kind(st.st_mode)
    if kind:
        return ReadResult(path, status='unreadable', error='is %s, not a regular file' % kind, st=st)
    if st.st_size > max_bytes:
        return ReadResult(path, status='too_large', error='%d bytes, more than the %d byte limit' % (st.st_size, max_bytes), st=st)
    try:
        with open_regular(path) as handle:
            data = handle.read(max_bytes + 1)
    except NotRegularFileError as exc:
        return ReadResult(path, status='unreadable', error='is %s, not a regular file' % exc.kind, st=st)
    except (IOError, OSError) as exc:
        return ReadResult(path, status='unreadable', error=str(exc), st=st)
    if len(data) > max_bytes:
        return ReadResult(path, status='too_large', error='more than the %d byte limit' % max_bytes, st=st)
    return ReadResult(path, data=data, st=st)


def _selinux_context(path):
    try:
        return os.getxattr(path, 'security.selinux')
    except (OSError, AttributeError):
        return None


def _apply_selinux_context(path, context):
    if context is None:
        return
    try:
        os.setxattr(path, 'security.selinux', context)
    except (OSError, AttributeError):
        # Not fatal where SELinux is off; restorecon below covers policy defaults.
        pass


_STAMP_COUNTER = [0]


def unique_stamp():
    """A name part unique per change, not per second: UTC time with nanoseconds, the process id and a counter."""
    _STAMP_COUNTER[0] += 1
    return '%s.%09d.%d.%d' % (time.strftime('%Y%m%dT%H%M%S', time.gmtime()), time.time_ns() % 1000000000, os.getpid(),
                              _STAMP_COUNTER[0])


def backup_path_for(path, backup_dir=None, stamp=None):
    stamp = stamp or unique_stamp()
    name = '%s.%s%s' % (os.path.basename(path), stamp, BACKUP_SUFFIX)
    return os.path.join(backup_dir or os.path.dirname(path), name)


class OwnerNotKeptError(Exception):
    """The temporary file could not be given the owner and group of the file it replaces."""


def _copy_owner(path, like_stat, require_owner):
    wanted = (like_stat.st_uid, like_stat.st_gid)
    if not require_owner:
        # Only root can give a file away; anyone else silently keeps their own ownership.
        if os.geteuid() == 0:
            os.chown(path, wanted[0], wanted[1])
        return
    if wanted == (os.getuid(), os.getgid()):
        return
    try:
        os.chown(path, wanted[0], wanted[1])
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EACCES):
            raise OwnerNotKeptError('cannot set owner %d:%d on %s (not permitted)' % (wanted[0], wanted[1], path))
        raise


def copy_xattrs(src, dst):
    """Best effort: every extended attribute of ``src`` (SELinux label, POSIX ACLs, user.*) onto ``dst``."""
    if not hasattr(os, 'listxattr'):
        return
    try:
        names = os.listxattr(src)
    except OSError:
        return
    for name in names:
        try:
            os.setxattr(dst, name, os.getxattr(src, name))
        except OSError:
            continue


def write_temp_like(path, data, like_stat, context=None, require_owner=False, xattrs_from=None):
    """Write ``data`` to a new temporary file in the directory of ``path`` and return its name.

    With ``like_stat`` the temporary file gets its owner, group and mode.  The
    owner and group are copied only when running as root, unless
    ``require_owner``: then they are copied whenever they are not the process's
    own, and OwnerNotKeptError is raised when that is not permitted.
    ``context`` is a SELinux label to set; ``xattrs_from`` a path whose extended
    attributes are all copied (best effort).  Nothing is left behind on failure.
    """
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if like_stat is not None:
            # Owner first: chown clears set-user/group-ID bits that the chmod then puts back.
            _copy_owner(tmp, like_stat, require_owner)
            os.chmod(tmp, stat.S_IMODE(like_stat.st_mode))
        _apply_selinux_context(tmp, context)
        if xattrs_from is not None:
            copy_xattrs(xattrs_from, tmp)
    except BaseException:
        unlink_quietly(tmp)
        raise
    return tmp


def unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_dir(directory):
    """Make a rename or unlink in ``directory`` durable; errors are ignored (not every file system allows it)."""
    try:
        fd = os.open(directory or '.', os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _make_parents(path, created_dirs):
    """Create the missing parent directories of ``path``; append each one made to ``created_dirs`` (outermost first)."""
    missing = []
    parent = os.path.dirname(path)
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for folder in reversed(missing):
        os.mkdir(folder, 0o755)
        if created_dirs is not None:
            created_dirs.append(folder)


def atomic_replace(path, new_data, expected_sha256, backup=True, backup_dir=None, mode_if_new=0o644, created_dirs=None):
    """Replace ``path`` with ``new_data`` if it still hashes to ``expected_sha256``.

    ``expected_sha256`` is None for a file that did not exist when planned; the
    directories made for it are appended to ``created_dirs`` when a list is
    given, so a rollback can remove them again.
    Returns the backup path (or None).  Raises FileChangedError when the file
    moved under us; OSError for I/O failures (nothing is half-written).
    """
    current = read_file(path, max_bytes=max(DEFAULT_MAX_BYTES, len(new_data) * 2 + 1024))
    if expected_sha256 is None:
        if current.exists:
            raise FileChangedError('%s appeared after it was read' % path)
        like, context = None, None
        _make_parents(path, created_dirs)
    else:
        if current.data is None or current.sha256 != expected_sha256:
            raise FileChangedError('%s changed since it was read (expected sha256 %s, found %s); not overwritten'
                                   % (path, expected_sha256, current.sha256 or current.status))
        like, context = current.stat, _selinux_context(path)
    backup_file = None
    if backup and current.data is not None:
        backup_file = backup_path_for(path, backup_dir)
        tmp_backup = write_temp_like(backup_file, current.data, current.stat, context)
        os.rename(tmp_backup, backup_file)
    tmp = write_temp_like(path, new_data, like, context)
    if like is None:
        os.chmod(tmp, mode_if_new)
    try:
        # Last look right before the rename keeps the race window to a syscall.
        if expected_sha256 is not None and read_file(path).sha256 != expected_sha256:
            raise FileChangedError('%s changed while the new version was being written; not overwritten' % path)
        os.rename(tmp, path)
    except Exception:
        unlink_quietly(tmp)
        raise
    fsync_dir(os.path.dirname(path))
    _restorecon(path)
    return backup_file


def _restorecon(path):
    for candidate in ('/sbin/restorecon', '/usr/sbin/restorecon'):
        if os.path.exists(candidate) and os.path.exists('/sys/fs/selinux/enforce'):
            subprocess.call([candidate, '-F', path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return


def remove_created(path, expected_sha256, created_dirs=()):
    """Undo the creation of a file: remove it if it is still exactly what was written.

    The directories the change made for it (``created_dirs``, outermost first)
    go too, innermost first, while they are empty.  Returns True if the file
    was removed, False if it was already gone; raises FileChangedError if
    someone changed it since.
    """
    current = read_file(path)
    removed = False
    if current.exists:
        if current.sha256 != expected_sha256:
            raise FileChangedError('%s was created by the change but has been modified since (sha256 %s); not removed'
                                   % (path, current.sha256 or current.status))
        os.unlink(path)
        fsync_dir(os.path.dirname(path))
        removed = True
    for folder in reversed(list(created_dirs or ())):
        try:
            os.rmdir(folder)
        except OSError:
            break  # not empty (someone else's files) or already gone: leave it and everything above it
    return removed


def restore_backup(path, backup_file):
    """Put a backup back in place byte for byte; returns True if anything changed."""
    saved = read_file(backup_file)
    if saved.data is None:
        raise IOError('backup %s cannot be read: %s' % (backup_file, saved.error))
    current = read_file(path)
    if current.data == saved.data:
        return False
    like = current.stat if current.stat is not None else saved.stat
    tmp = write_temp_like(path, saved.data, like, _selinux_context(path) if current.exists else None)
    os.rename(tmp, path)
    fsync_dir(os.path.dirname(path))
    return True


class ManifestError(IOError):
    """The rollback record exists but cannot be used (truncated, corrupt, unreadable)."""


def read_manifest(manifest_path):
    """The entries recorded in ``manifest_path``: None when there is no record, ManifestError when it is unusable."""
    existing = read_file(manifest_path)
    if existing.status == 'missing':
        return None
    if existing.data is None:
        raise ManifestError('the rollback record %s cannot be read: %s' % (manifest_path, existing.error))
    try:
        data = json.loads(existing.data.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError('the rollback record %s is truncated or corrupt (%s); restore it from a backup or roll back with '
                            'explicit backup_files' % (manifest_path, exc))
    entries = data.get('entries') if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get('path'), str) for e in entries):
        raise ManifestError('the rollback record %s has no valid entries list; restore it from a backup or roll back with '
                            'explicit backup_files' % manifest_path)
    return entries


def check_state_dir(state_dir, manifest_name, create=True):
    """Make sure a rollback record can be written to ``state_dir/manifest_name`` BEFORE anything changes.

    With ``create`` the directory is created (mode 0700) and a probe file is
    written and removed; without (check mode) the nearest existing directory
    is tested with access(2).  An existing record must be readable and
    valid, since the next write appends to it.  Returns None when fine, else
    the reason as a sentence.
    """
    manifest_path = os.path.join(state_dir, manifest_name)
    if not create:
        probe = state_dir
        while probe and not os.path.exists(probe):
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
            return 'the state directory %s cannot be written (%s is not a writable directory)' % (state_dir, probe)
    else:
        try:
            if not os.path.isdir(state_dir):
                os.makedirs(state_dir, 0o700)
            fd, tmp = tempfile.mkstemp(prefix='.writable.', dir=state_dir)
            os.close(fd)
            os.unlink(tmp)
        except (IOError, OSError) as exc:
            return 'the state directory %s cannot be written: %s' % (state_dir, exc)
    try:
        read_manifest(manifest_path)
    except ManifestError as exc:
        return str(exc)
    if os.path.exists(manifest_path) and not os.access(manifest_path, os.R_OK):
        return 'the rollback record %s cannot be read' % manifest_path
    return None


def mark_run_rolled_back(manifest_path, run_id, when):
    """Note in the record that the entries of ``run_id`` were undone, so the next rollback goes one run further back."""
    entries = read_manifest(manifest_path) or []
    for entry in entries:
        if entry.get('run') == run_id:
            entry['rolled_back'] = when
    _write_entries(manifest_path, entries)


def write_manifest(manifest_path, entries):
    """Record what a run changed so the rollback playbook can undo exactly that.

    Appends to an existing record; raises ManifestError (an IOError) rather
    than overwrite a record it cannot parse.
    """
    _write_entries(manifest_path, (read_manifest(manifest_path) or []) + list(entries))


def _write_entries(manifest_path, entries):
    directory = os.path.dirname(manifest_path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    data = json.dumps({'version': 1, 'entries': entries}, indent=2, sort_keys=True).encode('utf-8')
    tmp = write_temp_like(manifest_path, data, None, None)
    os.chmod(tmp, 0o600)
    os.rename(tmp, manifest_path)
    fsync_dir(directory)
