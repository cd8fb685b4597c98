# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell file of the collection must parse (tree-sitter-pwsh grammar).

The files are found at run time, so scripts added later by anyone are covered.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os

import pytest

import tree_sitter  # noqa: E402  pylint: disable=wrong-import-position
import tree_sitter_pwsh  # noqa: E402  pylint: disable=wrong-import-position

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_pwsh.language()))


def deliberately_broken(path):
    """Test inputs that exist to be unparsable live in a directory named parse_error*."""
    return any(part.startswith('parse_error') for part in os.path.relpath(path, REPO).split(os.sep)[:-1])


def decode(data):
    """Windows PowerShell reads UTF-16 and UTF-8 files with a BOM; the grammar wants UTF-8."""
    for bom, codec in ((b'\xef\xbb\xbf', 'utf-8-sig'), (b'\xff\xfe', 'utf-16'), (b'\xfe\xff', 'utf-16')):
        if data.startswith(bom):
            return data.decode(codec).encode('utf-8')
    return data


def powershell_files():
    found = []
    for top in ('plugins', 'tests', 'roles', 'playbooks'):
        for ext in ('ps1', 'psm1', 'psd1'):
            found.extend(glob.glob(os.path.join(REPO, top, '**', '*.' + ext), recursive=True))
    return sorted(p for p in set(found) if not deliberately_broken(p))


def syntax_errors(source):
    """[(line, column, kind)] of every ERROR or MISSING node (1-based lines)."""
    tree = PARSER.parse(source)
    problems = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            problems.append((node.start_point[0] + 1, node.start_point[1] + 1, 'MISSING %s' % node.type if node.is_missing else 'ERROR'))
        elif node.has_error:
            stack.extend(node.children)
    if tree.root_node.has_error and not problems:
        problems.append((1, 1, 'ERROR'))
    return sorted(problems)


def test_there_are_files_to_check():
    names = [os.path.basename(p) for p in powershell_files()]
    assert 'system_tls.ps1' in names and 'tls_facts.ps1' in names


@pytest.mark.parametrize('path', powershell_files(), ids=lambda p: os.path.relpath(p, REPO))
def test_parses(path):
    with open(path, 'rb') as fh:
        problems = syntax_errors(decode(fh.read()))
    rel = os.path.relpath(path, REPO)
    assert not problems, '\n'.join('%s:%d:%d: %s' % (rel, line, col, kind) for line, col, kind in problems)


@pytest.mark.parametrize('snippet', [
    b'if ($a {\n    Write-Output 1\n}\n',
    b'$x = @{ a = 1\n',
    b'function f {\n    param([string]$p\n}\n',
    b'foreach ($i in 1..3) { "$($i" }\n',
])
def test_broken_snippets_are_reported(snippet):
    assert syntax_errors(snippet), snippet


def test_boms_are_decoded():
    text = '$a = 1\n'
    for data in (text.encode('utf-16'), b'\xef\xbb\xbf' + text.encode('utf-8'), b'\xfe\xff' + text.encode('utf-16-be')):
        assert syntax_errors(decode(data)) == []


def test_good_snippet_is_clean():
    assert syntax_errors(b'$h = @{ a = 1 }\nif ($h.a -eq 1) {\n    Write-Output "ok $($h.a)"\n}\n') == []
