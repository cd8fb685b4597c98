# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows PowerShell 5.1 / .NET Framework 4.5 static check of every .ps1/.psm1 of the repository,
with a snippet per rule that must be flagged, and the check that every option documented for a
module that exists as .py and .ps1 is accepted by the .ps1 argument spec (parsed from the source).

No Windows host exists here; this is what a parse can prove.  docs/windows.md lists what only a
real host can show and which windows-integration target shows it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import glob
import os

import pytest
import yaml


from harness import ps51  # noqa: E402  pylint: disable=wrong-import-position

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DUAL_MODULES = ('system_tls', 'tls_facts', 'tls_probe', 'exo_module')


def powershell_files():
    found = []
    for top in ('plugins', 'tests', 'roles', 'playbooks'):
        for ext in ('ps1', 'psm1'):
            found.extend(glob.glob(os.path.join(REPO, top, '**', '*.' + ext), recursive=True))
    # inputs that exist to be unparsable are covered by test_powershell_parse's exception
    return sorted(p for p in set(found) if 'parse_error' not in os.path.relpath(p, REPO))


def test_the_collection_files_are_found():
    names = set(os.path.basename(p) for p in powershell_files())
    assert {'system_tls.ps1', 'tls_facts.ps1', 'tls_probe.ps1', 'exo_module.ps1', '_MailTlsWinRegistry.psm1'} <= names


@pytest.mark.parametrize('path', powershell_files(), ids=lambda p: os.path.relpath(p, REPO))
def test_runs_on_windows_powershell_51(path):
    with open(path, 'rb') as fh:
        found = ps51.check(ps51.decode(fh.read()))
    rel = os.path.relpath(path, REPO)
    assert not found, '\n'.join('%s:%d: %s: %s' % (rel, line, rule, msg) for line, rule, msg in found)


# Every rule, with a snippet that must be flagged and, where the rule allows a guard, the guarded form.
FLAGGED = [
    ('ps7_syntax', b'$a = $b ? 1 : 2\n'),
    ('ps7_syntax', b'$a = $b ?? 3\n'),
    ('ps7_syntax', b'$a ??= 3\n'),
    ('ps7_syntax', b'$a = ${b}?.Name\n'),
    ('ps7_syntax', b'$a = ${b}?[0]\n'),
    ('ps7_syntax', b'Get-Item x && Write-Output ok\n'),
    ('ps7_syntax', b'Get-Item x || Write-Output no\n'),
    ('ps7_syntax', b'function f {\n    process { 1 }\n    clean { 2 }\n}\n'),
    ('ps7_parameter', b'1..3 | ForEach-Object -Parallel { $_ }\n'),
    ('ps7_parameter', b'$h = Get-Content -Raw x | ConvertFrom-Json -AsHashtable\n'),
    ('ps7_parameter', b'Install-Module -Name ExchangeOnlineManagement -AllowPrerelease\n'),
    ('ps7_parameter', b'Invoke-WebRequest -Uri https://example.invalid -SkipCertificateCheck\n'),
    ('ps7_variable', b'if ($IsWindows) { 1 }\n'),
    ('dotnet_api', b'$p = [System.Security.Authentication.SslProtocols]::Tls13\n'),
    ('dotnet_api', b'[System.Net.ServicePointManager]::SecurityProtocol = [System.Net.SecurityProtocolType]::Tls13\n'),
    ('dotnet_api', b'$o = New-Object System.Net.Security.SslClientAuthenticationOptions\n'),
    ('dotnet_api', b'$o = [System.Net.Security.SslClientAuthenticationOptions]::new()\n'),
    ('dotnet_api', b'$d = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription\n'),
    ('strict_property', b"$cv = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\n$ubr = $cv.UBR\n"),
    ('strict_property', b"$r = (Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\x').Release\n"),
]

CLEAN = [
    b'$a = if ($b) { 1 } else { 2 }\n',
    b'if ($null -eq $b) { $b = 3 }\n',
    b'Get-Item x; if ($?) { Write-Output ok }\n',
    b'1..3 | ForEach-Object { $_ }\n',
    b'if ([Enum]::GetNames([System.Security.Authentication.SslProtocols]) -contains "Tls13") {\n'
    b'    $p = [System.Security.Authentication.SslProtocols]::Tls13\n}\n',
    b'if ($hasTls13) {\n    $p = [System.Net.SecurityProtocolType]::Tls13\n}\n',
    b'# ps51: guarded by the version check above\n$p = [System.Net.SecurityProtocolType]::Tls13\n',
    b'if ((Get-Command Install-Module).Parameters.ContainsKey("AllowPrerelease")) {\n'
    b'    Install-Module -Name x -AllowPrerelease\n}\n',
    b"$ubr = (Get-ItemProperty -LiteralPath 'HKLM:\\x' -Name UBR -ErrorAction SilentlyContinue).UBR\n",
    b"$item = Get-ItemProperty -LiteralPath 'HKLM:\\x'\n$where = $item.PSPath\n",
    b'$p = [System.Security.Authentication.SslProtocols]::Tls12\n',
]


@pytest.mark.parametrize('rule, snippet', FLAGGED, ids=lambda v: v if isinstance(v, str) else None)
def test_each_rule_flags_its_snippet(rule, snippet):
    found = ps51.check(snippet)
    assert [r for line, r, msg in found] == [rule], (snippet, found)


@pytest.mark.parametrize('snippet', CLEAN)
def test_51_forms_and_guarded_uses_pass(snippet):
    assert ps51.check(snippet) == [], snippet


def test_every_rule_has_a_negative_self_test():
    rules = set(r for r, dummy in FLAGGED)
    assert rules == {'ps7_syntax', 'ps7_parameter', 'ps7_variable', 'dotnet_api', 'strict_property'}


# ---------------------------------------------------------------------------
# Dual modules: the .py DOCUMENTATION and the .ps1 argument spec.

def _literal(path, attr):
    """A string constant of a Python file, read as the literal it is (the file is not imported)."""
    with open(path) as fh:
        tree = ast.parse(fh.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == attr for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError('no %s in %s' % (attr, path))


def _documentation(name):
    """The module's DOCUMENTATION with the options of its doc fragments merged in, as ansible-doc shows them."""
    doc = yaml.safe_load(_literal(os.path.join(REPO, 'plugins', 'modules', name + '.py'), 'DOCUMENTATION'))
    options = {}
    for fragment in doc.get('extends_documentation_fragment') or []:
        parts = fragment.split('.')
        if parts[:2] != ['mailtls', 'remediation']:
            continue
        attr = parts[3].upper() if len(parts) > 3 else 'DOCUMENTATION'
        text = _literal(os.path.join(REPO, 'plugins', 'doc_fragments', parts[2] + '.py'), attr)
        options.update(yaml.safe_load(text).get('options') or {})
    options.update(doc.get('options') or {})
    doc['options'] = options
    return doc


def _spec(name):
    with open(os.path.join(REPO, 'plugins', 'modules', name + '.ps1'), 'rb') as fh:
        return ps51.argument_spec(fh.read())


def _missing(documented, spec, where=''):
    out = []
    for option, doc in sorted((documented or {}).items()):
        names = [option] + list(doc.get('aliases') or [])
        found = [n for n in names if n in spec]
        if not found:
            out.append('%s%s' % (where, option))
            continue
        sub = doc.get('suboptions')
        if sub:
            out.extend(_missing(sub, spec[found[0]].get('options') or {}, '%s%s.' % (where, option)))
    return out


@pytest.mark.parametrize('name', DUAL_MODULES)
def test_every_documented_option_is_accepted_on_windows(name):
    documented = _documentation(name).get('options') or {}
    spec = _spec(name)
    assert spec, 'no $spec found in %s.ps1' % name
    missing = _missing(documented, spec)
    assert not missing, '%s.ps1 would fail with "Unsupported parameters" for: %s' % (name, ', '.join(missing))


def test_spec_reader_sees_suboptions_and_misses_are_reported():
    spec = ps51.argument_spec(b"$spec = @{\n    options = @{\n"
                              b"        a = @{ type = 'list'; elements = 'dict'; options = @{ b = @{ type = 'str' } } }\n    }\n}\n")
    assert spec == {'a': {'type': 'list', 'options': {'b': {'type': 'str', 'options': None}}}}
    assert _missing({'a': {'suboptions': {'b': {}, 'c': {}}}, 'd': {}}, spec) == ['a.c', 'd']
