# -*- coding: utf-8 -*-
"""Each role's meta/argument_specs.yml matches its defaults/main.yml, and its variables are named by the rules."""
from __future__ import absolute_import, division, print_function

import os

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = ('tls_inventory', 'tls_remediation', 'exo_migration', 'fleet_report')


def _load(role, *parts):
    with open(os.path.join(REPO, 'roles', role, *parts)) as handle:
        return yaml.safe_load(handle) or {}


@pytest.mark.parametrize('role', ROLES)
def test_main_entry_point_matches_defaults(role):
    defaults = _load(role, 'defaults', 'main.yml')
    options = _load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert sorted(options) == sorted(defaults)
    for name, spec in options.items():
        assert 'default' in spec, name
        assert spec['default'] == defaults[name], name
        if spec['type'] == 'list':
            assert isinstance(defaults[name], list) and 'elements' in spec, name
        if spec['type'] == 'bool':
            assert isinstance(defaults[name], bool), name
        if spec['type'] == 'int':
            assert isinstance(defaults[name], int), name
        if 'choices' in spec:
            values = defaults[name] if isinstance(defaults[name], list) else [defaults[name]]
            assert set(values) <= set(spec['choices']), name
        assert spec.get('description'), name


@pytest.mark.parametrize('role', ROLES)
def test_other_entry_points_use_public_defaults(role):
    defaults = _load(role, 'defaults', 'main.yml')
    for entry, spec in _load(role, 'meta', 'argument_specs.yml')['argument_specs'].items():
        for name, option in (spec.get('options') or {}).items():
            assert name in defaults, (entry, name)
            assert option.get('default') == defaults[name], (entry, name)


@pytest.mark.parametrize('role', ROLES)
def test_variable_prefixes(role):
    for name in _load(role, 'defaults', 'main.yml'):
        assert name.startswith(role + '_'), name
    for name in _load(role, 'vars', 'main.yml'):
        assert name.startswith('__' + role + '_'), name
