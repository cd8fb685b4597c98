# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Patterns compiled on first use: every one of them still compiles, and behaves as re.compile's."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import LazyPattern, lazy_re
from harness.collection_root import COLLECTIONS_ROOT

MODULE_UTILS = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'module_utils'))
BASE = 'ansible_collections.mailtls.remediation.plugins.module_utils.'


def _module_names():
    for root, _dirs, files in os.walk(MODULE_UTILS):
        for name in sorted(files):
            if name.endswith('.py') and name != '_bytecode_cache.py':
                rel = os.path.relpath(os.path.join(root, name), MODULE_UTILS)[:-3].replace(os.sep, '.')
                yield BASE + (rel[:-len('.__init__')] if rel.endswith('__init__') else rel)


def _lazy_patterns(value, depth=0):
    if isinstance(value, LazyPattern):
        yield value
    elif isinstance(value, (tuple, list)) and depth < 3:
        for item in value:
            yield from _lazy_patterns(item, depth + 1)


def _all_lazy():
    found = []
    for name in _module_names():
        module = importlib.import_module(name)
        for attr, value in sorted(vars(module).items()):
            found.extend(('%s.%s' % (name[len(BASE):], attr), p) for p in _lazy_patterns(value))
    return found


def test_every_lazy_pattern_of_the_collection_compiles():
    found = _all_lazy()
    assert len(found) >= 40, len(found)
    for where, pattern in found:
        assert isinstance(pattern.compiled(), re.Pattern), where


def test_importing_the_client_registry_compiles_none_of_them():
    code = ('import sys\nsys.path.insert(0, %r)\n'
            'from ansible_collections.mailtls.remediation.plugins.module_utils import _clients, _mail_clients\n'
            'from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import LazyPattern\n'
            'mods = [m for n, m in sys.modules.items() if n.startswith("ansible_collections.mailtls")]\n'
            'found = [v for m in mods for v in vars(m).values() if isinstance(v, LazyPattern)]\n'
            'print(len(found), sum(1 for v in found if v._compiled is not None))\n') % COLLECTIONS_ROOT
    out = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.split()
    assert int(out[0]) >= 20 and out[1] == '0', out


@pytest.mark.parametrize('flags', [0, re.I | re.M, re.S])
def test_a_lazy_pattern_answers_as_the_compiled_one(flags):
    text = 'set folder=IMAPS://mail.example.org:993/\nset ssl_use_tlsv1=yes\n'
    source = r'(imaps?)://([a-z.]+)(?::(\d+))?|ssl_use_(tlsv1\w*)'
    lazy, real = lazy_re(source, flags), re.compile(source, flags)
    assert lazy.pattern == real.pattern and lazy.flags == real.flags and lazy.groups == real.groups
    assert [m.groups() for m in lazy.finditer(text)] == [m.groups() for m in real.finditer(text)]
    assert lazy.sub('X', text) == real.sub('X', text)
    assert bool(lazy.search(text)) == bool(real.search(text))


def test_a_broken_pattern_fails_on_first_use_not_silently():
    broken = lazy_re(r'(unclosed')
    with pytest.raises(re.error):
        broken.match('x')


def test_after_the_first_call_a_method_is_the_compiled_patterns_own():
    lazy = lazy_re(r'\d+')
    assert lazy.match('42').group() == '42'
    # parsing loops call it thousands of times: no detour through __getattr__ after the first
    assert 'match' in vars(lazy) and lazy.match.__self__ is lazy.compiled()
