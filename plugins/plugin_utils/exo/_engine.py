# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: analysis and rewrite of Exchange Online Remote PowerShell usage (the EXO script engine)."""

import bisect
import re

from ._ast import Command, Doc, canonical_param, contains, only_variable, unwrap, var_name
from ._catalog import make
from ._values import UNKNOWN, Values, flatten, pieces, walk

EXO, SCC, EOP = 'exchange_online', 'security_compliance', 'eop'
ONPREM, OTHER, UNKNOWN_KIND = 'on_premises', 'other_session', 'unknown'
CLOUD = (EXO, SCC, EOP)

# host -> ExchangeEnvironmentName (None: the default O365Default)
EXO_HOSTS = {
    'outlook.office365.com': None,
    'ps.outlook.com': None,
    'outlook.office365.us': 'O365USGovGCCHigh',
    'outlook-dod.office365.us': 'O365USGovDoD',
    'webmail.apps.mil': 'O365USGovDoD',
    'partner.outlook.cn': 'O365China',
    'outlook.office.de': 'O365GermanyCloud',
}
EOP_HOSTS = {
    'ps.protection.outlook.com': None,
    'ps.protection.protection.outlook.com': None,
    'ps.protection.outlook.de': 'O365GermanyCloud',
}
# host -> (ConnectionUri, AzureADAuthorizationEndpointUri) for Connect-IPPSSession; None: worldwide default
SCC_HOSTS = {
    'ps.compliance.protection.outlook.com': None,
    'ps.compliance.protection.office365.us': ('https://ps.compliance.protection.office365.us/powershell-liveid/',
                                              'https://login.microsoftonline.us/common'),
    'l5.ps.compliance.protection.office365.us': ('https://l5.ps.compliance.protection.office365.us/powershell-liveid/',
                                                 'https://login.microsoftonline.us/common'),
    'ps.compliance.protection.outlook.us': ('https://ps.compliance.protection.outlook.us/powershell-liveid/',
                                            'https://login.microsoftonline.us/common'),
    'compliance.dod.microsoft.com': ('https://compliance.dod.microsoft.com/powershell-liveid/', 'https://login.microsoftonline.us/common'),
    'ps.compliance.protection.partner.outlook.cn': ('https://ps.compliance.protection.partner.outlook.cn/powershell-liveid',
                                                    'https://login.chinacloudapi.cn/common'),
    'ps.compliance.protection.outlook.de': ('https://ps.compliance.protection.outlook.de/powershell-liveid/',
                                            'https://login.microsoftonline.de/common'),
}
POD_HOST = re.compile(r'^pod\d+psh\.outlook\.com$')
OTHER_HOST = re.compile(r'(^|\.)(online\.lync\.com|lync\.com|teams\.microsoft\.com|skypeforbusiness\.com)$')
ENV_BY_NAME = {
    'o365default': None, 'o365usgovgcchigh': 'O365USGovGCCHigh', 'o365usgovdod': 'O365USGovDoD',
    'o365germanycloud': 'O365GermanyCloud', 'o365china': 'O365China',
}

AUTH_MODES = ('keep_credential', 'interactive', 'certificate', 'managed_identity')
REQUIRES_LINE = "#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }"
V3_NAMES = ('connect-exchangeonline', 'connect-ippssession', 'disconnect-exchangeonline')
CARRIED_COMMON = ('erroraction', 'warningaction', 'errorvariable')
_SECRET_MASK = '***'
_LEGACY_MARKERS = re.compile(r'New-PSSession|Microsoft\.Exchange|UseRPSSession|Connect-EXOPSSession|New-ExoPSSession|Import-PSSession|'
                             r'powershell-liveid|CreateExoPSSession|ExoPowershellModule', re.I)
_STRING_MARKERS = re.compile(r'-UseRPSSession|Connect-EXOPSSession|New-ExoPSSession|ConfigurationName\W{1,3}Microsoft\.Exchange', re.I)
_EXCHANGE_FILTER = re.compile(r'microsoft\.exchange|outlook|office365|compliance|protection|exchangeonline|apps\.mil', re.I)
# cmdlets documented to empty the password of a PSCredential passed to -Credential
_PASSWORD_EATERS = ('connect-azuread', 'connect-azaccount', 'login-azaccount', 'add-azaccount', 'login-azurermaccount')
_EXO_CMDLETS = re.compile(r'\b(?:Get|Set|New|Remove|Add|Enable|Disable|Search|Start|Export)-(?:EXO\w*|Mailbox\w*|DistributionGroup\w*|'
                          r'Recipient\w*|MailUser|MailContact|UnifiedGroup\w*|TransportRule|MessageTrace\w*|InboundConnector|'
                          r'OutboundConnector|AcceptedDomain|OrganizationConfig|CASMailbox|Compliance\w*|Retention\w*|DlpCompliance\w*|'
                          r'MobileDevice\w*|CalendarProcessing|InboxRule|AdminAuditLog\w*|UnifiedAuditLog\w*)\b', re.I)
_WINRM_CARRIERS = ('winrm', 'winrm.cmd', 'winrm.vbs', 'cmd', 'cmd.exe', 'start-process', 'invoke-expression', 'iex', 'saps', 'start')
_WINRM_BASIC = re.compile(r'winrm/config/client/auth\b.*basic\W{0,6}=\W{0,6}true|'
                          r'wsman:[\\/]+localhost[\\/]+client[\\/]+auth[\\/]+basic', re.I | re.S)
_LOADER_MARKER = re.compile(r'CreateExoPSSession\.ps1|ExoPowershellModule', re.I)
_SIMPLE_VAR = re.compile(r'^\$(?:(?:global|script|local):)?\w+$', re.I)


class Connection(object):
    def __init__(self, cmd, form, kind, legacy):
        self.cmd = cmd
        self.form = form          # rps_session, v1_connect, v1_session, v3_connect, cs_session
        self.kind = kind
        self.legacy = legacy
        self.stmt = None
        self.session_var = None
        self.inline_import = None
        self.imports = []
        self.credential_reused = False
        self.branch_kinds = None
        self.session_name_src = None  # source of a variable given to New-PSSession -Name
        self.module_vars = []     # variables holding the module Import-PSSession returned
        self.module_imports = []  # Import-Module commands of such a variable
        self.uri = None
        self.uri_segments = None
        self.host = None
        self.environment = None
        self.scc_endpoints = None
        self.delegated = None     # list of (kind, text) pieces
        self.oauth = False
        self.auth = None
        self.credential = None    # value node
        self.upn = None           # value node
        self.session_option = None
        self.session_name = None  # literal -Name of New-PSSession, when known
        self.common = []          # (name, source)
        self.rewritable = False
        self.reason = ''
        self.prefix = None
        self.command_name = None
        self.format_type_name = None
        self.start = cmd.start
        self.end = cmd.end


class Analysis(object):
    """Everything the engine knows about one script text."""

    def __init__(self, text, path='', budget=None):
        self.text = text
        self.path = path or ''
        self.doc = Doc(text, budget)
        self.values = Values(self.doc)
        self.commands = [self._command(n) for n in self.doc.of_type('command')]
        self.commands.sort(key=lambda c: c.node.start_byte)
        self._command_starts = [c.node.start_byte for c in self.commands]
        self._variables = None
        self.parse_errors = self.doc.errors()
        self.error_ranges = [(e['offset'], e['end_offset']) for e in self.parse_errors]
        self.connections = []
        self.findings = []
        self.secrets = []         # (start, end, source) of password literals
        self.cleanups = []        # dicts: cmd, stmt, action (replace|insert|report), vars
        self.rps_removals = []    # (start, end, kind, node/param)
        self.loaders = []         # statements loading the V1 module
        self.shadowed = set()
        self.password_eaters = []  # (command, credential value node) of Connect-AzureAD-like calls whose credential is used later
        self._session_index = {}
        self._session_starts = {}
        self._analyse()

    # -- helpers ----------------------------------------------------------------------------------

    def _command(self, node):
        self.doc.budget.tick()
        return Command(self.doc, node)

    def each_command(self):
        tick = self.doc.budget.tick
        for cmd in self.commands:
            tick()
            yield cmd

    def loc(self, start, end):
        return self.doc.location(start, end)

    def snippet(self, start, end):
        pos = self.doc.pos
        first = pos.line_col(start)[0]
        last = pos.line_col(max(start, end - 1 if end > start else end))[0]
        lines = [pos.line_text(n) for n in range(first, min(last, first + 4) + 1)]
        text = '\n'.join(line.strip() for line in lines)
        if last > first + 4:
            text += '\n...'
        text = self.redact(text)
        return text if len(text) <= 400 else text[:397] + '...'

    def redact(self, text):
        for secret in self.secrets:
            source = secret[2]
            if source and source in text:
                text = text.replace(source, _SECRET_MASK)
        return text

    def in_error(self, start, end):
        for e_start, e_end in self.error_ranges:
            if start < e_end and e_start < end:
                return True
            if e_start == e_end and start <= e_start <= end:
                return True
        return False

    def add(self, finding_id, start, end, connection=None, rewritable=False, message=None):
        item = make(finding_id, self.loc(start, end), self.snippet(start, end), connection, rewritable, message)
        item['offset'] = start
        item['end_offset'] = end
        self.findings.append(item)
        return item

    def span(self, node):
        return self.doc.span(node)

    def src(self, node):
        return self.doc.src(node)

    def commands_in(self, node):
        """Commands inside ``node`` (a bisect on the start offsets: the cost is the size of the answer)."""
        out = []
        index = bisect.bisect_left(self._command_starts, node.start_byte)
        commands = self.commands
        while index < len(commands) and commands[index].node.start_byte < node.end_byte:
            if contains(node, commands[index].node):
                out.append(commands[index])
            index += 1
        return out

    def variables_named(self, name):
        """Variable nodes whose bare lower-case name is ``name``, in document order."""
        if self._variables is None:
            index = {}
            for node in self.doc.of_type('variable'):
                index.setdefault(var_name(self.doc.nsrc(node)), []).append(node)
            self._variables = index
        return self._variables.get(name, [])

    def arg(self, cmd, name, positional=None):
        """Value node of parameter ``name`` on ``cmd``, from the call or from a splat; ``(node, offset)``."""
        param = cmd.param(name)
        if param is not None and param.value is not None:
            return param.value
        for splat in cmd.splats:
            table = self.values.splat(splat, cmd.start)
            for key, entry in table.items():
                value = entry[0]
                if canonical_param(cmd.name, key) == name:
                    return value
        if positional is not None and len(cmd.positionals) > positional:
            return cmd.positionals[positional][0]
        return None

    def has_switch(self, cmd, name):
        if cmd.has(name):
            return True
        for splat in cmd.splats:
            for key in self.values.splat(splat, cmd.start):
                if canonical_param(cmd.name, key) == name:
                    return True
        return False

    def value_text(self, node, at):
        if node is None:
            return None
        return flatten(self.values.evaluate(node, at))

    # -- analysis ---------------------------------------------------------------------------------

    def _analyse(self):
        self._functions()
        self._secrets()
        for cmd in self.each_command():
            name = cmd.name
            if name == 'new-pssession':
                self._new_pssession(cmd)
            elif name in ('new-csonlinesession',):
                conn = Connection(cmd, 'cs_session', OTHER, False)
                self._bind_session(conn)
                self.connections.append(conn)
            elif name in ('connect-exopssession', 'new-exopssession'):
                self._v1(cmd)
            elif name in ('connect-exchangeonline', 'connect-ippssession'):
                if name in self.shadowed and not cmd.qualifier:
                    continue
                self._v3(cmd)
        self.connections.sort(key=lambda c: c.start)
        for conn in self.connections:
            if conn.session_var:
                self._session_index.setdefault(conn.session_var, []).append(conn)
        self._imports()
        self._loaders()
        self._rps_splats()
        self._decide()
        self._cleanups()
        self._report()
        self.findings.sort(key=lambda f: (f['offset'], f['id']))

    def _functions(self):
        for node in self.doc.of_type('function_statement'):
            for child in node.children:
                if child.type == 'function_name':
                    name = re.sub(r'^(global|script|local|private):', '', self.doc.nsrc(child).strip(), flags=re.I).lower()
                    if name in V3_NAMES:
                        self.shadowed.add(name)
                        start, end = self.span(child)
                        self.add('EXO022', start, end)

    def _secrets(self):
        for cmd in self.each_command():
            if cmd.name != 'convertto-securestring' or not cmd.has('asplaintext'):
                continue
            value = self.arg(cmd, 'string', 0)
            if value is None:
                continue
            targets = []
            inner = unwrap(value)
            if inner.type in ('string_literal', 'generic_token'):
                targets.append(inner)
            elif inner.type == 'variable':
                for assignment in self.values.reaching(var_name(self.doc.nsrc(inner)), cmd.start):
                    rhs = unwrap(assignment.value)
                    if rhs is not None and rhs.type == 'string_literal':
                        targets.append(rhs)
            for target in targets:
                start, end = self.span(target)
                self.secrets.append((start, end, self.src(target)))
        for start, end, _source in self.secrets:
            self.add('EXO020', start, end)

    def _statement(self, cmd):
        """The statement holding ``cmd`` when it is a plain ``cmd`` or ``$var = cmd`` pipeline; (stmt, var)."""
        stmt = self.doc.statement_of(cmd.node)
        if stmt.type != 'pipeline':
            return None, None
        others = [c for c in self.commands_in(stmt) if not contains(cmd.node, c.node)]
        if others:
            return stmt, False
        var = None
        named = [c for c in stmt.children if c.is_named]
        if len(named) == 1 and named[0].type == 'assignment_expression':
            left = [c for c in named[0].children if c.type == 'left_assignment_expression']
            target = only_variable(left[0]) if left else None
            if target is None and left:
                inner = unwrap(left[0])
                while inner is not None and inner.type in ('expression_with_unary_operator', 'cast_expression'):
                    rest = [c for c in inner.children if c.is_named and c.type != 'type_literal']
                    inner = unwrap(rest[-1]) if rest else None
                target = inner if inner is not None and inner.type == 'variable' else None
            if target is None:
                return stmt, False
            var = var_name(self.doc.nsrc(target))
        return stmt, var

    def _bind_session(self, conn):
        stmt, var = self._statement(conn.cmd)
        conn.stmt = stmt
        if var:
            conn.session_var = var
        # inline: Import-PSSession (New-PSSession ...)
        parent = self.doc.parent(conn.cmd.node)
        while parent is not None:
            if parent.type == 'command':
                outer = Command(self.doc, parent)
                if outer.name == 'import-pssession':
                    conn.inline_import = outer
                break
            parent = self.doc.parent(parent)

    def _classify(self, conn, uri_node, auth_node, config_exchange):
        cmd = conn.cmd
        if uri_node is not None:
            segs = self.values.evaluate(uri_node, cmd.start)
            conn.uri_segments = segs
            conn.uri = flatten(segs).replace(UNKNOWN, '{?}')
            flat = flatten(segs)
        else:
            flat = None
        auth = (self.value_text(auth_node, cmd.start) or '').lower()
        conn.auth = auth or None
        if flat is None:
            if conn.form == 'rps_session':
                conn.kind = ONPREM if config_exchange and self.arg(cmd, 'computername') is not None else UNKNOWN_KIND
            return
        match = re.match(r'\s*(https?)://([^/:?#\s]*)(:\d+)?(/[^?#]*)?(.*)$', flat, re.I | re.S)
        if not match:
            conn.kind = ONPREM if auth in ('kerberos', 'negotiate', 'default') else UNKNOWN_KIND
            return
        scheme, host, path = match.group(1), match.group(2), match.group(4)
        host = host.lower()
        path = (path or '').lower()
        conn.host = host if UNKNOWN not in host else None
        if 'basicauthtooauthconversion' in flat.lower():
            conn.oauth = True
        if UNKNOWN not in host and host in EXO_HOSTS:
            conn.kind, conn.environment = EXO, EXO_HOSTS[host]
        elif UNKNOWN not in host and POD_HOST.match(host):
            # a literal pod host (what ps.outlook.com redirected to) is the worldwide Exchange Online service
            conn.kind, conn.environment = EXO, None
        elif UNKNOWN not in host and host in EOP_HOSTS:
            conn.kind, conn.environment = EOP, EOP_HOSTS[host]
        elif UNKNOWN not in host and host in SCC_HOSTS:
            conn.kind, conn.scc_endpoints = SCC, SCC_HOSTS[host]
        elif UNKNOWN not in host and OTHER_HOST.search(host):
            conn.kind = OTHER
        elif auth in ('kerberos', 'negotiate', 'default') or scheme.lower() == 'http':
            conn.kind = ONPREM
        elif UNKNOWN not in host and host and path.rstrip('/').startswith('/powershell') and 'liveid' not in path:
            conn.kind = ONPREM
        else:
            conn.kind = UNKNOWN_KIND
        if conn.kind in CLOUD:
            conn.delegated = self._delegated(segs)

    def _delegated(self, segs):
        def keep(seg):
            inner = flatten(seg[3])
            return not any(ch in inner for ch in '/?=&')
        parts = pieces(segs, keep)
        out = []
        found = False
        for kind, text in parts:
            if not found:
                if kind != 'lit':
                    continue
                idx = text.lower().find('delegatedorg=')
                if idx < 0:
                    continue
                found = True
                text = text[idx + len('delegatedorg='):]
                kind = 'lit'
            if kind == 'lit':
                stop = re.search(r'[&#]', text)
                if stop:
                    if stop.start():
                        out.append(('lit', text[:stop.start()]))
                    break
                if text:
                    out.append(('lit', text))
            else:
                out.append((kind, text))
        return out or None

    def _new_pssession(self, cmd):
        config = self.arg(cmd, 'configurationname')
        config_text = (self.value_text(config, cmd.start) or '').strip().lower() if config is not None else ''
        config_exchange = config_text == 'microsoft.exchange'
        uri_node = self.arg(cmd, 'connectionuri')
        conn = Connection(cmd, 'rps_session', UNKNOWN_KIND, True)
        self._classify(conn, uri_node, self.arg(cmd, 'authentication'), config_exchange)
        branches = self._branch_kinds(cmd, config_exchange)
        if branches:
            conn.kind, conn.legacy = UNKNOWN_KIND, True
            conn.reason = 'the endpoint depends on a branch (%s)' % ', '.join(branches)
            conn.branch_kinds = branches
        if not config_exchange:
            if conn.kind == OTHER:
                conn.legacy = False
            elif conn.kind in CLOUD and (config is None or UNKNOWN in flatten(self.values.evaluate(config, cmd.start))):
                pass
            else:
                return
        if conn.kind == OTHER:
            conn.legacy = False
        if conn.kind == ONPREM:
            conn.legacy = False
        conn.credential = self.arg(cmd, 'credential')
        conn.session_option = self.arg(cmd, 'sessionoption')
        name_node = self.arg(cmd, 'name')
        name = self.value_text(name_node, cmd.start)
        if name and UNKNOWN not in name:
            conn.session_name = name.strip().lower()
        if name_node is not None and only_variable(name_node) is not None:
            conn.session_name_src = self.src(name_node).strip().lower()
        self._common(conn)
        self._bind_session(conn)
        self.connections.append(conn)

    def _branch_kinds(self, cmd, config_exchange):
        """Kinds (and DelegatedOrg use) of each branch value of a splat's ConnectionUri/Authentication, when they differ."""
        variants = []
        for splat in cmd.splats:
            alternatives = self.values.splat_alternatives(splat, cmd.start)
            uris = alternatives.get('connectionuri')
            auths = alternatives.get('authentication')
            if not uris and not auths:
                continue
            pairs = [(uri, self.arg(cmd, 'authentication')) for uri in uris] if uris else \
                [(self.arg(cmd, 'connectionuri'), auth) for auth in auths]
            for uri, auth in pairs:
                probe = Connection(cmd, 'rps_session', UNKNOWN_KIND, True)
                self._classify(probe, uri, auth, config_exchange)
                label = probe.kind
                if probe.delegated:
                    label += ' with DelegatedOrg'
                variants.append(label)
        distinct = sorted(set(variants))
        return distinct if len(distinct) > 1 else None

    def _common(self, conn):
        for param in conn.cmd.params:
            if param.name in CARRIED_COMMON and param.value is not None:
                conn.common.append((param.name, self.src(param.value)))

    def _v1(self, cmd):
        form = 'v1_connect' if cmd.name == 'connect-exopssession' else 'v1_session'
        conn = Connection(cmd, form, EXO, True)
        uri = self.arg(cmd, 'connectionuri')
        if uri is not None:
            self._classify(conn, uri, None, True)
            if conn.kind not in CLOUD + (UNKNOWN_KIND,):
                conn.kind = UNKNOWN_KIND
        conn.upn = self.arg(cmd, 'userprincipalname', 0 if form == 'v1_connect' else None)
        conn.credential = self.arg(cmd, 'credential')
        conn.session_option = self.arg(cmd, 'pssessionoption')
        delegated = self.arg(cmd, 'delegatedorganization')
        if delegated is not None:
            conn.delegated = [('expr', self.src(delegated))]
        self._common(conn)
        if form == 'v1_session':
            self._bind_session(conn)
        else:
            conn.stmt = self.doc.statement_of(cmd.node)
        self.connections.append(conn)

    def _v3(self, cmd):
        kind = SCC if cmd.name == 'connect-ippssession' else EXO
        conn = Connection(cmd, 'v3_connect', kind, False)
        uri = self.arg(cmd, 'connectionuri')
        if uri is not None:
            self._classify(conn, uri, None, True)
            if conn.kind not in CLOUD:
                conn.kind = kind
        env = self.arg(cmd, 'exchangeenvironmentname')
        if env is not None:
            conn.environment = ENV_BY_NAME.get((self.value_text(env, cmd.start) or '').lower(), conn.environment)
        conn.credential = self.arg(cmd, 'credential')
        conn.session_option = self.arg(cmd, 'pssessionoption')
        conn.stmt = self.doc.statement_of(cmd.node)
        for param in cmd.params:
            if param.name == 'userpssession':
                conn.legacy = True
                end = param.end
                if param.value is None:
                    # '-UseRPSSession $true' passes the boolean positionally; remove it with the switch
                    following = [p for p in cmd.positionals if p[1] >= param.end]
                    if following:
                        node, p_start, p_end = following[0]
                        if not self.text[param.end:p_start].strip(' \t`\r\n') and self.doc.nsrc(node).strip().lower() in ('$true', '$false'):
                            end = p_end
                self.rps_removals.append({'start': param.start, 'end': end, 'conn': conn, 'node_start': self.span(param.node)[0],
                                          'delete_statement': False})
        for splat in cmd.splats:
            if 'userpssession' in self.values.splat(splat, cmd.start):
                conn.legacy = True
        self.connections.append(conn)

    def _imports(self):
        inline = {}
        for candidate in self.connections:
            if candidate.inline_import is not None:
                inline.setdefault(candidate.inline_import.node.id, []).append(candidate)
        for cmd in self.each_command():
            if cmd.name != 'import-pssession':
                continue
            conn = None
            for candidate in inline.get(cmd.node.id, []):
                candidate.inline_import = cmd
                conn = candidate
            if conn is None:
                session = self.arg(cmd, 'session', 0)
                var = only_variable(session) if session is not None else None
                if var is not None:
                    conn = self.session_for(var_name(self.doc.nsrc(var)), cmd.start)
            if conn is None:
                if not self.in_error(cmd.start, cmd.end):
                    self.add('EXO025', cmd.start, cmd.end)
                continue
            conn.imports.append(cmd)
        self._module_imports()

    def _module_imports(self):
        """``$m = Import-PSSession $s`` then ``Import-Module $m [-Global] [-Prefix P]``: the second import belongs to the session.

        Followed through ``$n = Import-Module $m -PassThru`` as well (a work list, each statement once).
        """
        by_var = {}
        for cmd in self.each_command():
            if cmd.name != 'import-module':
                continue
            value = self.arg(cmd, 'name', 0)
            if value is None:
                value = self.arg(cmd, 'moduleinfo')
            var = only_variable(value) if value is not None else None
            if var is not None and not self.doc.nsrc(var).startswith('@'):
                by_var.setdefault(var_name(self.doc.nsrc(var)), []).append(cmd)
        work = []
        for conn in self.connections:
            for imp in conn.imports:
                if conn.inline_import is not None and imp.node == conn.inline_import.node:
                    target = self.assigned_variable(self.doc.statement_of(imp.node))
                else:
                    target = self._statement(imp)[1]
                if target:
                    work.append((conn, target, imp.start))
        seen = set()
        while work:
            conn, name, after = work.pop()
            conn.module_vars.append(name)
            for cmd in by_var.get(name, []):
                if cmd.node.id in seen:
                    continue
                seen.add(cmd.node.id)
                conn.module_imports.append(cmd)
                target = self._statement(cmd)[1]
                if target:
                    work.append((conn, target, cmd.start))

    def assigned_variable(self, stmt):
        """Bare name of ``$x`` in a ``$x = ...`` statement, else None."""
        named = [c for c in stmt.children if c.is_named] if stmt is not None and stmt.type == 'pipeline' else []
        if len(named) != 1 or named[0].type != 'assignment_expression':
            return None
        left = [c for c in named[0].children if c.type == 'left_assignment_expression']
        target = only_variable(left[0]) if left else None
        return var_name(self.doc.nsrc(target)) if target is not None else None

    def session_for(self, name, at):
        conns = self._session_index.get(name, [])
        starts = self._session_starts.get(name)
        if starts is None:
            starts = self._session_starts[name] = [c.start for c in conns]
        count = bisect.bisect_left(starts, at)
        if count:
            return conns[count - 1]
        return conns[0] if len(conns) == 1 else None

    def _loaders(self):
        """Statements that load the V1 module; only statements around a marker are looked at (no scan per statement)."""
        loader_vars = set()
        candidates = []
        seen = set()
        for match in _LOADER_MARKER.finditer(self.doc.norm):
            node = self._node_at(match.start())
            while node is not None:
                if node.type == 'pipeline' and node.id not in seen and self.doc.statement_of(node) == node:
                    seen.add(node.id)
                    candidates.append(node)
                node = self.doc.parent(node)
        candidates.sort(key=lambda n: n.start_byte)
        for node in candidates:
            inner = list(self.commands_in(node))
            named = [c for c in node.children if c.is_named]
            if named and named[0].type == 'assignment_expression':
                left = [c for c in named[0].children if c.type == 'left_assignment_expression']
                target = only_variable(left[0]) if left else None
                if target is not None:
                    loader_vars.add(var_name(self.doc.nsrc(target)))
                self.loaders.append(node)
            elif inner and (inner[0].invocation in ('.', '&') or inner[0].name == 'import-module'):
                self.loaders.append(node)
        loader_ids = set(n.id for n in self.loaders)
        by_node = {c.node.id: c for c in self.commands}
        for name in sorted(loader_vars):
            for var in self.variables_named(name):
                node = self.doc.parent(var)
                while node is not None:
                    cmd = by_node.get(node.id) if node.type == 'command' else None
                    if cmd is not None and (cmd.name == 'import-module' or cmd.invocation in ('.', '&')):
                        stmt = self.doc.statement_of(cmd.node)
                        if stmt.type == 'pipeline' and stmt.id not in loader_ids:
                            loader_ids.add(stmt.id)
                            self.loaders.append(stmt)
                    node = self.doc.parent(node)
        self.loaders.sort(key=lambda n: n.start_byte)

    def _capped(self, node, limit=4096):
        """Normalised source of ``node``, at most ``limit`` characters (keeps per-command checks linear)."""
        start, end = self.span(node)
        return self.doc.norm[start:min(end, start + limit)]

    def _exchange_block(self, cmd):
        block = self.arg(cmd, 'scriptblock')
        if block is None:
            blocks = [p[0] for p in cmd.positionals if unwrap(p[0]).type == 'script_block_expression']
            block = blocks[0] if blocks else None
        return block is not None and _EXO_CMDLETS.search(self._capped(block)) is not None

    def _node_at(self, offset):
        """Deepest node at character ``offset`` of the text."""
        data_offset = len(self.doc.norm[:offset].encode('utf-8', 'surrogatepass')) if self.doc._b2c is not None else offset
        return self.doc.root.descendant_for_byte_range(data_offset, data_offset + 1)

    def _rps_splats(self):
        for name, entries in self.values.hash_keys.items():
            for item in entries:
                key, entry = item[1], item[3]
                if key != 'userpssession':
                    continue
                start, end = self.span(entry)
                if entry.type == 'hash_entry':
                    self.rps_removals.append({'start': start, 'end': end, 'conn': None, 'node_start': start,
                                              'delete_statement': True, 'node': entry, 'splat': name})
                else:
                    stmt = self.doc.statement_of(entry)
                    s_start, s_end = self.span(stmt)
                    self.rps_removals.append({'start': s_start, 'end': s_end, 'conn': None, 'node_start': s_start,
                                              'delete_statement': True, 'node': stmt, 'splat': name})

    def _decide(self):
        """Decide, for each legacy cloud connection, whether the default migration can rewrite it."""
        for conn in self.connections:
            if not conn.legacy or conn.kind not in CLOUD:
                continue
            conn.rewritable, conn.reason = True, ''
            if conn.form == 'v3_connect':
                if self.in_error(conn.start, conn.end):
                    conn.rewritable, conn.reason = False, 'inside a region that does not parse'
                continue
            for imp in conn.imports:
                for param in imp.params:
                    if param.name == 'prefix' and param.value is not None:
                        conn.prefix = self.src(param.value)
                    elif param.name == 'commandname' and param.value is not None:
                        conn.command_name = self.src(param.value)
                    elif param.name == 'formattypename' and param.value is not None:
                        conn.format_type_name = self.src(param.value)
                stmt = self.doc.statement_of(imp.node)
                for outer in self.commands_in(stmt):
                    if outer.name == 'import-module':
                        param = outer.param('prefix')
                        if param is not None and param.value is not None:
                            conn.prefix = self.src(param.value)
            for mod in conn.module_imports:
                param = mod.param('prefix')
                if param is not None and param.value is not None:
                    conn.prefix = self.src(param.value)
                stmt = self.doc.statement_of(mod.node)
                names = set(c.name for c in self.commands_in(stmt))
                if stmt.type != 'pipeline' or not names <= {'import-module', 'out-null'}:
                    conn.rewritable, conn.reason = False, 'Import-Module of the imported session is part of a larger statement'
            if conn.form in ('rps_session', 'v1_session'):
                if conn.inline_import is not None:
                    stmt = self.doc.statement_of(conn.inline_import.node)
                    names = set(c.name for c in self.commands_in(stmt))
                    nested = [c.name for c in self.commands_in(stmt) if contains(conn.cmd.node, c.node) and c.node != conn.cmd.node]
                    names -= set(nested)
                    if stmt.type != 'pipeline' or not names <= {'import-pssession', 'import-module', 'out-null', conn.cmd.name}:
                        conn.rewritable, conn.reason = False, 'the session is created inside a larger statement'
                    conn.stmt = stmt
                elif conn.stmt is None or conn.session_var is False or self._statement(conn.cmd)[1] is False:
                    conn.rewritable, conn.reason = False, 'the session is created inside a larger statement'
                elif not conn.imports:
                    conn.rewritable, conn.reason = False, 'the session is not imported in this file (used with Invoke-Command or returned)'
                for imp in conn.imports:
                    if conn.inline_import is not None and imp.node == conn.inline_import.node:
                        continue
                    stmt = self.doc.statement_of(imp.node)
                    names = set(c.name for c in self.commands_in(stmt))
                    if stmt.type != 'pipeline' or not names <= {'import-pssession', 'import-module', 'out-null'}:
                        conn.rewritable, conn.reason = False, 'Import-PSSession is part of a larger statement'
            elif conn.form == 'v1_connect':
                if conn.stmt is None or conn.stmt.type != 'pipeline':
                    conn.rewritable, conn.reason = False, 'the connection is part of a larger statement'
            if conn.prefix is not None and conn.prefix.strip('\'"').lower() == 'exo':
                conn.rewritable, conn.reason = False, 'the prefix EXO is reserved by the V3 module'
            if conn.oauth:
                conn.reason = 'OAuth token passed as an RPS credential; needs auth interactive, certificate or managed_identity'
            spans = [(conn.start, conn.end)] + [(i.start, i.end) for i in conn.imports]
            if any(self.in_error(s, e) for s, e in spans):
                conn.rewritable, conn.reason = False, 'inside a region that does not parse'

    def cloud_connections(self):
        return [c for c in self.connections if c.kind in CLOUD]

    def _cleanups(self):
        legacy_cloud = [c for c in self.connections if c.legacy and c.kind in CLOUD and c.form != 'v3_connect']
        if not legacy_cloud:
            return
        hybrid = any(c.kind in (ONPREM, OTHER, UNKNOWN_KIND) for c in self.connections)
        for cmd in self.each_command():
            if cmd.name != 'remove-pssession':
                continue
            stmt = self.doc.statement_of(cmd.node)
            stmt_cmds = self.commands_in(stmt)
            item = {'cmd': cmd, 'stmt': stmt, 'action': 'report', 'conns': []}
            if stmt.type != 'pipeline':
                self.cleanups.append(item)
                continue
            session = self.arg(cmd, 'session', 0)
            pipeline_vars = []
            chain = [c for c in stmt.children if c.type == 'pipeline_chain']
            if session is None and chain:
                first = [c for c in chain[0].children if c.is_named]
                if first and only_variable(first[0]) is not None and first[0] is not cmd.node:
                    pipeline_vars = [only_variable(first[0])]
            var_nodes = []
            if session is not None:
                inner = unwrap(session)
                if inner.type == 'array_literal_expression':
                    var_nodes = [only_variable(c) for c in inner.children if c.is_named]
                else:
                    var_nodes = [only_variable(session)]
            var_nodes += pipeline_vars
            getter = [c for c in stmt_cmds if c.name == 'get-pssession']
            if var_nodes and None not in var_nodes:
                conns = [self.session_for(var_name(self.doc.nsrc(v)), cmd.start) for v in var_nodes]
                if any(c is None for c in conns):
                    item['action'] = 'report'
                elif all(c.kind in CLOUD for c in conns):
                    item['action'] = 'replace'
                elif any(c.kind in CLOUD for c in conns):
                    item['action'] = 'insert'
                else:
                    continue
                item['conns'] = [c for c in conns if c is not None]
            elif session is None and not getter and not pipeline_vars and self._named_cleanup(cmd) is not None:
                conns = self._named_cleanup(cmd)
                if not any(c.kind in CLOUD for c in conns):
                    continue
                item['action'] = 'replace' if all(c.kind in CLOUD for c in conns) else 'insert'
                item['conns'] = conns
            elif getter and session is None:
                names = set(c.name for c in stmt_cmds)
                filt = ' '.join(self.doc.nsrc(n) for n in walk(stmt) if n.type == 'script_block_expression')
                get_args = getter[0].params or getter[0].positionals
                if not names <= {'get-pssession', 'remove-pssession', 'where-object', 'where', '?', 'select-object'}:
                    item['action'] = 'report'
                elif get_args or (filt and not _EXCHANGE_FILTER.search(filt)):
                    item['action'] = 'report'
                else:
                    item['action'] = 'insert' if hybrid else 'replace'
            self.cleanups.append(item)

    def _named_cleanup(self, cmd):
        """Sessions removed by ``Remove-PSSession -Name <literal>`` (a name given to ``New-PSSession -Name``), else None."""
        if cmd.positionals or cmd.splats or any(p.name not in ('name', 'computername', 'erroraction', 'warningaction') for p in cmd.params):
            return None
        computer = self.arg(cmd, 'computername')
        if computer is not None:
            host = (self.value_text(computer, cmd.start) or '').strip().lower()
            conns = [c for c in self.connections if c.form == 'rps_session' and c.host and c.host == host]
            return conns or None
        node = self.arg(cmd, 'name')
        value = self.value_text(node, cmd.start)
        if node is not None and only_variable(node) is not None and (not value or UNKNOWN in value):
            # Remove-PSSession -Name $Pref: the very expression New-PSSession -Name was given
            source = self.src(node).strip().lower()
            conns = [c for c in self.connections if c.form == 'rps_session' and c.session_name_src == source]
            return conns or None
        if not value or UNKNOWN in value or re.search(r'[*?\[\],]', value):
            return None
        name = value.strip().lower()
        conns = [c for c in self.connections if c.form == 'rps_session' and c.session_name == name]
        return conns or None

    def _report(self):
        cloud = bool(self.cloud_connections())
        cleanup_stmts = set()
        for item in self.cleanups:
            cleanup_stmts.add((item['stmt'].start_byte, item['stmt'].end_byte))
        for conn in self.connections:
            cmd = conn.cmd
            if conn.kind == ONPREM:
                self.add('EXO010', cmd.start, cmd.end, ONPREM)
                continue
            if conn.kind == OTHER:
                self.add('EXO011', cmd.start, cmd.end, OTHER)
                continue
            if conn.kind == UNKNOWN_KIND:
                if conn.legacy:
                    message = None
                    if conn.branch_kinds:
                        message = ('Exchange Remote PowerShell session whose endpoint depends on a branch (%s); one V3 connect cannot '
                                   'replace it, review by hand' % ', '.join(conn.branch_kinds))
                    self.add('EXO012', cmd.start, cmd.end, UNKNOWN_KIND, False, message)
                continue
            if conn.oauth:
                self.add('EXO024', cmd.start, cmd.end, conn.kind)
            if conn.session_option is not None:
                start, end = self.span(conn.session_option)
                self.add('EXO017', start, end, conn.kind)
            if conn.kind == SCC and conn.legacy:
                self.add('EXO029', cmd.start, cmd.end, conn.kind)
            if conn.form == 'v3_connect':
                if conn.credential is not None:
                    start, end = self.span(conn.credential)
                    self.add('EXO019', start, end, conn.kind)
                for name in ('appid', 'certificatethumbprint', 'certificatefilepath', 'organization'):
                    value = self.arg(cmd, name)
                    literal = self.values.literal(value) if value is not None else None
                    if literal is not None and re.match(r'^<[^<>]+>', literal):
                        start, end = self.span(value)
                        self.add('EXO023', start, end, conn.kind, False,
                                 'Placeholder %s for -%s; replace it before running the script' % (literal, _PARAM_CASE[name]))
            if not conn.legacy:
                continue
            default_ok = conn.rewritable and not conn.oauth
            reason = '' if default_ok else ' (not rewritten automatically: %s)' % conn.reason
            if conn.form == 'rps_session':
                self.add('EXO001', cmd.start, cmd.end, conn.kind, default_ok,
                         'Remote PowerShell session to %s (%s)%s' % (_KIND_TEXT[conn.kind], conn.host or 'endpoint', reason))
            elif conn.form in ('v1_connect', 'v1_session'):
                self.add('EXO003', cmd.start, cmd.end, conn.kind, default_ok,
                         'EXO V1 module connection (%s); the V1 module needs RPS and is retired%s' % (cmd.raw_name, reason))
            if conn.form != 'v3_connect':
                for imp in conn.imports:
                    self.add('EXO002', imp.start, imp.end, conn.kind, default_ok,
                             'Import-PSSession of a Remote PowerShell session to %s' % _KIND_TEXT[conn.kind])
            if conn.prefix is not None and conn.prefix.strip('\'"').lower() == 'exo':
                self.add('EXO027', cmd.start, cmd.end, conn.kind)
        for removal in self.rps_removals:
            conn = removal['conn']
            kind = conn.kind if conn is not None else EXO
            rewritable = (conn is None or conn.rewritable) and not self.in_error(removal['start'], removal['end'])
            self.add('EXO005', removal['node_start'], removal['end'], kind, rewritable)
        for cmd in self.each_command():
            if cmd.name in ('connect-exchangeonline', 'connect-ippssession') and cmd.name in self.shadowed and not cmd.qualifier \
                    and cmd.has('userpssession'):
                self.add('EXO005', cmd.start, cmd.end, EXO, False,
                         '-UseRPSSession passed to a user function that shadows %s; review the function' % cmd.raw_name)
        v1_blocked = any(c.form in ('v1_connect', 'v1_session') and not c.rewritable for c in self.connections)
        for stmt in self.loaders:
            start, end = self.span(stmt)
            self.add('EXO004', start, end, EXO, not v1_blocked and not self.in_error(start, end))
        for item in self.cleanups:
            cmd = item['cmd']
            kinds = [c.kind for c in item['conns']]
            self.add('EXO006', self.span(item['stmt'])[0], self.span(item['stmt'])[1], kinds[0] if kinds else EXO,
                     item['action'] != 'report')
        # report-only patterns
        linked_sessions = {}
        for conn in self.connections:
            if conn.session_var:
                linked_sessions.setdefault(conn.session_var, set()).add(conn.kind)
        for cmd in self.each_command():
            name = cmd.name
            if name == 'invoke-command':
                session = self.arg(cmd, 'session')
                var = only_variable(session) if session is not None else None
                if session is None:
                    continue
                linked = self.session_for(var_name(self.doc.nsrc(var)), cmd.start) if var is not None else None
                if (linked is not None and linked.kind in CLOUD) or (linked is None and cloud):
                    self.add('EXO013', cmd.start, cmd.end, linked.kind if linked else None)
                elif linked is None and self._exchange_block(cmd):
                    self.add('EXO013', cmd.start, cmd.end, None, False,
                             'Invoke-Command -Session runs Exchange cmdlets in a session created elsewhere; V3 REST connections are '
                             'not PSSessions: connect with Connect-ExchangeOnline and run the cmdlets directly')
            elif name == 'get-pssession':
                stmt = self.doc.statement_of(cmd.node)
                if (stmt.start_byte, stmt.end_byte) in cleanup_stmts:
                    continue
                if cloud or _EXCHANGE_FILTER.search(self._capped(stmt)):
                    self.add('EXO014', cmd.start, cmd.end)
            elif name == 'remove-pssession':
                stmt = self.doc.statement_of(cmd.node)
                if (stmt.start_byte, stmt.end_byte) in cleanup_stmts:
                    continue
                target = self.arg(cmd, 'session', 0)
                target_var = only_variable(target) if target is not None else None
                if target_var is not None and self.session_for(var_name(self.doc.nsrc(target_var)), cmd.start) is not None:
                    continue  # a session this file creates (on-premises or other): left alone on purpose
                selector = any(p.name in ('name', 'computername', 'id', 'instanceid') for p in cmd.params) or target_var is not None
                exchange_text = _EXCHANGE_FILTER.search(self._capped(stmt))
                if (cloud and selector) or exchange_text:
                    self.add('EXO006', cmd.start, cmd.end, None, False,
                             'Remove-PSSession of sessions this file does not create or cannot name (a variable name, a ComputerName '
                             'match); V3 REST connections are closed with Disconnect-ExchangeOnline')
            elif name in _WINRM_CARRIERS and _WINRM_BASIC.search(self._capped(cmd.node)):
                self.add('EXO016', cmd.start, cmd.end)
            elif name in ('winrm', 'winrm.cmd', 'winrm.vbs'):
                text = self.doc.nsrc(cmd.node).lower()
                if 'basic' in text and 'auth' in text:
                    self.add('EXO016', cmd.start, cmd.end)
            elif name in ('set-item', 'set-itemproperty', 'new-itemproperty'):
                text = self.doc.nsrc(cmd.node).lower().replace('/', '\\')
                if ('wsman:' in text and 'auth\\basic' in text) or ('winrm' in text and 'allowbasic' in text):
                    self.add('EXO016', cmd.start, cmd.end)
            elif name == 'new-pssessionoption' and cloud and cmd.has('proxyaccesstype'):
                self.add('EXO017', cmd.start, cmd.end)
            elif name == 'search-mailbox' and cloud:
                self.add('EXO018', cmd.start, cmd.end, None, False,
                         'Search-Mailbox is an RPS-era cmdlet; check that it exists for your V3 module version')
        if cloud:
            for node in self.doc.of_type('member_access', 'invocation_expression'):
                named = [c for c in node.children if c.is_named]
                if len(named) < 2 or named[1].type != 'member_name':
                    continue
                member = self.doc.nsrc(named[1]).strip().lower()
                base = only_variable(named[0])
                start, end = self.span(node)
                if node.type == 'invocation_expression' and member in ('tomb', 'togb', 'tokb', 'tobytes'):
                    self.add('EXO018', start, end, None, False,
                             'Size arithmetic (%s()) depends on the object type; V3/REST cmdlets can return sizes as strings' % named[1].text.decode())
                elif node.type == 'member_access' and member in ('state', 'availability') and base is not None:
                    vname = var_name(self.doc.nsrc(base))
                    kinds = linked_sessions.get(vname)
                    if (kinds and kinds & set(CLOUD)) or (not kinds and 'session' in vname):
                        self.add('EXO014', start, end)
                elif node.type == 'member_access' and member == 'fullyqualifiederrorid':
                    self.add('EXO018', start, end, None, False,
                             'FullyQualifiedErrorId no longer contains FailureCategory in V3; string-matching error handlers break')
        self._credential_reuse()
        for node in self.doc.of_type('string_literal'):
            text = self.doc.nsrc(node)
            if _STRING_MARKERS.search(text):
                start, end = self.span(node)
                self.add('EXO026', start, end)
        for e_start, e_end in self.error_ranges:
            chunk = self.doc.norm[e_start:e_end]
            for match in _LEGACY_MARKERS.finditer(chunk):
                self.add('EXO021', e_start + match.start(), e_start + match.end())
                break

    def _credential_reuse(self):
        """Reads of a credential variable after a connect that took it (linear: bisects and one cursor per name).

        Sets ``conn.credential_reused`` (the rewrite then connects with a copy) and reports EXO015. A
        ``Connect-AzureAD``/``Connect-AzAccount -Credential $c`` followed by more uses of ``$c`` is
        reported too: those cmdlets are documented to empty the password of the object they get.
        """
        seen = set()
        cursor = {}
        takers = [(conn.cmd, conn) for conn in self.cloud_connections() if conn.credential is not None]
        for cmd in self.each_command():
            if cmd.name in _PASSWORD_EATERS:
                value = self.arg(cmd, 'credential')
                if value is not None:
                    takers.append((cmd, None))
        takers.sort(key=lambda item: item[0].start)
        for cmd, conn in takers:
            value = conn.credential if conn is not None else self.arg(cmd, 'credential')
            var = only_variable(value)
            if var is None:
                continue
            name = var_name(self.doc.nsrc(var))
            stmt = conn.stmt if conn is not None and conn.stmt is not None else self.doc.statement_of(cmd.node)
            stmt_end = self.span(stmt)[1] if stmt is not None else cmd.end
            assignments = self.values.assignments.get(name, [])
            offsets = [a.offset for a in assignments]
            loop = self.doc.enclosing(cmd.node, 'foreach_statement', 'for_statement', 'while_statement', 'do_statement')
            if loop is not None:
                l_start, l_end = self.span(loop)
                inside = bisect.bisect_left(offsets, l_end) - bisect.bisect_left(offsets, l_start)
                if not inside and (value.start_byte, name) not in seen:
                    seen.add((value.start_byte, name))
                    if conn is not None:
                        conn.credential_reused = True
                    start, end = self.span(value)
                    self.add('EXO015', start, end, conn.kind if conn is not None else None, False,
                             'Credential used again on each loop pass after %s took it; the migrated connect passes a copy'
                             % cmd.raw_name)
            later = bisect.bisect_left(offsets, stmt_end)
            limit = offsets[later] if later < len(offsets) else len(self.text)
            nodes = self.variables_named(name)
            starts = self._variable_starts(name)
            first = bisect.bisect_left(starts, stmt_end)
            last = bisect.bisect_left(starts, limit)
            if last > first:
                if conn is not None:
                    conn.credential_reused = True
                else:
                    start, end = self.span(cmd.node)
                    self.add('EXO015', start, end, None, False,
                             '%s -Credential empties the password of the credential object it gets (a documented behaviour); '
                             'the later uses of %s get an empty password: the migration passes it a copy' % (cmd.raw_name, self.src(var)))
                    self.password_eaters.append((cmd, value))
            for index in range(max(first, cursor.get(name, 0)), last):
                node = nodes[index]
                if (node.start_byte, name) in seen:
                    continue
                seen.add((node.start_byte, name))
                start, end = self.span(node)
                self.add('EXO015', start, end, conn.kind if conn is not None else None, False,
                         'Credential used again after %s took it; the migrated connect passes a copy, so this use keeps the password'
                         % cmd.raw_name)
            cursor[name] = max(cursor.get(name, 0), last)

    def _variable_starts(self, name):
        cache = self.__dict__.setdefault('_var_starts', {})
        if name not in cache:
            cache[name] = [self.span(n)[0] for n in self.variables_named(name)]
        return cache[name]

    # -- results ----------------------------------------------------------------------------------

    def connection_dicts(self):
        out = []
        for conn in self.connections:
            item = {
                'kind': conn.kind,
                'legacy': conn.legacy,
                'form': conn.form,
                'command': conn.cmd.raw_name,
                'uri': conn.uri,
                'host': conn.host,
                'environment': conn.environment,
                'delegated_organization': _render(conn.delegated) if conn.delegated else None,
                'session_variable': conn.session_var or None,
                'rewritable': bool(conn.rewritable and not conn.oauth),
                'reason': conn.reason or None,
            }
            item.update(self.loc(conn.start, conn.end))
            out.append(item)
        return out

    def legacy_remaining(self):
        return sum(1 for c in self.connections if c.legacy and (c.kind in CLOUD or c.kind == UNKNOWN_KIND))

    def result(self):
        return {
            'path': self.path,
            'findings': [dict(f) for f in self.findings],
            'connections': self.connection_dicts(),
            'parse_errors': [dict(e) for e in self.parse_errors],
            'legacy_remaining': self.legacy_remaining(),
        }


_PARAM_CASE = {'appid': 'AppId', 'certificatethumbprint': 'CertificateThumbprint', 'certificatefilepath': 'CertificateFilePath',
               'organization': 'Organization'}
_KIND_TEXT = {EXO: 'Exchange Online', SCC: 'Security & Compliance', EOP: 'Exchange Online Protection'}


def quote(value):
    return "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r'\1\1', value) + "'"


def _render(parts):
    """PowerShell source for a value made of literal and expression pieces."""
    if not parts:
        return "''"
    if all(part[0] == 'lit' for part in parts):
        return quote(''.join(part[1] for part in parts))
    if len(parts) == 1:
        text = parts[0][1].strip()
        if _SIMPLE_VAR.match(text) or text.startswith('$('):
            return text
        return '(%s)' % text
    out = []
    for kind, text in parts:
        if kind == 'lit':
            out.append(re.sub(r'([`"$\u201c\u201d\u201e])', r'`\1', text))
        elif text.startswith('$('):
            out.append(text)
        else:
            out.append('$(%s)' % text)
    return '"%s"' % ''.join(out)


def render(parts):
    return _render(parts)
