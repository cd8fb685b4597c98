# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A static check that PowerShell source runs on Windows PowerShell 5.1 with .NET Framework 4.5.

Built on the tree-sitter-pwsh parse (the grammar knows PowerShell 7 syntax, so the constructs 5.1
lacks show up as their own node types).  Rules:

- ``ps7_syntax``: ternary ``a ? b : c``, ``??``, ``??=``, ``?.``/``?[]``, ``&&``/``||`` pipeline
  chains, ``clean`` blocks.
- ``ps7_parameter``: cmdlet parameters that only PowerShell 6/7 (or newer PowerShellGet) have,
  e.g. ``ForEach-Object -Parallel``, ``ConvertFrom-Json -AsHashtable``.
- ``ps7_variable``: automatic variables that do not exist in 5.1 (``$IsWindows`` ...): under
  Set-StrictMode a reference to them throws.
- ``dotnet_api``: .NET members/types .NET Framework 4.5 lacks (``SslProtocols::Tls13`` ...).
- ``strict_property``: ``Get-ItemProperty`` without ``-Name`` whose result's properties are read
  directly: the value may be absent, and under Set-StrictMode reading an absent property throws.

A finding in ``ps7_parameter`` or ``dotnet_api`` is accepted when it is *guarded*: inside an ``if``
whose condition tests the runtime (``$PSVersionTable``, ``GetNames(``, ``Get-Command``, a
``$has...``/``$supports...`` variable, ``.Parameters``), or marked with a comment
``# ps51: guarded <why>`` on the same or the previous line.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import tree_sitter
import tree_sitter_pwsh

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_pwsh.language()))

PS7_PARAMETERS = {
    ('foreach-object', '-parallel'): 'ForEach-Object -Parallel is PowerShell 7',
    ('convertfrom-json', '-ashashtable'): 'ConvertFrom-Json -AsHashtable is PowerShell 6',
    ('convertfrom-json', '-depth'): 'ConvertFrom-Json -Depth is PowerShell 6.2',
    ('convertto-json', '-asarray'): 'ConvertTo-Json -AsArray is PowerShell 6',
    ('get-content', '-asbytestream'): 'Get-Content -AsByteStream is PowerShell 6 (5.1: -Encoding Byte)',
    ('set-content', '-asbytestream'): 'Set-Content -AsByteStream is PowerShell 6 (5.1: -Encoding Byte)',
    ('invoke-webrequest', '-skipcertificatecheck'): 'Invoke-WebRequest -SkipCertificateCheck is PowerShell 6',
    ('invoke-restmethod', '-skipcertificatecheck'): 'Invoke-RestMethod -SkipCertificateCheck is PowerShell 6',
    ('invoke-webrequest', '-sslprotocol'): 'Invoke-WebRequest -SslProtocol is PowerShell 6',
    ('invoke-restmethod', '-sslprotocol'): 'Invoke-RestMethod -SslProtocol is PowerShell 6',
    ('join-path', '-additionalchildpath'): 'Join-Path -AdditionalChildPath is PowerShell 6',
    ('install-module', '-allowprerelease'): 'Install-Module -AllowPrerelease needs PowerShellGet 1.6; 5.1 ships 1.0.0.1',
    ('find-module', '-allowprerelease'): 'Find-Module -AllowPrerelease needs PowerShellGet 1.6; 5.1 ships 1.0.0.1',
    ('save-module', '-allowprerelease'): 'Save-Module -AllowPrerelease needs PowerShellGet 1.6; 5.1 ships 1.0.0.1',
}
PS7_VARIABLES = {'$iswindows', '$islinux', '$ismacos', '$iscoreclr', '$psstyle'}

# (regular expression over a type literal or member access, why). Every entry is a name .NET
# Framework 4.5 does not have (4.8 added SslProtocols.Tls13 and SecurityProtocolType.Tls13; the
# others are .NET Core / .NET 5+ only, or 4.7.1+).
DOTNET_MISSING = (
    (re.compile(r'SslProtocols\]\s*::\s*Tls13\b', re.I), 'SslProtocols.Tls13 exists from .NET Framework 4.8'),
    (re.compile(r'SecurityProtocolType\]\s*::\s*Tls13\b', re.I), 'SecurityProtocolType.Tls13 exists from .NET Framework 4.8'),
    (re.compile(r'\bSslClientAuthenticationOptions\b', re.I), 'SslClientAuthenticationOptions (AuthenticateAsClient overload) is .NET Core 2.1+'),
    (re.compile(r'\bSslServerAuthenticationOptions\b', re.I), 'SslServerAuthenticationOptions is .NET Core 2.1+'),
    (re.compile(r'\bCipherSuitesPolicy\b', re.I), 'CipherSuitesPolicy is .NET Core 3.0+'),
    (re.compile(r'\bTlsCipherSuite\]', re.I), 'System.Net.Security.TlsCipherSuite is .NET Core 3.0+'),
    (re.compile(r'\bRuntimeInformation\]', re.I), 'RuntimeInformation is .NET Framework 4.7.1+'),
    (re.compile(r'\[System\.Text\.Json\b', re.I), 'System.Text.Json is not part of .NET Framework'),
    (re.compile(r'\bStandardInputEncoding\b', re.I), 'ProcessStartInfo.StandardInputEncoding is .NET Framework 4.8 / Core'),
)
GUARD_HINTS = ('$psversiontable', 'getnames(', 'get-command', '$has', '$supports', '.parameters', 'psobject.properties')
PS_PROVIDER_PROPERTIES = {'pspath', 'psparentpath', 'pschildname', 'psdrive', 'psprovider'}
MARK = re.compile(r'#\s*ps51:\s*guarded\b', re.I)


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _text(node):
    return node.text.decode('utf-8', 'replace')


def _guarded(node, lines):
    row = node.start_point[0]
    for r in (row, row - 1):
        if 0 <= r < len(lines) and MARK.search(lines[r]):
            return True
    parent = node.parent
    while parent is not None:
        if parent.type in ('if_statement', 'elseif_clause'):
            for child in parent.children:
                if child.type == 'pipeline':  # the condition
                    cond = _text(child).lower()
                    if any(h in cond for h in GUARD_HINTS):
                        return True
                    break
        parent = parent.parent
    return False


def _command_name(node):
    for child in node.children:
        if child.type == 'command_name':
            return _text(child).lower()
    return ''


def _parameters(node):
    out = []
    for child in node.children:
        if child.type == 'command_elements':
            out.extend(_text(c).lower().rstrip(':') for c in child.children if c.type == 'command_parameter')
    return out


def _matches_parameter(given, wanted):
    # PowerShell accepts any unambiguous prefix; treat a prefix of 4+ characters as the parameter
    return given == wanted or (len(given) >= 5 and wanted.startswith(given))


def check(source):
    """[(line, rule, message)] for PowerShell source (bytes, UTF-8)."""
    tree = PARSER.parse(source)
    lines = source.decode('utf-8', 'replace').splitlines()
    found = []

    def add(node, rule, message):
        found.append((node.start_point[0] + 1, rule, message))

    assigned_raw = {}   # variable name -> line of a Get-ItemProperty without -Name
    for node in _walk(tree.root_node):
        kind = node.type
        if kind == 'ternary_expression':
            add(node, 'ps7_syntax', 'ternary operator a ? b : c is PowerShell 7')
        elif kind == 'null_coalesce_expression':
            add(node, 'ps7_syntax', 'null-coalescing operator ?? is PowerShell 7')
        elif kind == '??=':
            add(node, 'ps7_syntax', 'null-coalescing assignment ??= is PowerShell 7')
        elif kind == '?' and (node.parent is None or node.parent.type != 'ternary_expression'):
            add(node, 'ps7_syntax', 'null-conditional member access ?. / ?[] is PowerShell 7')
        elif kind == 'pipeline_chain_tail':
            add(node, 'ps7_syntax', 'pipeline chain operators && and || are PowerShell 7')
        elif kind == 'block_name' and _text(node).lower() == 'clean':
            add(node, 'ps7_syntax', 'clean blocks are PowerShell 7.3')
        elif kind == 'variable' and _text(node).lower() in PS7_VARIABLES:
            add(node, 'ps7_variable', '%s does not exist in Windows PowerShell 5.1 (StrictMode throws)' % _text(node))
        elif kind == 'command':
            name = _command_name(node)
            params = _parameters(node)
            for (cmd, param), why in PS7_PARAMETERS.items():
                if name == cmd and any(_matches_parameter(p, param) for p in params) and not _guarded(node, lines):
                    add(node, 'ps7_parameter', why)
            if name == 'new-object':
                for pattern, why in DOTNET_MISSING:
                    # a type named as New-Object's argument has no brackets around it
                    if re.search(pattern.pattern.replace('\\]', '\\b'), _text(node), re.I) and not _guarded(node, lines):
                        add(node, 'dotnet_api', why)
            if name == 'get-itemproperty' and not any(_matches_parameter(p, '-name') for p in params):
                parent = node.parent
                # (Get-ItemProperty ...).Value
                up = parent.parent if parent is not None else None
                while up is not None and up.type in ('pipeline', 'pipeline_chain'):
                    up = up.parent
                if up is not None and up.type == 'parenthesized_expression' and up.parent is not None and up.parent.type == 'member_access':
                    member = _member_name(up.parent)
                    if member and member.lower() not in PS_PROVIDER_PROPERTIES:
                        add(node, 'strict_property', '(Get-ItemProperty ...).%s without -Name: an absent value throws under StrictMode' % member)
                # $v = Get-ItemProperty ...
                assign = node.parent
                while assign is not None and assign.type in ('pipeline_chain', 'assignment_value'):
                    assign = assign.parent
                if assign is not None and assign.type == 'assignment_expression':
                    target = assign.children[0]
                    var = [n for n in _walk(target) if n.type == 'variable']
                    if var:
                        assigned_raw[_text(var[0]).lower()] = node.start_point[0] + 1
        elif kind in ('member_access', 'type_literal', 'invocation_expression'):
            text = _text(node)
            for pattern, why in DOTNET_MISSING:
                if pattern.search(text) and not _guarded(node, lines):
                    # report once, at the smallest node that shows it
                    if not any(pattern.search(_text(c)) for c in node.children if c.type in ('member_access', 'type_literal', 'invocation_expression')):
                        add(node, 'dotnet_api', why)
    for node in _walk(tree.root_node):
        if node.type == 'member_access' and node.children and node.children[0].type == 'variable':
            var = _text(node.children[0]).lower()
            member = _member_name(node)
            if var in assigned_raw and member and member.lower() not in PS_PROVIDER_PROPERTIES and '::' not in _text(node):
                add(node, 'strict_property', '%s comes from Get-ItemProperty without -Name (line %d); %s.%s throws under StrictMode '
                    'when the value is absent: read it with -Name' % (var, assigned_raw[var], var, member))
    return sorted(set(found))


def _member_name(node):
    for child in node.children:
        if child.type == 'member_name':
            return _text(child)
    return None


def decode(data):
    """Windows PowerShell reads UTF-16 and UTF-8 files with a BOM; the grammar wants UTF-8."""
    for bom, codec in ((b'\xef\xbb\xbf', 'utf-8-sig'), (b'\xff\xfe', 'utf-16'), (b'\xfe\xff', 'utf-16')):
        if data.startswith(bom):
            return data.decode(codec).encode('utf-8')
    return data


# ---------------------------------------------------------------------------
# The argument spec of an Ansible.Basic module, read from the source.

def _hashtable_entries(node):
    """{key: value node} of a hash_literal_expression node."""
    out = {}
    for child in _walk(node):
        if child.type == 'hash_entry' and _nearest(child, 'hash_literal_expression') == node:
            key = [c for c in child.children if c.type == 'key_expression']
            value = [c for c in child.children if c.type not in ('key_expression', '=', ';', 'statement_terminator')]
            if key and value:
                out[_text(key[0]).strip().strip('\'"')] = value[0]
    return out


def _nearest(node, kind):
    parent = node.parent
    while parent is not None and parent.type != kind:
        parent = parent.parent
    return parent


def _first(node, kind):
    for n in _walk(node):
        if n.type == kind:
            return n
    return None


def argument_spec(source):
    """{option name: {'type', 'options'}} of the ``$spec = @{ options = @{ ... } }`` in a module."""
    tree = PARSER.parse(source)
    for node in _walk(tree.root_node):
        if node.type == 'assignment_expression' and _text(node.children[0]).strip().lower() == '$spec':
            table = _first(node, 'hash_literal_expression')
            options = _hashtable_entries(table).get('options')
            if options is None:
                return {}
            return _options(_first(options, 'hash_literal_expression'))
    return None


def _options(table):
    out = {}
    for name, value in _hashtable_entries(table).items():
        entry = {'type': None, 'options': None}
        inner = _first(value, 'hash_literal_expression')
        if inner is not None:
            fields = _hashtable_entries(inner)
            if 'type' in fields:
                entry['type'] = _text(fields['type']).strip().strip('\'"')
            if 'options' in fields:
                entry['options'] = _options(_first(fields['options'], 'hash_literal_expression'))
        out[name] = entry
    return out
