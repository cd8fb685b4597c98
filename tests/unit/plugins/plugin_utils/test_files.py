# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the controller-side atomic text write."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils import _files


def test_writes_text_as_given_with_the_mode(tmp_path):
    path = tmp_path / 'report.csv'
    path.write_text('old\n')
    assert _files.write_text_atomic(str(path), 'a,b\r\nü\n', mode=0o640) == str(path)
    assert path.read_bytes() == 'a,b\r\nü\n'.encode('utf-8')
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(str(tmp_path)) == ['report.csv']


def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / 'report.json'
    path.write_text('{}\n')

    def broken_replace(src, dst):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'replace', broken_replace)
    with pytest.raises(OSError):
        _files.write_text_atomic(str(path), '{"new": 1}\n')
    assert path.read_text() == '{}\n'
    assert os.listdir(str(tmp_path)) == ['report.json']
