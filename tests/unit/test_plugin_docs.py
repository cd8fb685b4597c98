# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation users read through ``ansible-doc``, as ansible-doc renders it.

The docs are read with doc fragments merged, exactly as ``ansible-doc --json``
shows them, so a fragment that stops merging (or a module that stops using it)
is caught here.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import glob
import json
import os
import subprocess
import sys

import pytest

from harness.collection_root import COLLECTIONS_ROOT, REPO

BIN = os.path.dirname(sys.executable)
MODULES = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py')))
FILTERS = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(REPO, 'plugins', 'filter', '*.py'))
                 if ast.get_docstring(ast.parse(open(p, 'rb').read())) is not None or 'DOCUMENTATION' in open(p).read())


def _ansible_doc(plugin_type, names):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOME=os.path.join(REPO, 'build', 'home', '.ansible'))
    proc = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', '-t', plugin_type]
                          + ['mailtls.remediation.%s' % n for n in names],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode('utf-8', 'replace')
    assert not proc.stderr.strip(), proc.stderr.decode('utf-8', 'replace')
    return json.loads(proc.stdout)


@pytest.fixture(scope='module')
def module_docs():
    return _ansible_doc('module', MODULES)


@pytest.fixture(scope='module')
def filter_docs():
    return _ansible_doc('filter', FILTERS)


def _missing_samples(returns, prefix=''):
    """Return values without a sample, unless the value above them has a sample that shows them."""
    missing = []
    for key, spec in sorted((returns or {}).items()):
        name = prefix + key
        if 'contains' in spec:
            shown = spec.get('sample')
            items = shown if isinstance(shown, list) else [shown] if isinstance(shown, dict) else []
            for sub, sub_spec in sorted(spec['contains'].items()):
                if 'contains' in sub_spec:
                    missing.extend(_missing_samples({sub: sub_spec}, name + '.'))
                elif 'sample' not in sub_spec and not any(isinstance(i, dict) and sub in i for i in items):
                    missing.append(name + '.' + sub)
            if 'sample' not in spec and not spec['contains']:
                missing.append(name)
        elif 'sample' not in spec:
            missing.append(name)
    return missing


def test_every_module_is_documented(module_docs):
    assert sorted(k.split('.')[-1] for k in module_docs) == MODULES


@pytest.mark.parametrize('name', MODULES)
def test_module_lists_its_requirements(module_docs, name):
    doc = module_docs['mailtls.remediation.%s' % name]['doc']
    assert doc.get('requirements'), '%s documents no requirements' % name


@pytest.mark.parametrize('name', MODULES)
def test_every_return_value_has_a_sample(module_docs, name):
    returns = module_docs['mailtls.remediation.%s' % name]['return']
    assert _missing_samples(returns) == []


@pytest.mark.parametrize('name', MODULES)
def test_no_internal_option_is_documented(module_docs, name):
    options = module_docs['mailtls.remediation.%s' % name]['doc'].get('options') or {}
    assert [o for o in options if o.startswith('_')] == []


def test_shared_blocks_come_from_fragments(module_docs):
    """The merged docs carry the fragments' blocks; the module files no longer repeat them."""
    for name in ('system_tls', 'mail_client_tls'):
        doc = module_docs['mailtls.remediation.%s' % name]['doc']
        assert doc['options']['min_protocol']['choices'] == ['TLSv1.2', 'TLSv1.3']
        assert set(doc['options']['backup_files']['suboptions']) == {'path', 'backup'}
    for name in ('tls_facts', 'system_tls', 'tls_probe', 'exo_module', 'exo_script_files'):
        doc = module_docs['mailtls.remediation.%s' % name]['doc']
        assert doc['attributes']['platform']['platforms'] == ['posix', 'windows']
        assert any('PowerShell 5.1' in r for r in doc['requirements'])
    sources = ''.join(open(p).read() for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py')))
    assert sources.count('choices: [TLSv1.2, TLSv1.3]') == 0
    assert sources.count('default: /etc/gnutls/config') == 0


def test_controller_requirements_are_named(module_docs, filter_docs):
    exo = ' '.join(module_docs['mailtls.remediation.exo_scripts']['doc']['requirements'])
    assert 'tree-sitter' in exo and '0.22' in exo and 'tree-sitter-pwsh' in exo
    for name in FILTERS:
        doc = filter_docs['mailtls.remediation.%s' % name]['doc']
        assert doc.get('requirements'), name
    assert any('jmespath' in r for r in filter_docs['mailtls.remediation.fleet_query']['doc']['requirements'])


def test_missing_sample_detector_flags_gaps():
    returns = {
        'a': {'type': 'str'},
        'b': {'type': 'list', 'sample': [{'x': 1}], 'contains': {'x': {'type': 'int'}, 'y': {'type': 'int'}}},
        'c': {'type': 'int', 'sample': 3},
    }
    assert _missing_samples(returns) == ['a', 'b.y']
