# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: def-use check of a rewrite (no read of something the rewrite removed may survive).

A rewrite removes definitions: the session variable of ``$s = New-PSSession ...``, the module
variable of ``$m = Import-PSSession $s``, the variables of V1 loader lookups. Every other read of
those names (in the same binding: script scope, ``$global:``/``$script:``, or the local scope of the
function that assigns the name) is classified:

* a presence test (``if ($s)``, ``!$s``, ``-not``, ``$s -eq $null``, ``$s.State -eq 'Opened'``,
  ``$m.Count -ne 1``, ``[bool]$s``) is rewritten to a test of ``Get-ConnectionInformation``;
* any other read blocks the whole rewrite: the file stays byte-identical and a finding names the
  line and the reason.

``Get-PSSession`` queries filtered on Exchange (``ConfigurationName``, a cloud host, the name of a
rewritten session) never list a REST connection; in presence tests they become the matching
``Get-ConnectionInformation`` query, in any other use they block the rewrite too.
"""

import bisect
import re

from ._ast import only_variable, unwrap, var_name

_WRAP = ('unary_expression', 'parenthesized_expression', 'pipeline_chain', 'pipeline', 'sub_expression')
_CONDITION_HOLDERS = ('if_statement', 'elseif_clause', 'while_condition', 'do_statement', 'for_condition')
_SCOPED = re.compile(r'^[$@]\{?(global|script):', re.I)
_OPENED = ('opened',)
_CLOSED = ('broken', 'closed', 'disconnected')
_POSITIVE_COUNT = {('-eq', 1), ('-ge', 1), ('-gt', 0), ('-ne', 0)}
_NEGATIVE_COUNT = {('-ne', 1), ('-lt', 1), ('-eq', 0), ('-le', 0)}
_FILTER_CMDS = ('where-object', 'where', '?')
_CLOUD_WORDS = re.compile(r'outlook\.office365|ps\.outlook\.com|compliance\.protection|ps\.protection\.outlook|office365\.us|'
                          r'apps\.mil|partner\.outlook\.cn|outlook\.office\.de|exchangeonlineinternalsession|powershell-liveid', re.I)
_EXCHANGE_WORDS = re.compile(r'microsoft\.exchange', re.I)


def connection_query(kinds):
    """Get-ConnectionInformation pipeline listing the live connections of the given kinds."""
    if kinds == {'security_compliance'}:
        name = " -and $_.Name -like 'ExchangeOnlineProtection_*'"
    elif kinds and 'security_compliance' not in kinds:
        name = " -and $_.Name -like 'ExchangeOnline_*'"
    else:
        name = ''
    return "Get-ConnectionInformation | Where-Object { $_.State -eq 'Connected'%s }" % name


def presence(kinds, positive=True):
    query = connection_query(kinds)
    if positive:
        return '([bool](%s))' % query
    return '(-not (%s))' % query


def _fit(text, start, end, replacement):
    """``replacement`` without its outer parentheses when the replaced text already sits inside a pair."""
    if start > 0 and text[start - 1:start] == '(' and text[end:end + 1] == ')' and replacement.startswith('(') \
            and replacement.endswith(')'):
        return replacement[1:-1]
    return replacement


class Blocker(object):
    def __init__(self, start, end, reason):
        self.start = start
        self.end = end
        self.reason = reason


class DefUse(object):
    """Plans the edits that keep reads valid, or the blockers that stop the rewrite."""

    def __init__(self, analysis, owned, done):
        self.a = analysis
        self.doc = analysis.doc
        self.owned = sorted(owned)
        self._owned_starts = [o[0] for o in self.owned]
        reach, self._owned_reach = -1, []
        for o_start, o_end in self.owned:
            reach = max(reach, o_end)
            self._owned_reach.append(reach)
        self.done = done
        self.edits = []      # (start, end, text, rule)
        self.blockers = []
        self.removed_names = set()
        self._func_names = None
        self._targets = None

    # -- scopes -----------------------------------------------------------------------------------

    def _function_names(self):
        """function node id -> names the function assigns without a scope qualifier (incl. parameters)."""
        if self._func_names is None:
            table = {}
            targets = set()
            for entries in self.a.values.assignments.values():
                for item in entries:
                    if item.target is None:
                        continue
                    targets.add(item.target.id)
                    raw = self.doc.nsrc(item.target)
                    if _SCOPED.match(raw):
                        continue
                    func = self.doc.function_of(item.target)
                    if func is not None:
                        table.setdefault(func.id, set()).add(item.name)
            for node in self.doc.of_type('script_parameter'):
                var = [c for c in node.children if c.type == 'variable']
                if var:
                    targets.add(var[0].id)
                    func = self.doc.function_of(node)
                    if func is not None:
                        table.setdefault(func.id, set()).add(var_name(self.doc.nsrc(var[0])))
            for node in self.doc.of_type('foreach_statement'):
                var = [c for c in node.children if c.type == 'variable']
                if var:
                    targets.add(var[0].id)
                    func = self.doc.function_of(node)
                    if func is not None:
                        table.setdefault(func.id, set()).add(var_name(self.doc.nsrc(var[0])))
            self._func_names = table
            self._targets = targets
        return self._func_names

    def key(self, var):
        raw = self.doc.nsrc(var)
        name = var_name(raw)
        if _SCOPED.match(raw):
            return ('', name)
        func = self.doc.function_of(var)
        while func is not None:
            if name in self._function_names().get(func.id, ()):
                return (func.id, name)
            func = self.doc.function_of(func)
        return ('', name)

    def is_target(self, var):
        self._function_names()
        return var.id in self._targets

    def in_owned(self, start, end):
        """True when [start, end) lies inside a statement the rewrite replaces or deletes (bisect; ranges barely overlap)."""
        index = bisect.bisect_right(self._owned_starts, start) - 1
        while index >= 0:
            o_start, o_end = self.owned[index]
            if o_start <= start and end <= o_end and o_start < o_end:
                return True
            if self._owned_reach[index] <= start:
                return False
            index -= 1
        return False

    # -- the plan ---------------------------------------------------------------------------------

    def plan(self, removed):
        """``removed``: list of (target variable node, kinds, line) of definitions the rewrite removes."""
        by_key = {}
        for target, kinds, stmt_start in removed:
            key = self.key(target)
            entry = by_key.setdefault(key, {'kinds': set(), 'defs': []})
            entry['kinds'] |= set(kinds)
            entry['defs'].append(stmt_start)
            self.removed_names.add(key[1])
        for key, entry in sorted(by_key.items(), key=lambda kv: min(kv[1]['defs'])):
            self._reads_of(key, entry)
        self._get_pssession()
        return self.edits, self.blockers

    def _kept_defs(self, key):
        """(offset, is_null) of definitions of ``key`` that stay in the result."""
        out = []
        for item in self.a.values.assignments.get(key[1], []):
            if item.target is None or self.key(item.target) != key:
                continue
            start, end = self.a.span(item.stmt)
            if self.in_owned(start, end):
                continue
            value = unwrap(item.value)
            is_null = value is not None and value.type == 'variable' and self.doc.nsrc(value).strip().lower() == '$null'
            out.append((start, is_null))
        return out

    def _reads_of(self, key, entry):
        kept = self._kept_defs(key)
        kept_real = sorted(off for off, is_null in kept if not is_null)
        removed_defs = sorted(entry['defs'])
        first_def = self.a.loc(removed_defs[0], removed_defs[0])['line']
        for var in self.a.variables_named(key[1]):
            self.doc.budget.tick()
            start, end = self.a.span(var)
            if self.is_target(var) or self.in_owned(start, end) or self.key(var) != key:
                continue
            index = bisect.bisect_left(removed_defs, start)
            nearest_removed = removed_defs[index - 1] if index else -1
            index = bisect.bisect_left(kept_real, start)
            nearest_kept = kept_real[index - 1] if index else -1
            if nearest_kept > nearest_removed:
                continue  # reads a definition that stays
            if nearest_removed < 0 and kept_real:
                self.blockers.append(Blocker(start, end, '%s is read here, and it holds either the removed session (line %d) '
                                             'or another value' % (self.doc.src(var), first_def)))
                continue
            self._classify_read(var, entry['kinds'], first_def)

    def _classify_read(self, var, kinds, def_line):
        found = self.context(var)
        label = self.doc.src(var)
        if found is None:
            self.blockers.append(Blocker(*self.a.span(var), reason='%s is read here (%s), but the rewrite removes its definition '
                                         '(line %d) and no V3 equivalent is known for this use' % (
                                             label, self._describe(var), def_line)))
            return
        kind, node, positive = found
        self._replace(node, presence(kinds, positive))

    def _replace(self, node, text):
        start, end = self.a.span(node)
        self.edits.append((start, end, _fit(self.a.text, start, end, text), 'session-check'))

    def _describe(self, var):
        parent = self.doc.parent(var)
        while parent is not None and parent.type in _WRAP + ('argument_expression', 'array_literal_expression'):
            parent = self.doc.parent(parent)
        if parent is None:
            return 'a read'
        if parent.type == 'command_elements':
            cmd = self.doc.parent(parent)
            name = [c for c in cmd.children if c.type in ('command_name', 'command_name_expr')]
            return 'argument of %s' % (self.doc.nsrc(name[0]) if name else 'a command')
        if parent.type in ('expandable_string_literal', 'expandable_here_string_literal'):
            return 'inside a string'
        if parent.type == 'member_access':
            member = [c for c in parent.children if c.type == 'member_name']
            return 'property %s' % (self.doc.nsrc(member[0]) if member else '?')
        return parent.type.replace('_', ' ')

    # -- contexts ---------------------------------------------------------------------------------

    def _parent_skip(self, node):
        parent = self.doc.parent(node)
        while parent is not None and parent.type == 'unary_expression' and len([c for c in parent.children if c.is_named]) == 1:
            node, parent = parent, self.doc.parent(parent)
        return node, parent

    def context(self, node):
        """How the value of ``node`` is used: (kind, node to replace, positive) or None when unknown."""
        node, parent = self._parent_skip(node)
        if parent is None:
            return None
        if parent.type == 'member_access':
            member = [c for c in parent.children if c.type == 'member_name']
            name = self.doc.nsrc(member[0]).strip().lower() if member else ''
            return self._member_context(parent, name)
        if parent.type == 'comparison_expression':
            return self._null_compare(node, parent)
        if self.boolean_position(node):
            return ('bool', node, True)
        return None

    def _operands(self, comparison):
        named = [c for c in comparison.children if c.is_named]
        if len(named) != 3 or named[1].type != 'comparison_operator':
            return None
        return named[0], self.doc.nsrc(named[1]).strip().lower(), named[2]

    def _null_compare(self, node, comparison):
        parts = self._operands(comparison)
        if parts is None:
            return None
        left, op, right = parts
        other = right if left.id == node.id else left
        if unwrap(other) is None or self.doc.nsrc(other).strip().lower() != '$null':
            return None
        if op in ('-eq', '-ieq', '-ceq'):
            return ('nullcmp', comparison, False)
        if op in ('-ne', '-ine', '-cne'):
            return ('nullcmp', comparison, True)
        return None

    def _member_context(self, member, name):
        outer, parent = self._parent_skip(member)
        if name in ('count', 'length'):
            if parent is not None and parent.type == 'comparison_expression':
                parts = self._operands(parent)
                if parts is None or parts[0].id != outer.id:
                    return None
                number = self.doc.nsrc(parts[2]).strip()
                if not number.isdigit():
                    return None
                pair = (parts[1].lstrip('-').lstrip('ic'), int(number))
                pair = ('-' + pair[0], pair[1])
                if pair in _POSITIVE_COUNT:
                    return ('count', parent, True)
                if pair in _NEGATIVE_COUNT:
                    return ('count', parent, False)
                return None
            if self.boolean_position(outer):
                return ('count', outer, True)
            return None
        if name in ('state', 'availability'):
            if parent is None or parent.type != 'comparison_expression':
                return None
            parts = self._operands(parent)
            if parts is None or parts[0].id != outer.id:
                return None
            literal = self.a.values.literal(parts[2])
            if literal is None:
                return None
            value = literal.strip().lower()
            equal = parts[1] in ('-eq', '-ieq', '-like', '-ilike')
            differ = parts[1] in ('-ne', '-ine', '-notlike', '-inotlike')
            if not (equal or differ):
                return None
            if value in _OPENED or (name == 'availability' and value == 'available'):
                return ('state', parent, equal)
            if value in _CLOSED or (name == 'availability' and value in ('none', 'busy')):
                return ('state', parent, differ)
        return None

    def boolean_position(self, node):
        """True when the value of ``node`` only decides a condition (through !, -not, -and, -or, parentheses, [bool])."""
        current = node
        while True:
            parent = self.doc.parent(current)
            if parent is None:
                return False
            kind = parent.type
            named = [c for c in parent.children if c.is_named]
            if kind in ('unary_expression', 'parenthesized_expression', 'sub_expression') and len(named) == 1:
                current = parent
                continue
            if kind in ('pipeline_chain', 'pipeline') and len(named) == 1:
                current = parent
                continue
            if kind == 'logical_expression':
                current = parent
                continue
            if kind == 'expression_with_unary_operator':
                op = [c for c in parent.children if not c.is_named]
                if op and self.doc.nsrc(op[0]).strip().lower() in ('!', '-not'):
                    current = parent
                    continue
                return False
            if kind == 'cast_expression':
                types = [c for c in named if c.type == 'type_literal']
                return bool(types) and self.doc.nsrc(types[0]).replace(' ', '').lower() in ('[bool]', '[boolean]', '[system.boolean]')
            if kind in _CONDITION_HOLDERS or kind == 'while_statement':
                return current.type == 'pipeline'
            return False

    # -- Get-PSSession queries ----------------------------------------------------------------------

    def _get_pssession(self):
        hybrid = any(c.kind in ('on_premises', 'other_session', 'unknown') for c in self.a.connections)
        kinds = set(c.kind for c in self.done) or {'exchange_online'}
        names = set(c.session_name for c in self.done if c.session_name)
        for cmd in self.a.each_command():
            if cmd.name != 'get-pssession':
                continue
            if self.in_owned(cmd.start, cmd.end) or self.a.in_error(cmd.start, cmd.end):
                continue
            if any(c['stmt'].start_byte <= cmd.node.start_byte and cmd.node.end_byte <= c['stmt'].end_byte for c in self.a.cleanups):
                continue
            segment = self._segment(cmd)
            if segment is None:
                continue
            filters, text = segment
            exchange = self._exchange_scope(cmd, text, names, hybrid)
            if exchange is None:
                continue
            if exchange is False:
                continue
            last = filters[-1] if filters else cmd
            chain = self.doc.parent(cmd.node)
            expr = chain
            elements = [c for c in chain.children if c.type == 'command']
            if elements and elements[-1].id != last.node.id:
                self.blockers.append(Blocker(cmd.start, last.end, 'Get-PSSession filtered on Exchange feeds another command; '
                                             'V3 REST connections are not PSSessions (use Get-ConnectionInformation)'))
                continue
            pipeline = self.doc.parent(chain)
            if pipeline is not None and pipeline.type == 'assignment_value':
                stmt = self.doc.statement_of(cmd.node)
                target_name = self.a.assigned_variable(stmt)
                if not target_name:
                    self.blockers.append(Blocker(cmd.start, last.end, 'Get-PSSession filtered on Exchange is assigned to something '
                                                 'other than a variable'))
                    continue
                ok = self._query_variable(stmt, target_name, kinds)
                if not ok:
                    continue
                self.edits.append((cmd.start, last.end, connection_query(kinds), 'session-check'))
                continue
            found = self.context(expr)
            if found is None:
                self.blockers.append(Blocker(cmd.start, last.end, 'Get-PSSession filtered on Exchange is used here in a way that has '
                                             'no V3 equivalent (V3 REST connections are not PSSessions)'))
                continue
            kind, node, positive = found
            if kind == 'state':
                self._replace(node, presence(kinds, positive))
            else:
                self.edits.append((cmd.start, last.end, connection_query(kinds), 'session-check'))

    def _query_variable(self, stmt, name, kinds):
        """Reads of ``$x = Get-PSSession | Where ...``: presence tests keep working on the V3 query; others block."""
        stmt_start, stmt_end = self.a.span(stmt)
        ok = True
        edits = []
        for var in self.a.variables_named(name):
            start, end = self.a.span(var)
            if start < stmt_end or self.is_target(var) or self.in_owned(start, end):
                continue
            found = self.context(var)
            if found is None:
                self.blockers.append(Blocker(start, end, '%s holds the PSSessions of a Get-PSSession query and is read here (%s); V3 REST '
                                             'connections are not PSSessions' % (self.doc.src(var), self._describe(var))))
                ok = False
                continue
            if found[0] == 'state':
                s_start, s_end = self.a.span(found[1])
                edits.append((s_start, s_end, _fit(self.a.text, s_start, s_end, presence(kinds, found[2])), 'session-check'))
        if ok:
            self.edits.extend(edits)
        return ok

    def _segment(self, cmd):
        """The Get-PSSession command and the Where-Object filters right after it: (filters, filter text) or None."""
        chain = self.doc.parent(cmd.node)
        if chain is None or chain.type != 'pipeline_chain':
            return None
        commands = [c for c in chain.children if c.type == 'command']
        if not commands or commands[0].id != cmd.node.id:
            return None
        by_node = {c.node.id: c for c in self.a.commands_in(chain)}
        filters = []
        texts = [self.doc.nsrc(cmd.node)]
        for node in commands[1:]:
            other = by_node.get(node.id)
            if other is None or other.name not in _FILTER_CMDS:
                break
            filters.append(other)
            texts.append(self.doc.nsrc(node))
        return filters, ' '.join(texts)

    def _exchange_scope(self, cmd, text, names, hybrid):
        """True: the query lists the rewritten cloud sessions only; False: not about them; None: unfiltered."""
        name = self.a.value_text(self.a.arg(cmd, 'name'), cmd.start)
        if name and name.strip().lower() in names:
            return True
        if _CLOUD_WORDS.search(text):
            return True
        if _EXCHANGE_WORDS.search(text):
            return not hybrid
        return None


def target_node(stmt):
    """The variable node assigned by a ``$x = ...`` statement, else None."""
    if stmt is None or stmt.type != 'pipeline':
        return None
    named = [c for c in stmt.children if c.is_named]
    if len(named) != 1 or named[0].type != 'assignment_expression':
        return None
    left = [c for c in named[0].children if c.type == 'left_assignment_expression']
    return only_variable(left[0]) if left else None


def dangling(after, names):
    """Reads in the rewritten text of ``names`` that no remaining non-null assignment defines: [(offset, name)]."""
    out = []
    targets = set()
    defined = set()
    for name, entries in after.values.assignments.items():
        for item in entries:
            if item.target is not None:
                targets.add(item.target.id)
            value = unwrap(item.value)
            if not (value is not None and value.type == 'variable' and after.doc.nsrc(value).strip().lower() == '$null'):
                defined.add(name)
    for node in after.doc.of_type('script_parameter', 'foreach_statement'):
        for child in node.children:
            if child.type == 'variable':
                targets.add(child.id)
                defined.add(var_name(after.doc.nsrc(child)))
    for name in sorted(names):
        if name in defined:
            continue
        for var in after.variables_named(name):
            if var.id not in targets:
                out.append((after.span(var)[0], name))
    return out
