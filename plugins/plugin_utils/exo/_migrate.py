# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the rewrite half of the EXO script engine."""

import re

from ._ast import Command, Doc, only_variable, unwrap, var_name
from ._catalog import make
from ._engine import (AUTH_MODES, CLOUD, REQUIRES_LINE, SCC, Analysis, quote, render)
from ._text import dominant_newline
from . import _defuse

# What each auth mode can and cannot do (docs/exo-migration-rules.md cites the public sources).
AUTH_LIMITS = {
    'keep_credential': ('-Credential signs in with the OAuth resource owner password credentials (ROPC) grant: it fails for accounts '
                        'that must use MFA, for federated (AD FS) accounts and where Conditional Access blocks it, and accounts '
                        'without a password cannot use it; prefer interactive, certificate or managed_identity'),
    'interactive': ('interactive modern sign-in: works with MFA and Conditional Access, but needs a person at the sign-in prompt; '
                    'not for unattended runs'),
    'certificate': ('app-only sign-in with a certificate: no user and no MFA prompt; needs an Entra app with Exchange.ManageAsApp '
                    'and an Entra role; -CertificateThumbprint works on Windows only; a few cmdlets are not available app-only'),
    'managed_identity': ('Azure managed identity: no user and no MFA prompt; only inside Azure (Automation, VMs, scale sets, '
                         'Functions); not documented for Connect-IPPSSession'),
}

PLACEHOLDERS = {
    'app_id': '<AppId>',
    'organization': '<tenant>.onmicrosoft.com',
    'certificate_thumbprint': '<CertificateThumbprint>',
    'certificate_file_path': '<path-to-certificate.pfx>',
}


def _user_of(analysis, conn):
    """PowerShell source for the user of the connection's credential, when it can be known."""
    if conn.upn is not None:
        return analysis.src(conn.upn)
    if conn.credential is None:
        return None
    cred = unwrap(conn.credential)
    var = only_variable(conn.credential)
    source = None
    if var is not None:
        reaching = analysis.values.reaching(var_name(analysis.doc.nsrc(var)), conn.start)
        if reaching:
            source = unwrap(reaching[-1].value)
    else:
        source = cred
    if source is not None and source.type == 'parenthesized_expression':
        source = unwrap(source)
    if source is not None and source.type == 'command':
        cmd = Command(analysis.doc, source)
        if cmd.name == 'get-credential':
            user = analysis.arg(cmd, 'username') or analysis.arg(cmd, 'credential', 0)
            return _simple_source(analysis, user)
        if cmd.name == 'new-object':
            args = analysis.arg(cmd, 'argumentlist')
            if args is None:
                lists = [p[0] for p in cmd.positionals if unwrap(p[0]).type in ('argument_list', 'array_literal_expression')]
                args = lists[0] if lists else (cmd.positionals[1][0] if len(cmd.positionals) > 1 else None)
            return _first_item(analysis, args)
    if source is not None and source.type == 'invocation_expression':
        lists = [c for c in source.children if c.type == 'argument_list']
        if lists and analysis.doc.nsrc(source).lower().replace(' ', '').startswith(('[pscredential]::new', '[system.management.automation.pscredential]::new')):
            return _first_item(analysis, lists[0])
    if var is not None and source is not None and source.type == 'command':
        name = Command(analysis.doc, source).name
        if name != 'get-credential':
            return analysis.src(var) + '.UserName'
    return None


def _first_item(analysis, node):
    if node is None:
        return None
    node = unwrap(node)
    if node.type == 'argument_list':
        lists = [c for c in node.children if c.type == 'argument_expression_list']
        if not lists:
            return None
        items = [c for c in lists[0].children if c.type == 'argument_expression']
        return _simple_source(analysis, items[0]) if items else None
    if node.type == 'array_literal_expression':
        items = [c for c in node.children if c.is_named]
        return _simple_source(analysis, items[0]) if items else None
    return None


def _simple_source(analysis, node):
    if node is None:
        return None
    inner = unwrap(node)
    if inner.type in ('string_literal', 'variable', 'generic_token', 'member_access'):
        text = analysis.src(inner)
        if inner.type == 'member_access':
            return '(%s)' % text
        return text
    return None


def build_connect(analysis, conn, auth, options):
    """Text of the V3 connect command for ``conn``; returns ``(text, reason)`` (text None when not possible)."""
    scc = conn.kind == SCC
    name = 'Connect-IPPSSession' if scc else 'Connect-ExchangeOnline'
    if name.lower() in analysis.shadowed:
        name = 'ExchangeOnlineManagement\\' + name
    args = []
    if not scc and conn.environment:
        args.append('-ExchangeEnvironmentName ' + conn.environment)
    if scc and conn.scc_endpoints:
        args.append('-ConnectionUri ' + quote(conn.scc_endpoints[0]))
        args.append('-AzureADAuthorizationEndpointUri ' + quote(conn.scc_endpoints[1]))
    delegated = list(conn.delegated) if conn.delegated else None
    if auth == 'keep_credential':
        if conn.oauth:
            return None, 'the credential carries an OAuth token (BasicAuthToOAuthConversion); choose another auth mode or use -AccessToken'
        if conn.credential is not None:
            args.append('-Credential ' + credential_source(analysis, conn.credential, conn.credential_reused))
        elif conn.upn is not None:
            args.append('-UserPrincipalName ' + analysis.src(conn.upn))
    elif auth == 'interactive':
        user = _user_of(analysis, conn)
        if user:
            args.append('-UserPrincipalName ' + user)
    elif auth == 'certificate':
        platform = str(options.get('platform') or 'windows').lower()
        args.append('-AppId ' + quote(options.get('app_id') or PLACEHOLDERS['app_id']))
        if options.get('certificate_thumbprint') and platform != 'linux':
            args.append('-CertificateThumbprint ' + quote(options['certificate_thumbprint']))
        elif options.get('certificate_file_path') or platform == 'linux':
            args.append('-CertificateFilePath ' + quote(options.get('certificate_file_path') or PLACEHOLDERS['certificate_file_path']))
            password = options.get('certificate_password_variable')
            if password:
                args.append('-CertificatePassword $' + re.sub(r'[^\w:]', '', str(password).lstrip('$')))
        else:
            args.append('-CertificateThumbprint ' + quote(PLACEHOLDERS['certificate_thumbprint']))
        args.append('-Organization ' + _organization(options, delegated))
        if not options.get('organization') and delegated:
            delegated = None
    elif auth == 'managed_identity':
        if scc:
            return None, 'managed identity is not documented for Connect-IPPSSession; choose another auth mode for Security & Compliance'
        args.append('-ManagedIdentity')
        if options.get('managed_identity_account_id'):
            args.append('-ManagedIdentityAccountId ' + quote(options['managed_identity_account_id']))
        args.append('-Organization ' + _organization(options, delegated))
        if not options.get('organization') and delegated:
            delegated = None
    if delegated:
        args.append('-DelegatedOrganization ' + render(delegated))
        if scc and not conn.scc_endpoints:
            args.append('-AzureADAuthorizationEndpointUri ' + render([('lit', 'https://login.microsoftonline.com/')] + delegated))
    if conn.prefix is not None:
        args.append('-Prefix ' + conn.prefix)
    if conn.command_name is not None:
        args.append('-CommandName ' + conn.command_name)
    if conn.format_type_name is not None:
        args.append('-FormatTypeName ' + conn.format_type_name)
    if options.get('show_banner', False) is False:
        args.append('-ShowBanner:$false')
    spelled = {'erroraction': 'ErrorAction', 'warningaction': 'WarningAction', 'errorvariable': 'ErrorVariable'}
    for param, source in conn.common:
        args.append('-%s %s' % (spelled[param], source))
    return name + ' ' + ' '.join(args), None


def credential_source(analysis, value, copy):
    """The -Credential argument; a copy of the object when the script uses the credential again later."""
    source = analysis.src(value)
    var = only_variable(value)
    if not copy or var is None:
        return source
    return '([System.Management.Automation.PSCredential]::new(%s.UserName, %s.Password.Copy()))' % (source, source)


def _organization(options, delegated):
    if options.get('organization'):
        return quote(options['organization'])
    if delegated:
        return render(delegated)
    return quote(PLACEHOLDERS['organization'])


class _Editor(object):
    def __init__(self, analysis):
        self.analysis = analysis
        self.text = analysis.text
        self.pos = analysis.doc.pos
        self.edits = []
        self.removed_names = set()

    def trimmed(self, start, end):
        return start, start + len(self.text[start:end].rstrip())

    def replace(self, start, end, after, rule):
        start, end = self.trimmed(start, end)
        self.edits.append((start, end, after, rule))

    def delete(self, start, end, rule):
        start, end = self.trimmed(start, end)
        text = self.text
        line_start = self.pos.line_start(start)
        line_end = self.pos.line_end(end)
        before = text[line_start:start]
        after = text[end:line_end]
        if not before.strip() and not after.strip():
            self.edits.append((line_start, self.pos.after_break(line_end), '', rule))
        elif after.lstrip().startswith(';'):
            semi = end + after.index(';') + 1
            rest = text[semi:line_end]
            if not before.strip() and not rest.strip():
                # 'Statement ;' alone on its line: the line goes, as for a statement without terminator
                self.edits.append((line_start, self.pos.after_break(line_end), '', rule))
                return
            semi += len(rest) - len(rest.lstrip(' \t'))
            self.edits.append((start, semi, '', rule))
        elif before.rstrip().endswith(';') and not after.strip():
            cut = line_start + len(before.rstrip()) - 1
            self.edits.append((cut, end, '', rule))
        elif not before.strip() and after.lstrip().startswith('#'):
            gap = len(after) - len(after.lstrip(' \t'))
            self.edits.append((start, end + gap, '', rule))
        else:
            self.edits.append((start, end, '', rule))

    def insert_before_statement(self, start, line, rule, newline):
        line_start = self.pos.line_start(start)
        indent = self.text[line_start:start]
        if indent.strip():
            self.edits.append((start, start, line + '; ', rule))
        else:
            self.edits.append((start, start, line + newline + indent, rule))

    def apply(self):
        edits = sorted(self.edits, key=lambda e: (e[0], e[1]))
        merged = []
        last_end = -1
        for edit in edits:
            if edit[0] < last_end:
                continue
            merged.append(edit)
            last_end = max(last_end, edit[1])
        out = []
        cursor = 0
        for start, end, after, _rule in merged:
            out.append(self.text[cursor:start])
            out.append(after)
            cursor = end
        out.append(self.text[cursor:])
        return ''.join(out), merged


def _requires_offset(analysis):
    """Where to put the #Requires line: after a shebang, #Requires lines and a leading help/header comment.

    A leading comment group (comments on consecutive lines) is skipped when it is a block comment or
    #Requires lines, or when a blank line separates it from the code; a line comment that sits right
    above code belongs to that code and the line goes before it. Returns -1 for "at the end".
    """
    doc = analysis.doc
    text = analysis.text
    pos = doc.pos
    items = []
    for child in doc.root.children:
        if child.type in ('comment', 'requires_directive_list'):
            items.append(child)
        else:
            break
    offset = 0
    if items and doc.nsrc(items[0]).startswith('#!') and doc.span(items[0])[0] == 0:
        offset = _after_line(pos, doc.span(items[0])[1])
        items = items[1:]
    idx = 0
    while idx < len(items):
        group = [items[idx]]
        while idx + 1 < len(items):
            gap = text[doc.span(group[-1])[1]:doc.span(items[idx + 1])[0]]
            if gap.count('\n') + (gap.count('\r') if '\n' not in gap else 0) <= 1:
                group.append(items[idx + 1])
                idx += 1
            else:
                break
        idx += 1
        g_end = doc.span(group[-1])[1]
        line_end = pos.line_end(g_end)
        if text[g_end:line_end].strip():
            break
        after = pos.after_break(line_end)
        next_line = text[after:].lstrip(' \t')
        blank_follows = after >= len(text) or next_line[:1] in ('\r', '\n', '')
        header_like = all(item.type == 'requires_directive_list' or doc.nsrc(item).startswith('<#') for item in group)
        if not (blank_follows or header_like):
            break
        offset = _after_line(pos, g_end)
    return offset


def _after_line(pos, end):
    line_end = pos.line_end(end)
    after = pos.after_break(line_end)
    return after if after > line_end else -1


def migrate(text, path='', auth='keep_credential', options=None, budget=None):
    if auth not in AUTH_MODES:
        raise ValueError('auth must be one of %s' % ', '.join(AUTH_MODES))
    options = dict(options or {})
    analysis = Analysis(text, path, budget)
    base = analysis.result()
    newline = options.get('newline') or dominant_newline(text)

    def unchanged(extra):
        return {'text': text, 'changed': False, 'edits': [], 'findings': base['findings'] + extra,
                'connections': base['connections'], 'parse_errors_after': [], 'legacy_remaining': base['legacy_remaining'],
                'auth_limits': AUTH_LIMITS[auth]}

    gaps = _gap_regions(analysis)
    broken = [e for e in analysis.parse_errors if e['message'] != 'syntax error'] or \
        [g for g in gaps if not _balanced(analysis.doc.norm[g[0]:g[1]])]
    if broken:
        first = analysis.parse_errors[0]
        loc = {k: first[k] for k in ('line', 'column', 'end_line', 'end_column')}
        item = make('EXO030', loc, analysis.snippet(first['offset'], first['end_offset']), None, False,
                    'Script not rewritten: it does not parse (first error at line %d, column %d)' % (first['line'], first['column']))
        return unchanged([item])
    touching = [g for g in gaps if _LEGACY_TEXT.search(analysis.doc.norm[g[0]:g[1]])]
    if touching:
        first = analysis.loc(touching[0][0], touching[0][1])
        item = make('EXO030', first, analysis.snippet(touching[0][0], touching[0][1]), None, False,
                    'Script not rewritten: a region the PowerShell grammar does not understand (lines %d-%d) holds Exchange '
                    'connection code' % (first['line'], first['end_line']))
        return unchanged([item])

    editor = _Editor(analysis)
    notes = []
    done = []
    for conn in analysis.connections:
        if not conn.legacy or conn.kind not in CLOUD or conn.form == 'v3_connect' or not conn.rewritable:
            continue
        connect, reason = build_connect(analysis, conn, auth, options)
        if connect is None:
            notes.append((conn.start, conn.end, 'Not rewritten: ' + reason, conn.kind))
            continue
        if conn.form == 'v1_connect':
            editor.replace(conn.cmd.start, conn.cmd.end, connect, 'connect')
        else:
            s_start, s_end = analysis.span(conn.stmt)
            editor.replace(s_start, s_end, connect, 'connect')
            for imp in conn.imports:
                if conn.inline_import is not None and imp.node == conn.inline_import.node:
                    continue
                i_start, i_end = analysis.span(analysis.doc.statement_of(imp.node))
                editor.delete(i_start, i_end, 'import')
            for mod in conn.module_imports:
                m_start, m_end = analysis.span(analysis.doc.statement_of(mod.node))
                editor.delete(m_start, m_end, 'import')
        done.append(conn)
    for removal in analysis.rps_removals:
        conn = removal['conn']
        if conn is not None and not conn.rewritable:
            continue
        if removal['delete_statement']:
            editor.delete(removal['start'], removal['end'], 'use-rps-session')
        else:
            editor.replace(removal['start'], removal['end'], '', 'use-rps-session')
    v1_blocked = any(c.form in ('v1_connect', 'v1_session') and c not in done for c in analysis.connections if c.kind in CLOUD)
    if not v1_blocked:
        for stmt in analysis.loaders:
            start, end = analysis.span(stmt)
            editor.delete(start, end, 'v1-module-loader')
    if done:
        legacy_left = [c for c in analysis.connections if c.legacy and c.kind in CLOUD and c.form != 'v3_connect' and c not in done]
        disconnect = 'Disconnect-ExchangeOnline'
        if 'disconnect-exchangeonline' in analysis.shadowed:
            disconnect = 'ExchangeOnlineManagement\\' + disconnect
        linked_done = False
        for item in sorted(analysis.cleanups, key=lambda i: not i['conns']):
            action = item['action']
            if action == 'report':
                continue
            if not item['conns'] and action == 'insert' and linked_done:
                continue
            linked_done = linked_done or bool(item['conns'])
            if item['conns'] and not all(c in done for c in item['conns'] if c.kind in CLOUD):
                continue
            line = disconnect + ' -Confirm:$false'
            for param in item['cmd'].params:
                if param.name == 'erroraction' and param.value is not None:
                    line += ' -ErrorAction ' + analysis.src(param.value)
            start, end = analysis.span(item['stmt'])
            if action == 'replace' and not (legacy_left and not item['conns']):
                editor.replace(start, end, line, 'cleanup')
            else:
                editor.insert_before_statement(start, line, 'cleanup', newline)
    if editor.edits:
        for cmd, value in analysis.password_eaters:
            v_start, v_end = analysis.span(value)
            editor.replace(v_start, v_end, credential_source(analysis, value, True), 'credential-copy')
    blockers = []
    if editor.edits:
        blockers = _plan_reads(analysis, editor, done)
    if editor.edits and gaps and not blockers:
        blockers = _gap_conflicts(analysis, editor, gaps)
    if blockers:
        return unchanged(extra_notes(analysis, notes) + blockers)
    if editor.edits and options.get('add_requires', True) and not _has_requires(analysis):
        offset = _requires_offset(analysis)
        if offset < 0:
            editor.edits.append((len(text), len(text), newline + REQUIRES_LINE + newline, 'requires'))
        else:
            editor.edits.append((offset, offset, REQUIRES_LINE + newline, 'requires'))

    extra = [_note(analysis, n) for n in notes]
    if not editor.edits:
        return unchanged(extra)
    new_text, applied = editor.apply()
    if new_text == text:
        return unchanged(extra)
    after = Analysis(new_text, path, budget)
    left = _defuse.dangling(after, editor.removed_names)
    if left:
        offset, name = left[0]
        loc = after.loc(offset, offset)
        item = make('EXO031', loc, '', None, False,
                    'Script not rewritten: the result would still read $%s (line %d of the result) after its definition was removed'
                    % (name, loc['line']))
        return unchanged(extra + [item])
    if gaps and _same_gaps(analysis, after, gaps):
        pass
    elif after.parse_errors:
        first = after.parse_errors[0]
        loc = {'line': 1, 'column': 1, 'end_line': 1, 'end_column': 1}
        item = make('EXO030', loc, '', None, False,
                    'Script not rewritten: the rewritten text would not parse (line %d, column %d of the result)' % (first['line'], first['column']))
        return unchanged(extra + [item])
    edits = []
    for start, end, replacement, rule in applied:
        item = {'rule': rule, 'offset': start, 'end_offset': end,
                'before': analysis.redact(text[start:end]), 'after': analysis.redact(replacement)}
        loc = analysis.loc(start, end)
        item.update({'start_line': loc['line'], 'start_column': loc['column'], 'end_line': loc['end_line'], 'end_column': loc['end_column']})
        edits.append(item)
    findings = after.result()['findings']
    for g_start, g_end in _gap_regions(after):
        loc = after.loc(g_start, g_end)
        item = make('EXO033', loc, after.snippet(g_start, g_end), None, False,
                    'Lines %d-%d are valid PowerShell the grammar does not understand; they hold no Exchange connection and were '
                    'left byte for byte while the rest was migrated' % (loc['line'], loc['end_line']))
        item['offset'], item['end_offset'] = g_start, g_end
        findings.append(item)
    for item in extra:
        shifted = _shift(item['offset'], applied)
        item.update(after.loc(shifted, shifted))
        findings.append(item)
    findings.sort(key=lambda f: (f['line'], f['column'], f['id']))
    return {'text': new_text, 'changed': True, 'edits': edits, 'findings': findings,
            'connections': after.connection_dicts(), 'parse_errors_after': [], 'legacy_remaining': after.legacy_remaining(),
            'auth_limits': AUTH_LIMITS[auth], 'removed_names': sorted(editor.removed_names)}


_LEGACY_TEXT = re.compile(r'New-PSSession|Microsoft\.Exchange|UseRPSSession|Connect-EXOPSSession|New-ExoPSSession|Import-PSSession|'
                          r'Remove-PSSession|Get-PSSession|powershell-liveid|CreateExoPSSession|ExoPowershellModule|'
                          r'Connect-ExchangeOnline|Connect-IPPSSession|Disconnect-ExchangeOnline', re.I)


def _gap_regions(analysis):
    """The regions (start, end) the grammar rejected, merged; zero-width 'missing' marks widen to their line."""
    spans = []
    pos = analysis.doc.pos
    for error in analysis.parse_errors:
        start, end = error['offset'], error['end_offset']
        if end <= start:
            start, end = pos.line_start(start), pos.line_end(start)
        spans.append((start, end))
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _balanced(text):
    """Brackets of a rejected region pair up (outside quotes and comments): a grammar gap, not a broken script.

    A missing token, or a region whose brackets do not pair up, is a script PowerShell would reject
    too; only balanced regions are treated as gaps of the grammar.
    """
    pairs = {')': '(', '}': '{', ']': '['}
    stack = []
    quote = None
    index = 0
    while index < len(text):
        ch = text[index]
        if quote:
            if ch == '`' and quote == '"':
                index += 2
                continue
            if ch == quote:
                quote = None
        elif ch in '\'"':
            quote = ch
        elif ch == '#':
            newline = text.find('\n', index)
            index = len(text) if newline < 0 else newline
            continue
        elif ch in '({[':
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
        index += 1
    return not stack and quote is None


def _gap_conflicts(analysis, editor, gaps):
    """Blocking findings when an edit or a removed name meets a region the grammar rejected."""
    out = []
    names = sorted(editor.removed_names)
    name_re = re.compile(r'\$\{?(?:(?:global|script|local):)?(?:%s)\b' % '|'.join(re.escape(n) for n in names), re.I) if names else None
    for g_start, g_end in gaps:
        reason = None
        if any(start < g_end and g_start < end or (start == end and g_start <= start <= g_end)
               for start, end, _after, _rule in editor.edits):
            reason = 'an edit would touch a region the PowerShell grammar does not understand'
        elif name_re is not None and name_re.search(analysis.doc.norm[g_start:g_end]):
            reason = 'a region the PowerShell grammar does not understand reads a variable the rewrite removes'
        if reason:
            loc = analysis.loc(g_start, g_end)
            item = make('EXO030', loc, analysis.snippet(g_start, g_end), None, False,
                        'Script not rewritten: %s (lines %d-%d)' % (reason, loc['line'], loc['end_line']))
            item['offset'], item['end_offset'] = g_start, g_end
            out.append(item)
    return out


def _same_gaps(before, after, gaps):
    """True when the rewritten text has exactly the rejected regions of the original (same text), no new ones."""
    later = _gap_regions(after)
    if len(later) != len(gaps):
        return False
    return all(before.doc.norm[a:b] == after.doc.norm[c:d] for (a, b), (c, d) in zip(gaps, later))


def extra_notes(analysis, notes):
    return [_note(analysis, n) for n in notes]


def _plan_reads(analysis, editor, done):
    """Def-use check of the planned edits: adds the session-check edits, or returns blocking findings."""
    owned = [(start, end) for start, end, _after, _rule in editor.edits if end > start]
    removed = []
    for conn in done:
        if conn.form in ('rps_session', 'v1_session'):
            stmt = conn.inline_stmt if getattr(conn, 'inline_stmt', None) is not None else conn.stmt
            target = _defuse.target_node(stmt)
            if target is not None:
                removed.append((target, [conn.kind], analysis.span(stmt)[0]))
        for cmd in list(conn.imports) + list(conn.module_imports):
            stmt = analysis.doc.statement_of(cmd.node)
            target = _defuse.target_node(stmt)
            if target is not None:
                removed.append((target, [conn.kind], analysis.span(stmt)[0]))
    kinds = [c.kind for c in done] or ['exchange_online']
    for stmt in analysis.loaders:
        start, end = analysis.span(stmt)
        if any(o_start <= start and end <= o_end for o_start, o_end in owned):
            target = _defuse.target_node(stmt)
            if target is not None:
                removed.append((target, kinds, start))
    touched = list(done) + [r['conn'] for r in analysis.rps_removals if r.get('conn') is not None]
    plan = _defuse.DefUse(analysis, owned, touched)
    edits, blockers = plan.plan(removed)
    editor.removed_names = plan.removed_names
    out = []
    for blocker in blockers:
        item = make('EXO031', analysis.loc(blocker.start, blocker.end), analysis.snippet(blocker.start, blocker.end), None, False,
                    'Script not rewritten: ' + blocker.reason)
        item['offset'] = blocker.start
        item['end_offset'] = blocker.end
        out.append(item)
    if out:
        return out
    claimed = sorted(owned)
    for start, end, text, rule in edits:
        if any(start < c_end and c_start < end for c_start, c_end in claimed):
            item = make('EXO031', analysis.loc(start, end), analysis.snippet(start, end), None, False,
                        'Script not rewritten: a session check overlaps another rewritten statement')
            item['offset'] = start
            item['end_offset'] = end
            return [item]
        claimed.append((start, end))
        editor.edits.append((start, end, text, rule))
    return []


def _note(analysis, note):
    start, end, message, kind = note
    item = make('EXO028', analysis.loc(start, end), analysis.snippet(start, end), kind, False, message)
    item['offset'] = start
    item['end_offset'] = end
    return item


def _shift(offset, applied):
    delta = 0
    for start, end, replacement, _rule in applied:
        if end <= offset:
            delta += len(replacement) - (end - start)
        elif start <= offset:
            return start + delta
    return offset + delta


def _has_requires(analysis):
    return re.search(r'^[ \t]*#requires\b[^\r\n]*exchangeonlinemanagement', analysis.text, re.I | re.M) is not None


def reparse_errors(text):
    return Doc(text).errors()
