# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: PowerShell syntax tree access for the EXO script engine (tree-sitter + tree-sitter-pwsh).

The tree is built from a normalised copy of the text (same number of characters), and every node
range is mapped back to character offsets of the original text.
"""

import re
import time
from array import array

from ._text import Positions, normalise

try:
    import tree_sitter
    import tree_sitter_pwsh
    HAS_TREE_SITTER = True
    IMPORT_ERROR = None
except ImportError as exc:  # reported by get_parser()
    HAS_TREE_SITTER = False
    IMPORT_ERROR = exc

_PARSER = []


def get_parser():
    if not HAS_TREE_SITTER:
        raise RuntimeError('the EXO script engine needs the tree-sitter and tree-sitter-pwsh packages on the controller: %s' % IMPORT_ERROR)
    if not _PARSER:
        _PARSER.append(tree_sitter.Parser(tree_sitter.Language(tree_sitter_pwsh.language())))
    return _PARSER[0]


_SCOPES = re.compile(r'^(global|script|local|private|using):', re.I)

# Switch parameters of the cmdlets the engine looks at; any other parameter takes the next argument.
SWITCHES = frozenset(s.lower() for s in (
    'AllowRedirection', 'UseSSL', 'EnableNetworkAccess', 'AllowClobber', 'DisableNameChecking', 'Global', 'Force',
    'PassThru', 'AsCustomObject', 'NoClobber', 'UseRPSSession', 'ShowBanner', 'ShowProgress', 'Device', 'InlineCredential',
    'ManagedIdentity', 'BypassMailboxAnchoring', 'EnableErrorReporting', 'SkipLoadingFormatData', 'SkipLoadingCmdletHelp',
    'LoadCmdletHelp', 'TrackPerformance', 'UseMultithreading', 'DisableWAM', 'EnableSearchOnlySession', 'Verbose', 'Debug',
    'WhatIf', 'Confirm', 'AsPlainText', 'AsJob', 'HideComputerName', 'Recurse', 'InDisconnectedSession', 'NoNewScope',
    'ShowCancelButton',
))

# Known parameter names, used to expand abbreviations (PowerShell accepts any unique prefix).
KNOWN_PARAMS = {
    'new-pssession': ('ConfigurationName', 'ConnectionUri', 'Credential', 'Authentication', 'AllowRedirection', 'SessionOption',
                      'Name', 'ComputerName', 'Port', 'UseSSL', 'ApplicationName', 'CertificateThumbprint', 'ErrorAction',
                      'ErrorVariable', 'WarningAction', 'ThrottleLimit', 'EnableNetworkAccess', 'Session'),
    'import-pssession': ('Session', 'Prefix', 'CommandName', 'FormatTypeName', 'AllowClobber', 'DisableNameChecking',
                         'ArgumentList', 'CommandType', 'Module', 'Certificate', 'ErrorAction', 'WarningAction'),
    'import-module': ('Name', 'Global', 'Prefix', 'DisableNameChecking', 'Scope', 'Force', 'PassThru', 'ModuleInfo',
                      'AsCustomObject', 'NoClobber', 'ErrorAction', 'WarningAction'),
    'connect-exchangeonline': ('ConnectionUri', 'AzureADAuthorizationEndpointUri', 'ExchangeEnvironmentName', 'PSSessionOption',
                               'DelegatedOrganization', 'Prefix', 'CommandName', 'FormatTypeName', 'AccessToken', 'AppId',
                               'BypassMailboxAnchoring', 'Certificate', 'CertificateFilePath', 'CertificatePassword',
                               'CertificateThumbprint', 'Credential', 'Device', 'DisableWAM', 'EnableErrorReporting',
                               'EXOModuleBasePath', 'InlineCredential', 'LoadCmdletHelp', 'LogDirectoryPath', 'LogLevel',
                               'ManagedIdentity', 'ManagedIdentityAccountId', 'Organization', 'PageSize', 'ShowBanner',
                               'ShowProgress', 'SigningCertificate', 'SkipLoadingCmdletHelp', 'SkipLoadingFormatData',
                               'TrackPerformance', 'UseMultithreading', 'UserPrincipalName', 'UseRPSSession',
                               'EnableSearchOnlySession', 'ErrorAction', 'WarningAction'),
    'connect-exopssession': ('UserPrincipalName', 'ConnectionUri', 'AzureADAuthorizationEndpointUri', 'DelegatedOrganization',
                             'Credential', 'PSSessionOption', 'BypassMailboxAnchoring', 'ErrorAction'),
    'remove-pssession': ('Session', 'Name', 'Id', 'ComputerName', 'InstanceId', 'ErrorAction', 'WarningAction'),
    'get-pssession': ('Name', 'ComputerName', 'Id', 'State', 'ConfigurationName', 'InstanceId', 'ErrorAction'),
    'invoke-command': ('Session', 'ScriptBlock', 'ArgumentList', 'ComputerName', 'AsJob', 'JobName', 'HideComputerName'),
    'convertto-securestring': ('String', 'AsPlainText', 'Force', 'Key', 'SecureKey'),
    'get-credential': ('Credential', 'UserName', 'Message', 'Title'),
    'new-object': ('TypeName', 'ArgumentList', 'Property', 'ComObject'),
    'new-pssessionoption': ('ProxyAccessType', 'ProxyAuthentication', 'ProxyCredential', 'SkipCACheck', 'SkipCNCheck',
                            'SkipRevocationCheck', 'OperationTimeout', 'IdleTimeout'),
}
KNOWN_PARAMS['connect-ippssession'] = KNOWN_PARAMS['connect-exchangeonline']
KNOWN_PARAMS['new-exopssession'] = KNOWN_PARAMS['connect-exopssession']


def canonical_param(command, name):
    """Full lower-case parameter name for ``-name`` on ``command`` (abbreviations expanded when unique)."""
    low = name.lower()
    known = KNOWN_PARAMS.get(command)
    if not known:
        return low
    names = [k.lower() for k in known]
    if low in names:
        return low
    hits = [k for k in names if k.startswith(low)]
    if len(hits) == 1:
        return hits[0]
    return low


def var_name(raw):
    """Normalise a variable token (``$global:Session``, ``${Session}``, ``@p``) to a lower-case bare name."""
    name = raw.strip()
    if name[:1] in ('$', '@'):
        name = name[1:]
    if name.startswith('{') and name.endswith('}'):
        name = name[1:-1]
    name = _SCOPES.sub('', name)
    return name.lower()


class Param(object):
    def __init__(self, name, node, value=None, colon=False, start=None, end=None):
        self.name = name          # canonical lower-case name
        self.node = node          # the command_parameter node
        self.value = value        # node of the bound argument, or None for a switch
        self.colon = colon        # -Name:value form
        self.start = start        # char offset of the separator before the parameter
        self.end = end            # char offset after the value (or the parameter)


class Command(object):
    """A command invocation with its parameters bound the way PowerShell would (for known switches)."""

    def __init__(self, doc, node):
        self.doc = doc
        self.node = node
        self.start, self.end = doc.span(node)
        name_node = None
        for child in node.children:
            if child.type in ('command_name', 'command_name_expr'):
                name_node = child
        self.name_node = name_node
        self.invocation = None
        for child in node.children:
            if child.type == 'command_invocation_operator':
                self.invocation = doc.nsrc(child).strip()
        raw = ''
        if name_node is not None:
            start, end = doc.span(name_node)
            # a command_name_expr can be a whole script block (& { ... }): a name is never that long, and
            # copying it for every nested block would make the analysis quadratic
            raw = doc.norm[start:min(end, start + 256)]
        self.raw_name = raw
        self.qualifier = ''
        bare = raw
        if name_node is not None and name_node.type == 'command_name' and '\\' in raw:
            self.qualifier, bare = raw.rsplit('\\', 1)
        self.name = bare.lower()
        self.params = []
        self.positionals = []
        self.splats = []
        self.elements_node = None
        for child in node.children:
            if child.type == 'command_elements':
                self.elements_node = child
        if self.elements_node is not None:
            self._bind()

    def _bind(self):
        doc = self.doc
        pending = None
        last_param = None
        prev_sep_start = None
        colon_next = False
        for child in self.elements_node.children:
            if child.type == 'command_argument_sep':
                if doc.nsrc(child).strip().startswith(':') and last_param is not None:
                    pending = last_param
                    colon_next = True
                elif prev_sep_start is None:
                    prev_sep_start = doc.span(child)[0]
                continue
            if child.type == 'comment':
                continue
            start, end = doc.span(child)
            if child.type == 'command_parameter':
                text = doc.nsrc(child)
                colon = text.endswith(':')
                pname = canonical_param(self.name, text[1:].rstrip(':'))
                param = Param(pname, child, None, colon, prev_sep_start if prev_sep_start is not None else start, end)
                self.params.append(param)
                pending = param if (pname not in SWITCHES or colon) else None
                last_param = param
                colon_next = colon
                prev_sep_start = None
                continue
            last_param = None
            if pending is not None and (pending.name not in SWITCHES or colon_next):
                pending.value = child
                pending.colon = pending.colon or colon_next
                pending.end = end
                pending = None
                colon_next = False
                prev_sep_start = None
                continue
            pending = None
            colon_next = False
            var = _only_variable(child)
            if var is not None and doc.nsrc(var).startswith('@'):
                self.splats.append(var_name(doc.nsrc(var)))
            else:
                self.positionals.append((child, prev_sep_start if prev_sep_start is not None else start, end))
            prev_sep_start = None

    def param(self, name):
        for param in self.params:
            if param.name == name:
                return param
        return None

    def has(self, name):
        return self.param(name) is not None


def _only_variable(node):
    """The variable node if ``node`` is just a variable (through wrapper nodes), else None."""
    while node is not None:
        if node.type == 'variable':
            return node
        named = [c for c in node.children if c.is_named]
        if node.type in ('unary_expression', 'argument_expression', 'pipeline', 'pipeline_chain', 'assignment_value',
                         'left_assignment_expression') and len(named) == 1:
            node = named[0]
            continue
        return None
    return None


def only_variable(node):
    return _only_variable(node)


_WRAPPERS = ('unary_expression', 'argument_expression', 'pipeline', 'pipeline_chain', 'left_assignment_expression',
             'assignment_value', 'parenthesized_expression', 'sub_expression', 'statement_list', 'script_block_body')


def unwrap(node):
    """Strip wrapper nodes with a single named child."""
    while node is not None and node.type in _WRAPPERS:
        named = [c for c in node.children if c.is_named]
        if len(named) != 1:
            break
        node = named[0]
    return node


class Overrun(Exception):
    """The analysis of one file went past its time bound."""


class Budget(object):
    """A per-file time bound, checked every few hundred steps of every loop over the tree."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds if seconds else None
        self.count = 0

    def tick(self):
        self.count += 1
        if self.deadline is not None and not self.count & 255 and time.monotonic() > self.deadline:
            raise Overrun('analysis took longer than %s s' % self.seconds)


class Doc(object):
    """The original text, its normalised copy, the syntax tree and position helpers."""

    def __init__(self, text, budget=None):
        self.budget = budget or Budget(None)
        self.text = text
        self.norm = normalise(text)
        self.data = self.norm.encode('utf-8', 'surrogatepass')
        self.tree = get_parser().parse(self.data)
        if self.tree.root_node.has_error:
            self._relaxed_parse()
        self.root = self.tree.root_node
        self.pos = Positions(text)
        if len(self.data) == len(text):
            self._b2c = None
        else:
            table = array('l', [0]) * (len(self.data) + 1)
            b = 0
            for i, ch in enumerate(self.norm):
                code = ord(ch)
                width = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
                for k in range(width):
                    table[b + k] = i
                b += width
            table[b] = len(self.norm)
            self._b2c = table
        self._all = None
        self._parents = None
        self._by_type = None

    def _relaxed_parse(self):
        """Parse again with grammar gaps papered over; keep that tree when it has fewer errors.

        PowerShell accepts a statement terminator after a named block (``begin { } ; process { }``),
        the pwsh grammar does not. The parser gets a copy where such a ``;`` is a space (same length,
        so offsets stay valid); the text, ``norm`` and every value keep the original characters.
        """
        relaxed = _relax(self.norm)
        if relaxed is self.norm:
            return
        data = relaxed.encode('utf-8', 'surrogatepass')
        tree = get_parser().parse(data)
        if _error_count(tree.root_node) < _error_count(self.tree.root_node):
            self.tree = tree
            self.data = data

    def char(self, byte_offset):
        if self._b2c is None:
            return byte_offset
        return self._b2c[byte_offset]

    def span(self, node):
        return self.char(node.start_byte), self.char(node.end_byte)

    def src(self, node):
        start, end = self.span(node)
        return self.text[start:end]

    def nsrc(self, node):
        start, end = self.span(node)
        return self.norm[start:end]

    def location(self, start, end):
        line, col = self.pos.line_col(start)
        end_line, end_col = self.pos.line_col(end)
        return {'line': line, 'column': col, 'end_line': end_line, 'end_column': end_col}

    def nodes(self):
        """All nodes in document order (cached), with a parent table built on the same walk.

        ``Node.parent`` in tree-sitter walks down from the root on every call (cost grows with the
        depth), so the engine asks ``parent()`` instead: one iterative walk, constant-time look-ups.
        """
        if self._all is None:
            out = []
            parents = {}
            functions = {}
            stack = [self.root]
            tick = self.budget.tick
            while stack:
                node = stack.pop()
                tick()
                out.append(node)
                children = node.children
                owner = node if node.type == 'function_statement' else functions.get(node.id)
                for child in children:
                    parents[child.id] = node
                    if owner is not None:
                        functions[child.id] = owner
                stack.extend(reversed(children))
            self._all = out
            self._parents = parents
            self._functions = functions
        return self._all

    def parent(self, node):
        if self._parents is None:
            self.nodes()
        return self._parents.get(node.id)

    def function_of(self, node):
        """The innermost function or filter definition around ``node`` (None at script level)."""
        if self._parents is None:
            self.nodes()
        return self._functions.get(node.id)

    def statement_of(self, node):
        """The statement (child of a statement list or of the program) that contains ``node``."""
        parent = self.parent(node)
        while parent is not None and parent.type not in ('statement_list', 'program'):
            node = parent
            parent = self.parent(node)
        return node

    def enclosing(self, node, *types):
        node = self.parent(node)
        while node is not None:
            if node.type in types:
                return node
            node = self.parent(node)
        return None

    def of_type(self, *types):
        """Nodes of the given types in document order (one index built on first use)."""
        if self._by_type is None:
            index = {}
            for position, node in enumerate(self.nodes()):
                index.setdefault(node.type, []).append((position, node))
            self._by_type = index
        if len(types) == 1:
            return [n for _p, n in self._by_type.get(types[0], [])]
        merged = []
        for kind in types:
            merged.extend(self._by_type.get(kind, []))
        merged.sort(key=lambda item: item[0])
        return [n for _p, n in merged]

    def errors(self):
        out = []
        for node in self.nodes():
            if node.is_error or node.type == 'ERROR':
                start, end = self.span(node)
                item = self.location(start, max(end, start))
                item.update({'message': 'syntax error', 'offset': start, 'end_offset': end})
                out.append(item)
            elif node.is_missing:
                start, end = self.span(node)
                item = self.location(start, end)
                item.update({'message': 'missing %s' % node.type, 'offset': start, 'end_offset': end})
                out.append(item)
        return out


_BRACE_SEMI = re.compile(r'\}[ \t]*;')
_BLOCK_FOLLOWS = re.compile(r'(?:\s|#[^\r\n]*|<#.*?#>)*(?:\}|(?:begin|process|end|dynamicparam|clean)\s*\{)', re.I | re.S)


def _relax(norm):
    """``norm`` with each ``;`` that follows a ``}`` and precedes a named block or a closing ``}`` turned into a space.

    Such a terminator never changes what PowerShell runs, so the copy means the same. Returns
    ``norm`` itself when there is nothing to change.
    """
    chars = None
    for match in _BRACE_SEMI.finditer(norm):
        semi = match.end() - 1
        if _BLOCK_FOLLOWS.match(norm, semi + 1):
            if chars is None:
                chars = list(norm)
            chars[semi] = ' '
    return ''.join(chars) if chars is not None else norm


def _error_count(root):
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if not node.has_error and not node.is_missing:
            continue
        if node.is_error or node.is_missing or node.type == 'ERROR':
            count += 1
        stack.extend(node.children)
    return count


def contains(outer, inner):
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte
