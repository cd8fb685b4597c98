# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: static evaluation of PowerShell values (strings, concatenation, -f, variables, splats).

A value is a list of segments: ``('lit', text)`` for known text, ``('expr', source)`` for an
expression whose value is unknown, and ``('var', source, name, inner)`` for a variable whose value
was found (``inner`` are its segments). Unknown parts never turn into guesses.
"""

import bisect
import re

from ._ast import Command, only_variable, unwrap, var_name

UNKNOWN = '\x00'
# A variable assigned more often than this before a use is unknown there (bounds the work per use).
MAX_FAN_IN = 32
_MAX_DEPTH = 8
_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '0': '\0', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', 'e': '\x1b'}


def flatten(segments, keep=None):
    """Text of a value; unknown parts become ``UNKNOWN``. ``keep(var_segment)`` True keeps a var as an expression."""
    out = []
    for seg in segments:
        if seg[0] == 'lit':
            out.append(seg[1])
        elif seg[0] == 'var' and not (keep and keep(seg)):
            out.append(flatten(seg[3], keep))
        else:
            out.append(UNKNOWN)
    return ''.join(out)


def pieces(segments, keep):
    """Like flatten, but returns ``[(kind, text)]`` with kind 'lit' or 'expr' (source kept for expressions)."""
    out = []
    for seg in segments:
        if seg[0] == 'lit':
            out.append(('lit', seg[1]))
        elif seg[0] == 'var' and not keep(seg):
            out.extend(pieces(seg[3], keep))
        else:
            out.append(('expr', seg[1]))
    merged = []
    for kind, text in out:
        if merged and kind == 'lit' and merged[-1][0] == 'lit':
            merged[-1] = ('lit', merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def _unescape(text):
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '`' and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if ch == '"' and text.startswith('""', i):
            out.append('"')
            i += 2
            continue
        out.append(ch)
        i += 1
    return ''.join(out)


class Assignment(object):
    def __init__(self, name, offset, op, value, stmt, target=None):
        self.name = name
        self.offset = offset
        self.op = op
        self.value = value
        self.stmt = stmt
        self.target = target


class Values(object):
    """Variable assignments and splat hashtables of one document, and evaluation of value nodes."""

    def __init__(self, doc):
        self.doc = doc
        self.assignments = {}
        self.hash_keys = {}      # splat variable -> list of (offset, key, value node, removable node)
        self._offsets = {}
        self._values = {}
        self._collect()

    def _collect(self):
        doc = self.doc
        for node in doc.of_type('assignment_expression'):
            doc.budget.tick()
            left = value = op = None
            for child in node.children:
                if child.type == 'left_assignment_expression':
                    left = child
                elif child.type == 'assignment_operator':
                    op = doc.nsrc(child).strip()
                elif child.type == 'assignment_value':
                    value = child
            if left is None or value is None:
                continue
            target = unwrap(left)
            while target is not None and target.type in ('expression_with_unary_operator', 'cast_expression'):
                inner = [c for c in target.children if c.is_named and c.type != 'type_literal']
                target = unwrap(inner[-1]) if inner else None
            if target is None:
                continue
            start = doc.span(node)[0]
            parent = doc.parent(node)
            stmt = parent if parent is not None and parent.type == 'pipeline' else node
            if target.type == 'variable':
                name = var_name(doc.nsrc(target))
                self.assignments.setdefault(name, []).append(Assignment(name, start, op, value, stmt, target))
                table = unwrap(value)
                table = self._strip_cast(table)
                if table is not None and table.type == 'hash_literal_expression':
                    for key, val, entry in self.hash_entries(table):
                        self.hash_keys.setdefault(name, []).append((start, key, val, entry))
            elif target.type == 'member_access':
                named = [c for c in target.children if c.is_named]
                base = named[0] if named else None
                if base is not None and base.type == 'variable' and len(named) == 2:
                    key = doc.nsrc(named[1]).strip().lower()
                    self.hash_keys.setdefault(var_name(doc.nsrc(base)), []).append((start, key, value, stmt))
            elif target.type == 'element_access':
                named = [c for c in target.children if c.is_named]
                if len(named) == 2 and named[0].type == 'variable':
                    key = self.literal(named[1])
                    if key is not None:
                        self.hash_keys.setdefault(var_name(doc.nsrc(named[0])), []).append((start, key.lower(), value, stmt))
        for node in doc.of_type('script_parameter'):
            variable = default = None
            for child in node.children:
                if child.type == 'variable':
                    variable = child
                elif child.type == 'script_parameter_default':
                    named = [c for c in child.children if c.is_named]
                    default = named[-1] if named else None
            if variable is not None and default is not None:
                name = var_name(doc.nsrc(variable))
                self.assignments.setdefault(name, []).append(Assignment(name, doc.span(node)[0], '=', default, node, variable))
        # $p.Add('Key', value)
        for node in doc.of_type('invocation_expression'):
            named = [c for c in node.children if c.is_named]
            if len(named) == 3 and named[0].type == 'variable' and doc.nsrc(named[1]).strip().lower() == 'add':
                args = [c for c in named[2].children if c.type == 'argument_expression_list']
                if not args:
                    continue
                items = [c for c in args[0].children if c.type == 'argument_expression']
                if len(items) == 2:
                    key = self.literal(items[0])
                    if key is not None:
                        stmt = node
                        while doc.parent(stmt) is not None and doc.parent(stmt).type in ('unary_expression', 'pipeline_chain', 'pipeline'):
                            stmt = doc.parent(stmt)
                        self.hash_keys.setdefault(var_name(doc.nsrc(named[0])), []).append(
                            (doc.span(node)[0], key.lower(), items[1], stmt))
        for entries in self.assignments.values():
            entries.sort(key=lambda a: a.offset)
        for entries in self.hash_keys.values():
            entries.sort(key=lambda e: e[0])

    @staticmethod
    def _strip_cast(node):
        while node is not None and node.type in ('expression_with_unary_operator', 'cast_expression'):
            inner = [c for c in node.children if c.is_named and c.type != 'type_literal']
            node = unwrap(inner[-1]) if inner else None
        return node

    def hash_entries(self, table):
        """``(key lower, value node, entry node)`` for each entry of a hashtable literal."""
        out = []
        body = [c for c in table.children if c.type == 'hash_literal_body']
        if not body:
            return out
        for entry in body[0].children:
            if entry.type != 'hash_entry':
                continue
            key_node = value = None
            for child in entry.children:
                if child.type == 'key_expression':
                    key_node = child
                elif child.is_named and key_node is not None and value is None:
                    value = child
            if key_node is None:
                continue
            key = self.literal(key_node)
            if key is None:
                key = self.doc.nsrc(key_node).strip()
            out.append((key.lower(), value, entry))
        return out

    def literal(self, node):
        """Text of a node that is a plain literal (no variables), else None."""
        segs = self.evaluate(node, 0, expand=False)
        if all(s[0] == 'lit' for s in segs):
            return ''.join(s[1] for s in segs)
        return None

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, node, at=None, depth=0, expand=True):
        """Segments for ``node``; ``at`` is the char offset of the use (for choosing the reaching assignment)."""
        doc = self.doc
        doc.budget.tick()
        if node is None:
            return [('expr', '')]
        if at is None:
            at = doc.span(node)[0]
        node = unwrap(node)
        if depth > _MAX_DEPTH:
            return [('expr', doc.src(node))]
        kind = node.type
        if kind in ('key_expression', 'member_name') and len([c for c in node.children if c.is_named]) == 1:
            return self.evaluate([c for c in node.children if c.is_named][0], at, depth, expand)
        if kind in ('simple_name', 'generic_token', 'type_identifier'):
            return [('lit', doc.src(node))]
        if kind == 'string_literal':
            named = [c for c in node.children if c.is_named]
            if len(named) == 1:
                return self.evaluate(named[0], at, depth, expand)
            return [('expr', doc.src(node))]
        if kind == 'verbatim_string_characters':
            text = doc.src(node)
            return [('lit', text[1:-1].replace(text[0] * 2, text[0]) if len(text) >= 2 else text)]
        if kind == 'verbatim_here_string_characters':
            return [('lit', _here_body(doc.src(node)))]
        if kind in ('expandable_string_literal', 'expandable_here_string_literal'):
            return self._expandable(node, at, depth, expand)
        if kind == 'variable':
            return self._variable(node, at, depth, expand)
        if kind == 'additive_expression':
            named = [c for c in node.children if c.is_named]
            ops = [doc.nsrc(c).strip() for c in node.children if not c.is_named]
            if ops == ['+'] and len(named) == 2:
                return self.evaluate(named[0], at, depth + 1, expand) + self.evaluate(named[1], at, depth + 1, expand)
            return [('expr', doc.src(node))]
        if kind == 'format_expression':
            return self._format(node, at, depth, expand)
        if kind in ('expression_with_unary_operator', 'cast_expression'):
            inner = self._strip_cast(node)
            if inner is not None and inner is not node:
                return self.evaluate(inner, at, depth + 1, expand)
        if kind in ('integer_literal', 'decimal_integer_literal'):
            return [('lit', doc.src(node))]
        return [('expr', doc.src(node))]

    def _expandable(self, node, at, depth, expand):
        doc = self.doc
        start, end = doc.span(node)
        text = doc.text
        here = text.startswith('@', start)
        body_start = start + (2 if here else 1)
        body_end = end - (2 if here else 1)
        segs = []
        cursor = body_start
        for child in node.children:
            if not child.is_named:
                continue
            c_start, c_end = doc.span(child)
            if c_start < body_start or c_end > body_end:
                continue
            if c_start > cursor:
                segs.append(('lit', _unescape(text[cursor:c_start])))
            if child.type == 'variable':
                segs.extend(self._variable(child, at, depth, expand))
            elif child.type == 'sub_expression':
                inner = [c for c in child.children if c.is_named]
                value = unwrap(inner[0]) if len(inner) == 1 else None
                if value is not None and value.type in ('variable', 'string_literal', 'additive_expression', 'member_access'):
                    segs.extend(self.evaluate(value, at, depth + 1, expand) if value.type != 'member_access'
                                else [('expr', doc.src(value))])
                else:
                    segs.append(('expr', doc.src(child)))
            else:
                segs.append(('expr', doc.src(child)))
            cursor = c_end
        if body_end > cursor:
            segs.append(('lit', _unescape(text[cursor:body_end])))
        if here:
            joined = []
            for seg in segs:
                joined.append(seg)
            if joined and joined[0][0] == 'lit':
                joined[0] = ('lit', re.sub(r'^[ \t]*\r?\n', '', joined[0][1]))
            if joined and joined[-1][0] == 'lit':
                joined[-1] = ('lit', re.sub(r'\r?\n$', '', joined[-1][1]))
            segs = joined
        return segs

    def _format(self, node, at, depth, expand):
        doc = self.doc
        named = [c for c in node.children if c.is_named and c.type != 'format_operator']
        if len(named) != 2:
            return [('expr', doc.src(node))]
        template = self.evaluate(named[0], at, depth + 1, expand)
        if not all(s[0] == 'lit' for s in template):
            return [('expr', doc.src(node))]
        fmt = ''.join(s[1] for s in template)
        arg_node = unwrap(named[1])
        if arg_node.type == 'array_literal_expression':
            args = [c for c in arg_node.children if c.is_named]
        else:
            args = [arg_node]
        values = [self.evaluate(a, at, depth + 1, expand) for a in args]
        segs = []
        pos = 0
        for match in re.finditer(r'\{\{|\}\}|\{(\d+)(?:[,:][^}]*)?\}', fmt):
            segs.append(('lit', fmt[pos:match.start()]))
            if match.group(1) is None:
                segs.append(('lit', match.group(0)[0]))
            else:
                idx = int(match.group(1))
                segs.extend(values[idx] if idx < len(values) else [('expr', '')])
            pos = match.end()
        segs.append(('lit', fmt[pos:]))
        return [s for s in segs if s != ('lit', '')]

    def reaching(self, name, at):
        """The assignments that give ``$name`` its value at offset ``at`` (empty when unknown or ambiguous)."""
        entries = self.assignments.get(name, [])
        offsets = self._offsets.get(name)
        if offsets is None:
            offsets = self._offsets[name] = [a.offset for a in entries]
        count = bisect.bisect_left(offsets, at)
        if not count:
            return entries if len(entries) == 1 else []
        return entries[:count]

    def _variable(self, node, at, depth, expand):
        doc = self.doc
        raw = doc.nsrc(node)
        name = var_name(raw)
        source = doc.src(node)
        if not expand or name in ('_', 'psitem', 'true', 'false', 'null', 'env') or raw.startswith('@'):
            return [('expr', source)]
        if raw.lower().startswith(('$env:', '${env:')):
            return [('expr', source)]
        before = self.reaching(name, at)
        if not before:
            return [('expr', source)]
        last = before[-1]
        inner = self._assignment_value(last, depth)
        if inner is None:
            return [('expr', source)]
        if self._self_referencing(last) and len(before) > 1 and self.conditional(last.stmt, at):
            # '$uri = $uri + "?DelegatedOrg=..."' on one branch only: the value depends on the branch
            return [('expr', source)]
        # an earlier assignment that is not extended by the last one, with another value: ambiguous
        if not self._self_referencing(last):
            flat = flatten(inner)
            if len(before) > MAX_FAN_IN:
                return [('expr', source)]
            for other in before[:-1]:
                if self._self_referencing(other):
                    continue
                value = self._assignment_value(other, depth)
                if value is None or flatten(value) != flat:
                    return [('expr', source)]
        return [('var', source, name, inner)]

    def _self_referencing(self, assignment):
        if assignment.op == '+=':
            return True
        for node in _walk(assignment.value):
            if node.type == 'variable' and var_name(self.doc.nsrc(node)) == assignment.name:
                return True
        return False

    def _assignment_value(self, assignment, depth):
        key = id(assignment)
        if key in self._values:
            return self._values[key]
        self._values[key] = None  # a cycle through this assignment is unknown
        result = self._assignment_value_uncached(assignment, depth)
        self._values[key] = result
        return result

    def _assignment_value_uncached(self, assignment, depth):
        value = unwrap(assignment.value)
        if value is not None and value.type == 'command':
            return None
        segs = self.evaluate(assignment.value, assignment.offset, depth + 1)
        if assignment.op == '+=':
            prev = self._variable_at(assignment.name, assignment.offset, depth + 1)
            if prev is None:
                return None
            return prev + segs
        if assignment.op not in ('=', None):
            return None
        return segs

    def _variable_at(self, name, at, depth):
        before = self.reaching(name, at)
        if not before:
            return None
        return self._assignment_value(before[-1], depth)

    # -- splats ---------------------------------------------------------------------------------

    def conditional(self, node, at):
        """True when ``node`` sits in a block (if/else/switch/loop body, function, script block) that does not hold ``at``.

        A ``try`` block counts as running: code after it sees its assignments.
        """
        doc = self.doc
        current = doc.parent(node)
        while current is not None:
            if current.type in ('statement_block', 'script_block', 'switch_body'):
                start, end = doc.span(current)
                holder = doc.parent(current)
                if not (start <= at < end) and not (holder is not None and holder.type in ('try_statement', 'finally_clause')):
                    return True
            current = doc.parent(current)
        return False

    def splat_alternatives(self, name, at):
        """``{key: [value nodes]}`` for the keys of a splat whose value at ``at`` depends on a branch.

        A key set again inside a block that does not hold the use, or a hashtable assigned on several
        branches, has more than one possible value; each one is listed (the default first).
        """
        out = {}
        reaching = self.reaching(name, at)
        bases = []
        for assignment in reversed(reaching):
            bases.append(assignment)
            if not self.conditional(assignment.stmt, at):
                break
        if len(bases) > 1:
            for assignment in bases:
                for offset, key, value, entry in self.hash_keys.get(name, []):
                    if offset == assignment.offset:
                        out.setdefault(key, []).append(value)
        base = bases[-1].offset if bases else -1
        by_key = {}
        for offset, key, value, entry in self.hash_keys.get(name, []):
            if offset >= base and (offset < at or not reaching):
                by_key.setdefault(key, []).append((offset, value, entry))
        for key, entries in by_key.items():
            values = []
            for offset, value, entry in reversed(entries):
                values.append(value)
                if not self.conditional(entry, at):
                    break
            else:
                values.append(None)  # the key may be missing altogether
            if len(values) > 1:
                known = out.setdefault(key, [])
                known.extend(v for v in values if all(v is not k for k in known))
        return {k: v for k, v in out.items() if len(v) > 1}

    def splat(self, name, at):
        """``{key: (value node, offset, entry node)}`` of a splatted hashtable built before ``at``."""
        result = {}
        reaching = self.reaching(name, at)
        base = reaching[-1].offset if reaching else -1
        for offset, key, value, entry in self.hash_keys.get(name, []):
            if offset >= base - 0 and (offset < at or not reaching):
                result[key] = (value, offset, entry)
        return result


def _walk(node):
    stack = [node]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        yield item
        stack.extend(item.children)


def walk(node):
    return _walk(node)


def _here_body(text):
    body = text[2:-2]
    body = re.sub(r'^[ \t]*\r?\n', '', body)
    return re.sub(r'\r?\n$', '', body)


def command_of(doc, node):
    return Command(doc, node)


def is_variable(node):
    return only_variable(node) is not None
