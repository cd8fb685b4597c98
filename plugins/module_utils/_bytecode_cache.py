# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: keep the compiled form of this collection's module_utils between runs on a host.

Ansible ships a module and its module_utils as Python source in a zip file, and
Python never caches bytecode for code imported from a zip: every run compiles
every imported file again.  For ``tls_facts`` that compilation costs more than
all of its gathering.  Importing this module (first, before any other
module_utils of the collection) installs an import finder that, for this
collection's module_utils only and only when they come from a zip, keeps the
compiled code in a private per-user directory, as Python's ``__pycache__`` does
for installed code:

* the key is a SHA-256 of the interpreter's bytecode magic number, the module
  name and the source text, so a new collection version or another Python never
  reads a stale entry;
* the directory is ``~/.cache/mailtls.remediation/bytecode`` of the effective
  user (taken from the password database, not ``$HOME``), created with mode
  0700; it is used only when it and every directory we create in it are owned
  by that user and writable by nobody else, and it is opened once and checked
  through that descriptor, so a directory swapped in later is never read;
* any problem (read-only home, a full disk, a foreign owner, a damaged entry)
  means the file is compiled as without the cache; the cache never changes what
  the module does, only how fast it starts.

``MAILTLS_BYTECODE_CACHE`` in the module's environment (the task's
``environment`` keyword) turns keeping off (``off``) or names another directory
(an absolute path).  Without a usable directory the finder still builds the
module specs itself, so each file is compiled once per run rather than twice.
Nothing else of the host is read or written.

Standard library only: this runs on target hosts (Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import importlib.machinery
import importlib.util
import marshal
import os
import stat
import sys
import zipimport

PREFIX = 'ansible_collections.mailtls.remediation.plugins.module_utils.'
ENV = 'MAILTLS_BYTECODE_CACHE'
OFF = ('0', 'off', 'false', 'no', 'none')
# entries of older collection versions are removed once the directory holds this many
MAX_ENTRIES = 400
KEEP_ENTRIES = 300


def _trusted(st, others=0o022):
    """A directory of the effective user that the bits in ``others`` (group and other write) do not open up."""
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & others


def _private_dir(path, others=0o022):
    """Create ``path`` (mode 0700) if needed; True only if it is then a directory we can trust."""
    try:
        os.mkdir(path, 0o700)
    except OSError:
        pass
    try:
        return _trusted(os.lstat(path), others)
    except OSError:
        return False


def cache_dir(environ=None):
    """The directory to use, or None when the cache is off or no safe directory exists."""
    environ = os.environ if environ is None else environ
    setting = environ.get(ENV, '').strip()
    if setting.lower() in OFF:
        return None
    if setting:
        if not os.path.isabs(setting):
            return None
        parts = [(os.path.normpath(setting), 0o022)]
    else:
        try:
            import pwd
            home = pwd.getpwuid(os.geteuid()).pw_dir
        except (ImportError, KeyError):
            return None
        if not home or not os.path.isabs(home) or not os.path.isdir(home):
            return None
        base = os.path.join(home, '.cache')
        # ~/.cache may be shared with the user's group by other tools; only what we create must be private
        parts = [(base, 0o002), (os.path.join(base, 'mailtls.remediation'), 0o022),
                 (os.path.join(base, 'mailtls.remediation', 'bytecode'), 0o022)]
    # one folder per bytecode format, so interpreters never share entries
    parts.append((os.path.join(parts[-1][0], importlib.util.MAGIC_NUMBER.hex()), 0o022))
    for path, others in parts:
        if not _private_dir(path, others):
            return None
    return parts[-1][0]


def entry_key(fullname, source):
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    digest.update(fullname.encode('utf-8') + b'\0')
    digest.update(source)
    return digest.hexdigest()


def open_cache(path):
    """The folder as an open descriptor, checked once: entries are then opened relative to it, so a
    folder swapped after the check is never read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | getattr(os, 'O_NOFOLLOW', 0))
    except OSError:
        return None
    try:
        if _trusted(os.fstat(fd)):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _read_entry(dir_fd, name):
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0), dir_fd=dir_fd)
    except OSError:
        return None
    try:
        with os.fdopen(fd, 'rb') as handle:
            return marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write_entry(dir_fd, name, code):
    tmp = '%s.%d.tmp' % (name, os.getpid())
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600, dir_fd=dir_fd)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(marshal.dumps(code))
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        return
    _prune(dir_fd)


def _prune(dir_fd):
    try:
        names = os.listdir(dir_fd)
        if len(names) <= MAX_ENTRIES:
            return
        aged = sorted((os.lstat(n, dir_fd=dir_fd).st_mtime, n) for n in names)
        for _mtime, name in aged[:len(aged) - KEEP_ENTRIES]:
            os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


class CachingLoader(object):
    """Runs a module of the zip from the cached code of its exact source, compiling it only on a miss."""

    def __init__(self, inner, dir_fd):
        self._inner = inner
        self._dir_fd = dir_fd

    def __getattr__(self, name):
        # get_data, get_source, is_package, ... stay the zip importer's
        return getattr(self._inner, name)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        spec = module.__spec__
        source = self._inner.get_data(spec.origin)
        name = entry_key(spec.name, source) if self._dir_fd is not None else None
        code = _read_entry(self._dir_fd, name) if name else None
        if code is None:
            # a path that is the same on every run (the zip lives in a new temporary folder each time)
            filename = spec.name.replace('.', '/') + ('/__init__.py' if spec.submodule_search_locations is not None else '.py')
            code = compile(source, filename, 'exec', dont_inherit=True)
            if name:
                _write_entry(self._dir_fd, name, code)
        exec(code, module.__dict__)  # pylint: disable=exec-used


def _zip_importer(entry):
    importer = sys.path_importer_cache.get(entry)
    if importer is None:
        try:
            importer = zipimport.zipimporter(entry)
        except (zipimport.ZipImportError, OSError, TypeError):
            return None
    return importer if isinstance(importer, zipimport.zipimporter) else None


class CachingFinder(object):
    """Meta path finder for this collection's module_utils when they are imported from a zip.

    It builds the module spec itself: the zip importer's own ``find_spec`` asks
    for the file name, which makes it compile the whole module just to name it
    (CPython 3.11, and 3.8 to 3.10 by the same path), so every file would still be compiled once per run.
    """

    def __init__(self, dir_fd):
        self.dir_fd = dir_fd

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PREFIX) or not path:
            return None
        tail = fullname.rpartition('.')[2]
        for entry in path:
            importer = _zip_importer(entry)
            if importer is None:
                continue
            try:
                is_package = importer.is_package(tail)
            except zipimport.ZipImportError:
                continue
            where = os.path.join(importer.archive, importer.prefix, tail)
            spec = importlib.machinery.ModuleSpec(fullname, CachingLoader(importer, self.dir_fd),
                                                  origin=os.path.join(where, '__init__.py') if is_package else where + '.py',
                                                  is_package=is_package)
            spec.has_location = True
            if is_package:
                spec.submodule_search_locations = [where]
            return spec
        return None


def enable(environ=None):
    """Install the finder once; a coverage or trace run keeps Python's own loading.

    Without a usable folder the finder still builds the specs, so each file is
    compiled once per run instead of twice; nothing is kept.
    """
    if sys.gettrace() is not None or 'coverage' in sys.modules:
        return None
    for finder in sys.meta_path:
        if isinstance(finder, CachingFinder):
            return finder
    directory = cache_dir(environ)
    finder = CachingFinder(open_cache(directory) if directory else None)
    sys.meta_path.insert(0, finder)
    return finder


# Only where Ansible runs it, from the module's zip; imported from a folder (unit tests,
# ansible-test) Python keeps bytecode as usual and nothing is installed or created.
if isinstance(globals().get('__loader__'), zipimport.zipimporter):
    enable()
