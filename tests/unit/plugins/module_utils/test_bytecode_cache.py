# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bytecode cache of the collection's module_utils, exercised as Ansible runs them: imported from a zip by a fresh interpreter."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import json
import marshal
import os
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache as B

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..', 'plugins', 'module_utils'))
PKG = 'ansible_collections/mailtls/remediation/plugins/module_utils'
NAME = 'ansible_collections.mailtls.remediation.plugins.module_utils.'
MAGIC = importlib.util.MAGIC_NUMBER.hex()

# What a module does: the cache first, then the module_utils it needs; the child reports where each came from.
CHILD = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import _ini
print(json.dumps({"marker": getattr(_posture, "MARKER", None), "schema": _posture.SCHEMA_VERSION,
                  "loader": type(_posture.__loader__).__name__, "ini_loader": type(_ini.__loader__).__name__,
                  "finder": [type(f).__name__ for f in sys.meta_path]}))
'''


def _zip(path, extra=None, tweak=None):
    """A zip laid out as AnsiballZ lays it out, holding the real module_utils sources."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as handle:
        parts = PKG.split('/')
        for depth in range(1, len(parts) + 1):
            handle.writestr('/'.join(parts[:depth]) + '/__init__.py', '')
        for root, _dirs, files in os.walk(MODULE_UTILS):
            for name in files:
                if not name.endswith('.py'):
                    continue
                full = os.path.join(root, name)
                rel = os.path.relpath(full, MODULE_UTILS).replace(os.sep, '/')
                with open(full, 'rb') as src:
                    data = src.read()
                if tweak and rel in tweak:
                    data += tweak[rel]
                handle.writestr(PKG + '/' + rel, data)
        for rel, data in (extra or {}).items():
            handle.writestr(PKG + '/' + rel, data)
    return str(path)


def _child(archive, cache, script=CHILD):
    env = dict((k, v) for k, v in os.environ.items() if k not in ('PYTHONPATH', 'COVERAGE_PROCESS_START'))
    env[B.ENV] = cache
    proc = subprocess.run([sys.executable, '-c', script, archive], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    return proc


def _source(rel):
    with open(os.path.join(MODULE_UTILS, rel), 'rb') as handle:
        return handle.read()


def _entries(cache):
    folder = os.path.join(cache, MAGIC)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture
def cache(tmp_path):
    path = tmp_path / 'cache'
    path.mkdir(mode=0o700)
    return str(path)


def test_first_run_keeps_each_module_and_a_later_run_executes_the_kept_code(tmp_path, cache):
    archive = _zip(tmp_path / 'modlib.zip')
    first = _child(archive, cache)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out['loader'] == 'CachingLoader' and out['finder'][0] == 'CachingFinder' and out['schema'] == 1
    key = B.entry_key(NAME + '_posture', _source('_posture.py'))
    assert key in _entries(cache)
    assert B.entry_key(NAME + '_clients._ini', _source('_clients/_ini.py')) in _entries(cache)
    # The cache module itself is imported before the finder exists: never cached.
    assert B.entry_key(NAME + '_bytecode_cache', _source('_bytecode_cache.py')) not in _entries(cache)

    # Put other code under the key of the exact source: the next run must execute it instead of compiling.
    kept = compile(_source('_posture.py') + b"\nMARKER = 'kept'\n", 'x.py', 'exec')
    with open(os.path.join(cache, MAGIC, key), 'wb') as handle:
        handle.write(marshal.dumps(kept))
    second = json.loads(_child(archive, cache).stdout)
    assert second['marker'] == 'kept'

    # A changed source has another key: compiled afresh, never the kept code of the old text.
    changed = _zip(tmp_path / 'changed.zip', tweak={'_posture.py': b'\n# a later collection version\n'})
    third = json.loads(_child(changed, cache).stdout)
    assert third['marker'] is None and third['schema'] == 1
    assert B.entry_key(NAME + '_posture', _source('_posture.py') + b'\n# a later collection version\n') in _entries(cache)


def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path, cache):
    archive = _zip(tmp_path / 'modlib.zip')
    assert _child(archive, cache).returncode == 0
    entry = os.path.join(cache, MAGIC, B.entry_key(NAME + '_posture', _source('_posture.py')))
    with open(entry, 'wb') as handle:
        handle.write(b'\x00not marshal data')
    proc = _child(archive, cache)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['schema'] == 1
    with open(entry, 'rb') as handle:
        assert marshal.loads(handle.read()).co_filename == PKG + '/_posture.py'


@pytest.mark.parametrize('mode', [0o777, 0o770, 0o757])
def test_a_folder_others_can_write_is_never_used(tmp_path, mode):
    folder = tmp_path / 'shared'
    folder.mkdir()
    folder.chmod(mode)
    archive = _zip(tmp_path / 'modlib.zip')
    proc = _child(archive, str(folder))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['schema'] == 1
    assert os.listdir(str(folder)) == []


@pytest.mark.parametrize('value', ['off', 'relative/path'])
def test_without_a_folder_nothing_is_kept_and_each_file_is_compiled_once(tmp_path, value):
    """The zip importer would compile every module twice (once to name it); the finder still spares that."""
    archive = _zip(tmp_path / 'modlib.zip')
    script = CHILD.replace('import json, sys', 'import builtins, json, sys\n'
                           'compiled = []\n_compile = builtins.compile\n'
                           'builtins.compile = lambda src, name, *a, **k: compiled.append(name) or _compile(src, name, *a, **k)', 1)
    # the collection's modules the finder handles (not the cache module itself, imported before it, nor the parent packages)
    script += ('mine = [str(n) for n in compiled if "module_utils/_" in str(n)]\n'
               'print(json.dumps(sorted(n for n in mine if not n.endswith("module_utils/__init__.py") and "_bytecode_cache" not in n)))\n')
    proc = _child(archive, value, script)
    assert proc.returncode == 0, proc.stderr
    names = json.loads(proc.stdout.splitlines()[-1])
    assert PKG + '/_posture.py' in names
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    assert not (tmp_path / 'relative').exists()


@pytest.mark.skipif(os.geteuid() != 0, reason='changing a folder owner needs root')
def test_a_folder_of_another_user_is_never_used(tmp_path):
    folder = tmp_path / 'theirs'
    folder.mkdir(mode=0o700)
    os.chown(str(folder), 65534, 65534)
    assert B.cache_dir({B.ENV: str(folder)}) is None


@pytest.mark.parametrize('value', ['off', 'OFF', '0', 'no', 'relative/path'])
def test_off_or_a_relative_path_turns_it_off(value):
    assert B.cache_dir({B.ENV: value}) is None


def test_the_default_folder_is_in_the_home_of_the_effective_user_not_in_HOME(tmp_path, monkeypatch):
    import pwd
    home = tmp_path / 'home'
    home.mkdir()
    real = pwd.getpwuid(os.geteuid())
    fake = pwd.struct_passwd((real.pw_name, 'x', real.pw_uid, real.pw_gid, '', str(home), '/bin/sh'))
    monkeypatch.setattr(pwd, 'getpwuid', lambda uid: fake)
    folder = B.cache_dir({'HOME': str(tmp_path / 'elsewhere')})
    assert folder == str(home / '.cache' / 'mailtls.remediation' / 'bytecode' / MAGIC)
    for part in ('.cache/mailtls.remediation', '.cache/mailtls.remediation/bytecode', '.cache/mailtls.remediation/bytecode/' + MAGIC):
        assert oct(os.stat(str(home / part)).st_mode & 0o777) == oct(0o700)
    assert not (tmp_path / 'elsewhere').exists()


def test_code_imported_from_a_folder_is_left_to_python(tmp_path, cache):
    tree = tmp_path / 'tree'
    with zipfile.ZipFile(_zip(tmp_path / 'modlib.zip')) as handle:
        handle.extractall(str(tree))
    proc = _child(str(tree), cache)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['loader'] != 'CachingLoader'
    assert _entries(cache) == []


def test_a_traceback_names_the_collection_path_and_the_error_is_not_hidden(tmp_path, cache):
    archive = _zip(tmp_path / 'modlib.zip', extra={'_boom.py': b'VALUE = 1\nraise RuntimeError("boom at import")\n'})
    script = ('import sys\nsys.path.insert(0, sys.argv[1])\n'
              'from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache\n'
              'from ansible_collections.mailtls.remediation.plugins.module_utils import _boom\n')
    for _run in range(2):
        proc = _child(archive, cache, script)
        assert proc.returncode == 1
        assert 'RuntimeError: boom at import' in proc.stderr
        assert 'File "%s/_boom.py", line 2' % PKG in proc.stderr


def test_the_folder_stays_bounded(tmp_path, cache):
    folder = os.path.join(cache, MAGIC)
    os.makedirs(folder, mode=0o700)
    for index in range(B.MAX_ENTRIES + 50):
        path = os.path.join(folder, 'old-%04d' % index)
        with open(path, 'wb') as handle:
            handle.write(b'x')
        os.utime(path, (1000000 + index, 1000000 + index))
    archive = _zip(tmp_path / 'modlib.zip')
    assert _child(archive, cache).returncode == 0
    names = _entries(cache)
    assert len(names) <= B.KEEP_ENTRIES + 40
    assert B.entry_key(NAME + '_posture', _source('_posture.py')) in names
    # the oldest went first
    assert 'old-0000' not in names and 'old-%04d' % (B.MAX_ENTRIES + 49) in names


def test_a_folder_swapped_after_the_check_is_never_read(tmp_path, cache):
    """The folder is opened once and checked; a folder put in its place later (a rename race) is not followed."""
    archive = _zip(tmp_path / 'modlib.zip')
    key = B.entry_key(NAME + '_posture', _source('_posture.py'))
    poisoned = marshal.dumps(compile(_source('_posture.py') + b"\nMARKER = 'poisoned'\n", 'x.py', 'exec'))
    script = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache
cache = os.environ["MAILTLS_BYTECODE_CACHE"]
os.rename(cache, cache + ".checked")
os.makedirs(os.path.join(cache, "%s"), mode=0o700)
with open(os.path.join(cache, "%s", "%s"), "wb") as handle:
    handle.write(bytes.fromhex("%s"))
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
print(json.dumps({"marker": getattr(_posture, "MARKER", None)}))
''' % (MAGIC, MAGIC, key, poisoned.hex())
    proc = _child(archive, cache, script)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['marker'] is None
    # what the run kept went to the folder it had checked
    assert key in os.listdir(os.path.join(cache + '.checked', MAGIC))


@pytest.mark.parametrize('mode, usable', [(0o700, True), (0o770, True), (0o777, False)])
def test_a_shared_dot_cache_may_be_group_writable_but_not_world_writable(tmp_path, monkeypatch, mode, usable):
    import pwd
    home = tmp_path / 'home'
    (home / '.cache').mkdir(parents=True)
    (home / '.cache').chmod(mode)
    real = pwd.getpwuid(os.geteuid())
    fake = pwd.struct_passwd((real.pw_name, 'x', real.pw_uid, real.pw_gid, '', str(home), '/bin/sh'))
    monkeypatch.setattr(pwd, 'getpwuid', lambda uid: fake)
    assert (B.cache_dir({}) is not None) is usable
