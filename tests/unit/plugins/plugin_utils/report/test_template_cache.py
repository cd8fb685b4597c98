# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report templates are compiled once per machine and version, not on every ansible-playbook run."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
from jinja2 import Environment

from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import formats, html

TEMPLATE_NAMES = ('report.html.j2', 'charts.j2')


def _entries(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith('__jinja2_'))


def test_a_second_environment_loads_the_compiled_templates_without_parsing(tmp_path, monkeypatch):
    monkeypatch.setenv(_bytecode_cache.ENV, str(tmp_path))
    os.chmod(str(tmp_path), 0o700)
    first = html.environment()
    sources = dict((name, first.get_template(name)) for name in TEMPLATE_NAMES)
    formats.markdown_environment().get_template('summary.md.j2')
    folder = _bytecode_cache.cache_dir()
    assert len(_entries(folder)) == 3

    # a new run: nothing may be parsed again, every template comes from the kept code
    def no_parse(self, *args, **kwargs):
        raise AssertionError('template parsed again although its compiled form was kept')
    monkeypatch.setattr(Environment, '_parse', no_parse)
    again = html.environment()
    for name, template in sources.items():
        kept = again.get_template(name)
        assert kept.filename == template.filename
    formats.markdown_environment().get_template('summary.md.j2')
    assert len(_entries(folder)) == 3


@pytest.mark.parametrize('value', ['off', 'not/absolute'])
def test_off_keeps_nothing(tmp_path, monkeypatch, value):
    monkeypatch.setenv(_bytecode_cache.ENV, value)
    assert html.template_cache() is None
    assert html.environment().bytecode_cache is None and formats.markdown_environment().bytecode_cache is None


def test_a_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    os.chmod(str(tmp_path), 0o777)
    monkeypatch.setenv(_bytecode_cache.ENV, str(tmp_path))
    html.environment().get_template('charts.j2')
    assert os.listdir(str(tmp_path)) == []
