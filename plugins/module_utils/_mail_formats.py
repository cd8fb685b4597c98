# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: lossless readers and editors for mail client configuration files.

Every reader keeps the file as one text (decoded with ``surrogateescape`` so
any byte sequence survives) and records *spans* (start and end offsets) of the
tokens it understood.  An edit replaces one span; everything else is left
alone, so rendering an unchanged file gives back the same bytes, and an edited
file differs only where a setting was changed.

A reader returns a ``Parsed`` object:

``entries``
    one per account / poll / profile: servers, the TLS versions the client
    itself enables (``on``), refuses (``off``) or leaves to its library
    (``lib``), where passwords are stored (line and key, never the value),
    how it authenticates, and the spans an editor needs.
``secrets``
    spans holding passwords or tokens; diffs replace them with a mask.
``errors``
    why the file cannot be understood; such a file is never edited.

``plan_edits(parsed, options)`` returns the edits that make a file negotiate
the minimum version (``tls1_2`` or ``tls1_3``) and, optionally, move the
closing ``*-legacy.office365.com`` endpoints.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import re

PROTOS = ('ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3')
LABELS = {'ssl3': 'SSL 3.0', 'tls1_0': 'TLS 1.0', 'tls1_1': 'TLS 1.1', 'tls1_2': 'TLS 1.2', 'tls1_3': 'TLS 1.3'}
MASK = '********'
MARKER = 'mailtls.remediation'
_DEFAULT_PORTS = {('imap', True): 993, ('imap', False): 143, ('pop3', True): 995, ('pop3', False): 110, ('smtp', True): 465, ('smtp', False): 25}

EXO_HOSTS = ('outlook.office365.com', 'outlook.office.com', 'smtp.office365.com')
LEGACY_RE = re.compile(r'^[a-z0-9]+-legacy\.office365\.com$')
LEGACY_TARGETS = {'smtp-legacy.office365.com': 'smtp.office365.com'}
LEGACY_DEFAULT_TARGET = 'outlook.office365.com'


def rank(proto):
    return PROTOS.index(proto)


def below(proto, minimum):
    return rank(proto) < rank(minimum)


def is_legacy_endpoint(host):
    return bool(host) and bool(LEGACY_RE.match(host.strip().lower().rstrip('.')))


def is_exchange_online(host):
    if not host:
        return False
    name = host.strip().lower().rstrip('.')
    return name in EXO_HOSTS or name.endswith('.outlook.com') or name.endswith('.office365.com') or is_legacy_endpoint(name)


def legacy_target(host):
    return LEGACY_TARGETS.get(host.strip().lower().rstrip('.'), LEGACY_DEFAULT_TARGET)


def decode(data):
    return data.decode('utf-8', 'surrogateescape')


def encode(text):
    return text.encode('utf-8', 'surrogateescape')


class Parsed(object):
    """What a reader understood of one file."""

    def __init__(self, fmt, text):
        self.fmt = fmt
        self.text = text
        self.entries = []
        self.secrets = []
        self.errors = []
        self.extra = {}
        self._starts = None

    def line_of(self, offset):
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer('\n', self.text)]
        return bisect.bisect_right(self._starts, offset)

    def render(self):
        return self.text

    @property
    def ok(self):
        return not self.errors


class Edit(object):
    def __init__(self, start, end, new, line, description):
        self.start = start
        self.end = end
        self.new = new
        self.line = line
        self.description = description

    def __repr__(self):
        return 'Edit(%d, %d, %r, line %s: %s)' % (self.start, self.end, self.new, self.line, self.description)


def apply_edits(text, edits):
    """Apply non-overlapping edits; identical duplicates are applied once."""
    unique = []
    seen = set()
    for edit in edits:
        key = (edit.start, edit.end, edit.new)
        if key not in seen:
            seen.add(key)
            unique.append(edit)
    unique.sort(key=lambda e: (e.start, e.end))
    for first, second in zip(unique, unique[1:]):
        if second.start < first.end or (second.start == first.start and first.start != first.end):
            raise ValueError('overlapping edits at offset %d' % second.start)
    out = []
    pos = 0
    for edit in unique:
        out.append(text[pos:edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(text[pos:])
    return ''.join(out)


def redact(text, spans):
    """Replace every secret span with a fixed mask (for diffs and messages)."""
    if not spans:
        return text
    out = []
    pos = 0
    for start, end in sorted(set(spans)):
        if start < pos:
            start = pos
        if end <= start:
            continue
        out.append(text[pos:start])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return ''.join(out)


def new_entry(name, line):
    return {
        'name': name,
        'line': line,
        'servers': [],
        'settings': {},
        'versions': dict((p, ('lib', 'not restricted by the client; its TLS library decides', [])) for p in PROTOS),
        'passwords': [],
        'auth': None,
        'plain': False,
        'notes': [],
    }


def server(host, port=None, service=None, mode=None, line=None, span=None):
    item = {'host': host, 'port': port, 'service': service, 'mode': mode, 'line': line,
            'exchange_online': is_exchange_online(host), 'legacy_endpoint': is_legacy_endpoint(host)}
    if span is not None:
        item['span'] = span
    return item


def set_versions(entry, states, reason, ev):
    for proto, state in states.items():
        entry['versions'][proto] = (state, reason, list(ev))


def versions_from_range(low, high, state='on'):
    """``on`` for low..high inclusive, ``off`` elsewhere."""
    states = {}
    for proto in PROTOS:
        states[proto] = state if rank(low) <= rank(proto) <= rank(high) else 'off'
    return states


def needs_fix(entry, minimum):
    """True when the client itself still enables something below ``minimum``
    or refuses everything from ``minimum`` up."""
    if entry.get('plain'):
        return False
    states = entry['versions']
    weak = any(states[p][0] in ('on', 'lib') for p in PROTOS if below(p, minimum))
    modern = any(states[p][0] in ('on', 'lib') for p in PROTOS if not below(p, minimum))
    return weak or not modern


def fin(evidence_line, key, value, path_note=None):
    item = {'line': evidence_line, 'key': key}
    if value is not None:
        item['value'] = value
    if path_note:
        item['note'] = path_note
    return item


def _line_end(text, pos):
    end = text.find('\n', pos)
    return len(text) if end < 0 else end


def _line_start(text, pos):
    return text.rfind('\n', 0, pos) + 1


def _newline_of(text):
    return '\r\n' if '\r\n' in text else '\n'


def _append_block(text, lines):
    """Edit that appends lines at the end, adding a newline first when needed."""
    nl = _newline_of(text)
    prefix = '' if (not text or text.endswith('\n')) else nl
    return Edit(len(text), len(text), prefix + nl.join(lines) + nl, None, 'append')


def _insert_line_after(text, pos, line_text):
    """Edit inserting a full line after the line that holds ``pos``, copying its indentation."""
    start = _line_start(text, pos)
    end = _line_end(text, pos)
    indent = re.match(r'[ \t]*', text[start:end]).group(0)
    nl = _newline_of(text)
    if end >= len(text):
        return Edit(end, end, nl + indent + line_text, None, 'insert')
    if text[end - 1:end] == '\r':
        end -= 1
    return Edit(end, end, nl + indent + line_text, None, 'insert')


def _requote(original, value):
    """Write ``value`` with the same quoting style as ``original``."""
    if original[:1] in ('"', "'") and original[-1:] == original[:1]:
        return original[0] + value + original[0]
    return value


def _endpoint_edits(parsed, entry, label, requote=False):
    """Edits that move the entry's legacy Exchange Online server names to the current one.

    ``label`` names the setting in the edit description; with ``requote`` the new
    name keeps the quotes of the old one.
    """
    edits = []
    for srv in entry['servers']:
        if srv['legacy_endpoint'] and 'span' in srv:
            start, end = srv['span']
            new = legacy_target(srv['host'])
            text = _requote(parsed.text[start:end], new) if requote else new
            edits.append(Edit(start, end, text, srv['line'], '%s %s -> %s' % (label, srv['host'], new)))
    return edits


# ---------------------------------------------------------------------------
# fetchmail
# ---------------------------------------------------------------------------

_FM_TOKEN = re.compile(r'''\s+|#[^\n]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[,;:]|[^\s"',;:#]+[^\s"',;:]*''', re.S)
_FM_ONE_ARG = set('''via proto protocol port service auth authenticate timeout envelope qvirtual principal esmtpname
esmtppassword interface monitor plugin plugout user username pass password passwordfile folder smtphost fetchdomains
smtpaddress smtpname antispam mda bsmtp lmtp preconnect postconnect limit warnings batchlimit fetchlimit
fetchsizelimit fastuidl expunge properties sslcert sslkey sslproto sslcertfile sslcertpath sslcommonname
sslfingerprint tracepolls'''.split())
_FM_MULTI = set('is to aka localdomains here there'.split())
_FM_START = ('poll', 'skip', 'defaults', 'set')
_FM_SECRET_KEYS = ('pass', 'password', 'esmtppassword')
_FM_PROTO = {
    'tls1': ('tls1_0', 'tls1_0'), 'tls1.1': ('tls1_1', 'tls1_1'), 'tls1.2': ('tls1_2', 'tls1_2'), 'tls1.3': ('tls1_3', 'tls1_3'),
    'tls1+': ('tls1_0', 'tls1_3'), 'tls1.1+': ('tls1_1', 'tls1_3'), 'tls1.2+': ('tls1_2', 'tls1_3'), 'tls1.3+': ('tls1_3', 'tls1_3'),
    'ssl3': ('ssl3', 'ssl3'), 'ssl3+': ('ssl3', 'tls1_3'),
}
FETCHMAIL_TARGET = {'tls1_2': 'tls1.2+', 'tls1_3': 'tls1.3+'}


def _unquote(tok):
    if tok[:1] in ('"', "'") and len(tok) >= 2:
        return re.sub(r'\\(.)', r'\1', tok[1:-1])
    return tok


def parse_fetchmail(text):
    parsed = Parsed('fetchmail', text)
    tokens = []
    pos = 0
    while pos < len(text):
        match = _FM_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            parsed.errors.append('line %d: unterminated quoted string or stray character' % parsed.line_of(pos))
            return parsed
        tok = match.group(0)
        if not tok[0].isspace() and tok[0] != '#' and tok not in (',', ';', ':'):
            tokens.append((match.start(), match.end(), tok))
        pos = match.end()
    statements = []
    for tok in tokens:
        word = tok[2].lower() if tok[2][:1] not in ('"', "'") else None
        if word in _FM_START:
            statements.append([tok])
        elif not statements:
            parsed.errors.append('line %d: %r outside a poll, skip, defaults or set statement' % (parsed.line_of(tok[0]), tok[2][:20]))
            return parsed
        else:
            statements[-1].append(tok)
    defaults = None
    for stmt in statements:
        kind = stmt[0][2].lower()
        if kind == 'set':
            continue
        entry = _fetchmail_entry(parsed, stmt, kind)
        if entry is None:
            return parsed
        if kind == 'defaults':
            defaults = entry
            parsed.extra['defaults'] = entry
            continue
        entry['defaults'] = defaults
        _fetchmail_resolve(parsed, entry)
        parsed.entries.append(entry)
    return parsed


def _fetchmail_entry(parsed, stmt, kind):
    first = stmt[0]
    entry = new_entry(kind, parsed.line_of(first[0]))
    entry['tokens'] = stmt
    entry['keys'] = {}
    index = 1
    if kind in ('poll', 'skip'):
        if len(stmt) < 2:
            parsed.errors.append('line %d: %s without a server name' % (entry['line'], kind))
            return None
        entry['name'] = _unquote(stmt[1][2])
        entry['server_tok'] = stmt[1]
        index = 2
    multi = False
    while index < len(stmt):
        start, end, tok = stmt[index]
        word = tok.lower() if tok[:1] not in ('"', "'") else None
        if word in _FM_ONE_ARG:
            multi = False
            if index + 1 >= len(stmt):
                parsed.errors.append('line %d: %s without a value' % (parsed.line_of(start), tok))
                return None
            value_tok = stmt[index + 1]
            entry['keys'].setdefault(word, []).append((stmt[index], value_tok))
            if word in _FM_SECRET_KEYS:
                parsed.secrets.append((value_tok[0], value_tok[1]))
            index += 2
            continue
        if word in _FM_MULTI:
            multi = word not in ('here', 'there')
            index += 1
            continue
        if word == 'no' and index + 1 < len(stmt):
            entry['keys'].setdefault('no ' + stmt[index + 1][2].lower(), []).append((stmt[index], stmt[index + 1]))
            index += 2
            continue
        if word is not None and not multi:
            entry['keys'].setdefault(word, []).append((stmt[index], None))
        index += 1
    entry['last_tok'] = stmt[-1]
    return entry


def _fm_value(entry, key):
    items = entry['keys'].get(key)
    if not items:
        return None
    return items[-1]


def _fetchmail_resolve(parsed, entry):
    defaults = entry.get('defaults')

    def lookup(key):
        own = _fm_value(entry, key)
        if own is not None:
            return own, entry
        if defaults is not None:
            inherited = _fm_value(defaults, key)
            if inherited is not None:
                return inherited, defaults
        return None, None

    proto_item, unused = lookup('proto')
    if proto_item is None:
        proto_item, unused = lookup('protocol')
    protocol = _unquote(proto_item[1][2]).lower() if proto_item else 'auto'
    ssl_item, unused = lookup('ssl')
    no_ssl = _fm_value(entry, 'no ssl') is not None
    implicit = ssl_item is not None and not no_ssl
    port_item, unused = lookup('port')
    if port_item is None:
        port_item, unused = lookup('service')
    port = None
    if port_item is not None:
        try:
            port = int(_unquote(port_item[1][2]))
        except ValueError:
            port = None
    if protocol.startswith('pop') or protocol in ('apop', 'rpop', 'kpop', 'sdps'):
        service = 'pop3'
    else:
        service = 'imap' if protocol.startswith('imap') or protocol == 'auto' else 'other'
    if port is None:
        port = {('imap', True): 993, ('imap', False): 143, ('pop3', True): 995, ('pop3', False): 110}.get((service, implicit))
    via_item = _fm_value(entry, 'via')
    if via_item is not None:
        tok = via_item[1]
        host = _unquote(tok[2])
        span = (tok[0], tok[1])
        line = parsed.line_of(tok[0])
    else:
        tok = entry['server_tok']
        host = entry['name']
        span = (tok[0], tok[1])
        line = parsed.line_of(tok[0])
    sslproto_item, owner = lookup('sslproto')
    mode = 'implicit' if implicit else 'starttls'
    entry['settings'] = {'protocol': protocol, 'ssl': implicit, 'sslproto': _unquote(sslproto_item[1][2]) if sslproto_item else None}
    entry['sslproto_item'] = sslproto_item
    entry['sslproto_owner'] = owner
    if sslproto_item is not None:
        value = _unquote(sslproto_item[1][2]).strip().lower()
        line_no = parsed.line_of(sslproto_item[1][0])
        ev = [fin(line_no, 'sslproto', value)]
        if value == '':
            entry['plain'] = not implicit
            if not implicit:
                mode = 'plain'
                set_versions(entry, dict((p, 'off') for p in PROTOS), "sslproto '' switches STARTTLS off", ev)
            else:
                set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                             "sslproto '' with ssl: fetchmail negotiates TLS 1.0 or newer as the library allows", ev)
        elif value in _FM_PROTO:
            low, high = _FM_PROTO[value]
            reason = "sslproto '%s' %s" % (value, 'pins exactly this version' if '+' not in value else 'sets the minimum')
            set_versions(entry, versions_from_range(low, high), reason, ev)
        else:
            set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                         "sslproto '%s' means auto: TLS 1.0 or newer, as far as the library allows" % value, ev)
    else:
        set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                     'no sslproto: fetchmail 6.4 auto-negotiates TLS 1.0 or newer, as far as the library allows',
                     [fin(entry['line'], 'sslproto', None, 'not set')])
    entry['servers'].append(server(host, port, service if service != 'other' else 'other', mode, line, span))
    for key in _FM_SECRET_KEYS:
        for key_tok, unused in entry['keys'].get(key, []):
            entry['passwords'].append({'line': parsed.line_of(key_tok[0]), 'key': key})
    auth_item, unused = lookup('auth')
    if auth_item is None:
        auth_item, unused = lookup('authenticate')
    auth = _unquote(auth_item[1][2]).lower() if auth_item else 'any'
    entry['settings']['auth'] = auth
    if auth in ('oauthbearer', 'xoauth2'):
        entry['auth'] = 'oauth'
    else:
        entry['auth'] = 'password' if auth in ('any', 'password', 'cram-md5', 'ntlm', 'msn', 'otp') else 'other'


def plan_fetchmail(parsed, options):
    edits = []
    minimum = options['min_protocol']
    target = FETCHMAIL_TARGET[minimum]
    for entry in parsed.entries:
        if needs_fix(entry, minimum):
            item = entry.get('sslproto_item')
            if item is not None:
                tok = item[1]
                edits.append(Edit(tok[0], tok[1], "'%s'" % target, parsed.line_of(tok[0]),
                                  'sslproto %s -> %s' % (tok[2], target)))
            else:
                ssl_item = _fm_value(entry, 'ssl')
                after = ssl_item[0][1] if ssl_item is not None else entry['last_tok'][1]
                edits.append(Edit(after, after, " sslproto '%s'" % target, parsed.line_of(after),
                                  "sslproto '%s' added to poll %s" % (target, entry['name'])))
        if options.get('move_legacy_endpoints'):
            edits.extend(_endpoint_edits(parsed, entry, 'server', requote=True))
    return edits


# ---------------------------------------------------------------------------
# mutt / neomutt
# ---------------------------------------------------------------------------

MUTT_VARS = {'ssl_use_sslv2': None, 'ssl_use_sslv3': 'ssl3', 'ssl_use_tlsv1': 'tls1_0', 'ssl_use_tlsv1_1': 'tls1_1',
             'ssl_use_tlsv1_2': 'tls1_2', 'ssl_use_tlsv1_3': 'tls1_3'}
_MUTT_SECRET_VARS = ('imap_pass', 'pop_pass', 'smtp_pass', 'smtp_password')
_MUTT_URL = re.compile(r'''\b(imaps?|pops?|smtps?)://([^\s'"/@]*@)?(\[[^\]]+\]|[A-Za-z0-9.\-_]+)(?::(\d+))?''', re.I)
# Like mutt itself, a quote left open runs to the end of its line (the three alternatives at the end).
_MUTT_TOKEN = re.compile(r'''[ \t]+|\\\r?\n|"(?:\\.|[^"\\\n])*"|'[^'\n]*'|`[^`\n]*`|;|\r?\n|#[^\n]*|=|(?:\\.|[^\s"'`;#=\\])+'''
                         r'''|"(?:\\.|[^"\\\n])*\\?|'[^'\n]*|`[^`\n]*''', re.S)
_MUTT_SECRET_ANYWHERE = re.compile(r'''\b(?:imap_pass|pop_pass|smtp_pass|smtp_password)\s*=\s*("(?:\\.|[^"\\\n])*"|'[^'\n]*'?|"[^"\n]*|[^\s;'"]+)''')
_MUTT_BOOL_TRUE = ('yes', 'y', 'true', 'on', '1')
_MUTT_BOOL_FALSE = ('no', 'n', 'false', 'off', '0')


def _mutt_commands(parsed):
    """Split the text into commands: lists of (start, end, token) with quotes kept."""
    text = parsed.text
    commands = []
    current = []
    pos = 0
    while pos < len(text):
        match = _MUTT_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            parsed.errors.append('line %d: unterminated quote' % parsed.line_of(pos))
            return []
        tok = match.group(0)
        if tok in (';',) or tok.endswith('\n') and not tok.startswith('\\'):
            if current:
                commands.append(current)
            current = []
        elif tok[0] in ' \t#' or tok.startswith('\\\n') or tok.startswith('\\\r'):
            pass
        else:
            current.append((match.start(), match.end(), tok))
        pos = match.end()
    if current:
        commands.append(current)
    return commands


def _mutt_value(tok):
    if tok[:1] in ('"', "'"):
        closed = len(tok) >= 2 and tok[-1] == tok[0] and not (tok[0] == '"' and tok.endswith('\\"') and not tok.endswith('\\\\"'))
        inner = tok[1:-1] if closed else tok[1:]
        return re.sub(r'\\(.)', r'\1', inner) if tok[0] == '"' else inner
    return re.sub(r'\\(.)', r'\1', tok)


def parse_mutt(text, fmt='mutt', defaults_modern=None):
    """``defaults_modern``: True when the installed mutt is 2.0 or newer (TLS 1.0/1.1 off by default),
    False when older, None when unknown."""
    parsed = Parsed(fmt, text)
    for match in _MUTT_SECRET_ANYWHERE.finditer(text):
        value = match.group(1)
        if value not in ('""', "''"):
            parsed.secrets.append((match.start(1), match.end(1)))
    commands = _mutt_commands(parsed)
    if parsed.errors:
        return parsed
    entry = new_entry(fmt, 1)
    settings = {}
    assignments = []
    for cmd in commands:
        name = cmd[0][2]
        if name not in ('set', 'unset', 'reset', 'toggle'):
            if name == 'source':
                parsed.extra.setdefault('sources', []).append((parsed.line_of(cmd[0][0]), ' '.join(t[2] for t in cmd[1:])))
            continue
        index = 1
        while index < len(cmd):
            start, end, tok = cmd[index]
            value_tok = None
            if index + 2 < len(cmd) and cmd[index + 1][2] == '=':
                value_tok = cmd[index + 2]
                stop = value_tok[1]
                index += 3
            else:
                stop = end
                index += 1
            var = tok
            prefix = ''
            for pre in ('no', 'inv', '?', '&'):
                if var.startswith(pre) and var[len(pre):] in MUTT_VARS:
                    prefix, var = pre, var[len(pre):]
                    break
            if '=' in var:
                var = var.split('=', 1)[0]
            item = {'cmd': name, 'var': var, 'prefix': prefix, 'tok': (start, end, tok), 'value_tok': value_tok,
                    'span': (start, stop), 'line': parsed.line_of(start)}
            assignments.append(item)
            if name == 'set' and value_tok is not None:
                settings[var] = _mutt_value(value_tok[2])
            elif name == 'set' and prefix == '':
                settings[var] = 'yes'
            elif name == 'unset' or prefix == 'no':
                settings[var] = 'no'
    parsed.extra['assignments'] = assignments
    bools = _mutt_effective(assignments)
    entry['settings'] = dict((k, v) for k, v in settings.items()
                             if k in MUTT_VARS or k in ('ssl_force_tls', 'ssl_starttls', 'imap_authenticators', 'smtp_authenticators',
                                                        'pop_authenticators', 'imap_oauth_refresh_command', 'smtp_oauth_refresh_command'))
    for key in ('imap_oauth_refresh_command', 'smtp_oauth_refresh_command'):
        if key in entry['settings']:
            entry['settings'][key] = '(set)'
    for var, proto in MUTT_VARS.items():
        if proto is None:
            continue
        if var in bools:
            value, line = bools[var]
            state = 'on' if value else 'off'
            entry['versions'][proto] = (state, '%s is %s' % (var, 'yes' if value else 'no'), [fin(line, var, 'yes' if value else 'no')])
        else:
            default_on = proto in ('tls1_2', 'tls1_3') or (proto in ('tls1_0', 'tls1_1') and defaults_modern is False)
            if proto == 'ssl3':
                default_on = False
            if proto in ('tls1_0', 'tls1_1') and defaults_modern is None:
                entry['versions'][proto] = ('unknown', '%s not set; its default depends on the mutt version (yes before 2.0, no since)' % var,
                                            [fin(None, var, None, 'not set')])
            else:
                entry['versions'][proto] = ('on' if default_on else 'off', '%s not set; %s default is %s' % (var, fmt, 'yes' if default_on else 'no'),
                                            [fin(None, var, None, 'default')])
    # servers from URLs anywhere in the file (folders, spoolfile, smtp_url, mailboxes, hooks)
    for match in _MUTT_URL.finditer(text):
        scheme = match.group(1).lower()
        host = match.group(3).strip('[]')
        port = int(match.group(4)) if match.group(4) else None
        service = {'imap': 'imap', 'pop': 'pop3', 'smtp': 'smtp'}[scheme.rstrip('s')]
        implicit = scheme.endswith('s')
        if port is None:
            port = {('imap', True): 993, ('imap', False): 143, ('pop3', True): 995, ('pop3', False): 110,
                    ('smtp', True): 465, ('smtp', False): 25}[(service, implicit)]
        if match.group(2) and ':' in match.group(2):
            user_part = match.group(2)
            colon = user_part.index(':')
            sstart = match.start(2) + colon + 1
            send = match.start(2) + len(user_part) - 1
            parsed.secrets.append((sstart, send))
            entry['passwords'].append({'line': parsed.line_of(match.start()), 'key': '%s URL' % scheme})
        line = parsed.line_of(match.start())
        entry['servers'].append(server(host, port, service, 'implicit' if implicit else 'starttls', line, (match.start(3), match.end(3))))
    for item in assignments:
        if item['var'] in _MUTT_SECRET_VARS and item['cmd'] == 'set' and item['value_tok'] is not None and _mutt_value(item['value_tok'][2]):
            entry['passwords'].append({'line': item['line'], 'key': item['var']})
    auth = ' '.join(settings.get(k, '') for k in ('imap_authenticators', 'smtp_authenticators', 'pop_authenticators')).lower()
    entry['auth'] = 'oauth' if ('oauthbearer' in auth or 'xoauth2' in auth) else 'password'
    parsed.entries.append(entry)
    return parsed


def _mutt_effective(assignments):
    values = {}
    for item in assignments:
        var = item['var']
        if var not in MUTT_VARS:
            continue
        if item['cmd'] == 'set':
            if item['prefix'] == 'no':
                values[var] = (False, item['line'])
            elif item['prefix'] == 'inv':
                values[var] = (not values.get(var, (False, None))[0], item['line'])
            elif item['value_tok'] is not None:
                value = _mutt_value(item['value_tok'][2]).lower()
                values[var] = (value in _MUTT_BOOL_TRUE, item['line'])
            elif item['prefix'] in ('', ):
                values[var] = (True, item['line'])
        elif item['cmd'] == 'unset':
            values[var] = (False, item['line'])
        elif item['cmd'] == 'toggle':
            values[var] = (not values.get(var, (False, None))[0], item['line'])
        elif item['cmd'] == 'reset':
            values.pop(var, None)
    return values


def plan_mutt(parsed, options):
    minimum = options['min_protocol']
    want = dict((var, not below(proto, minimum)) for var, proto in MUTT_VARS.items() if proto is not None)
    want['ssl_use_sslv2'] = False
    edits = []
    for item in parsed.extra.get('assignments', []):
        var = item['var']
        if var not in want or item['cmd'] != 'set':
            continue
        if item['value_tok'] is not None:
            value = _mutt_value(item['value_tok'][2]).lower()
            current = value in _MUTT_BOOL_TRUE
            if current != want[var]:
                vt = item['value_tok']
                new = 'yes' if want[var] else 'no'
                edits.append(Edit(vt[0], vt[1], _requote(vt[2], new), item['line'], '%s=%s -> %s' % (var, value, new)))
        elif item['prefix'] in ('', 'no', 'inv'):
            current = item['prefix'] == ''
            if item['prefix'] == 'inv' or current != want[var]:
                start, end, unused = item['tok']
                new = '%s=%s' % (var, 'yes' if want[var] else 'no')
                edits.append(Edit(start, end, new, item['line'], '%s -> %s' % (item['tok'][2], new)))
    # What is still wrong after the in-place edits (unset/toggle/reset, or an old default) gets a block at the end.
    after = parse_mutt(apply_edits(parsed.text, edits), parsed.fmt, options.get('mutt_defaults_modern'))
    missing = []
    if after.ok and after.entries:
        versions = after.entries[0]['versions']
        for var, proto in MUTT_VARS.items():
            if proto is None:
                continue
            state = versions[proto][0]
            if want[var] and state == 'off' or not want[var] and state == 'on':
                missing.append('set %s=%s' % (var, 'yes' if want[var] else 'no'))
    if missing:
        edit = _append_block(parsed.text, ['# %s: TLS %s or newer' % (MARKER, LABELS[minimum][4:])] + missing)
        edit.description = 'appended ' + ', '.join(m[4:] for m in missing)
        edit.line = parsed.line_of(len(parsed.text)) + 1
        edits.append(edit)
    if options.get('move_legacy_endpoints'):
        for entry in parsed.entries:
            edits.extend(_endpoint_edits(parsed, entry, 'server'))
    return edits


# ---------------------------------------------------------------------------
# isync / mbsync (1.4 SSLType/SSLVersions, 1.5 TLSType/TLSVersions)
# ---------------------------------------------------------------------------

_MB_LINE = re.compile(r'^([ \t]*)([A-Za-z][A-Za-z0-9]*)(?:([ \t]+)(.*?))?[ \t]*\r?$')
_MB_SECTIONS = ('imapaccount', 'imapstore', 'maildirstore', 'channel', 'group', 'mailboxstore')
_MB14 = {'sslv3': 'ssl3', 'tlsv1': 'tls1_0', 'tlsv1.1': 'tls1_1', 'tlsv1.2': 'tls1_2', 'tlsv1.3': 'tls1_3'}
_MB15 = {'1.0': 'tls1_0', '1.1': 'tls1_1', '1.2': 'tls1_2', '1.3': 'tls1_3'}


def _split_lines(text):
    """(start, end_without_newline) for each line."""
    out = []
    pos = 0
    while pos <= len(text):
        end = text.find('\n', pos)
        if end < 0:
            if pos < len(text):
                out.append((pos, len(text)))
            break
        out.append((pos, end))
        pos = end + 1
    return out


def parse_mbsync(text, version=None):
    """``version``: installed isync version tuple or None."""
    parsed = Parsed('mbsync', text)
    sections = []
    current = None
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped:
            current = None  # an empty line ends a section
            continue
        if stripped.startswith('#'):
            continue
        match = _MB_LINE.match(raw)
        if not match:
            parsed.errors.append('line %d: not a "Keyword value" line' % parsed.line_of(start))
            return parsed
        key = match.group(2).lower()
        value = (match.group(4) or '').strip()
        vstart = start + match.start(4) if match.group(4) is not None else end
        vend = vstart + len((match.group(4) or '').rstrip(' \t\r'))
        if key in _MB_SECTIONS:
            current = {'kind': key, 'name': value, 'line': parsed.line_of(start), 'keys': {}, 'last': end, 'start': start}
            sections.append(current)
            continue
        if current is None:
            current = {'kind': 'global', 'name': '', 'line': parsed.line_of(start), 'keys': {}, 'last': end, 'start': start}
            sections.append(current)
        current['keys'].setdefault(key, []).append({'value': value, 'span': (vstart, vend), 'line': parsed.line_of(start), 'key_raw': match.group(2)})
        current['last'] = end
        if key in ('pass',):
            parsed.secrets.append((vstart, vend))
    parsed.extra['sections'] = sections
    for sec in sections:
        if sec['kind'] == 'imapaccount' or (sec['kind'] == 'imapstore' and 'host' in sec['keys']):
            parsed.entries.append(_mbsync_entry(parsed, sec, version))
    return parsed


def _mb_get(sec, key):
    items = sec['keys'].get(key)
    return items[-1] if items else None


def _mbsync_entry(parsed, sec, version):
    entry = new_entry('%s %s' % ('IMAPAccount' if sec['kind'] == 'imapaccount' else 'IMAPStore', sec['name']), sec['line'])
    entry['section'] = sec
    host = _mb_get(sec, 'host')
    port = _mb_get(sec, 'port')
    ssltype = _mb_get(sec, 'tlstype') or _mb_get(sec, 'ssltype')
    requiressl = _mb_get(sec, 'requiressl')
    mode_value = ssltype['value'].lower() if ssltype else 'starttls'
    mode = {'imaps': 'implicit', 'starttls': 'starttls', 'none': 'plain'}.get(mode_value, 'unknown')
    if mode == 'plain' or (requiressl is not None and requiressl['value'].lower() == 'no' and ssltype is None):
        entry['plain'] = mode == 'plain'
    try:
        port_no = int(port['value']) if port else (993 if mode == 'implicit' else 143)
    except ValueError:
        port_no = None
    if host is not None:
        entry['servers'].append(server(host['value'], port_no, 'imap', mode, host['line'], host['span']))
    entry['settings'] = {'type': ssltype['value'] if ssltype else None}
    vers15 = _mb_get(sec, 'tlsversions')
    vers14 = _mb_get(sec, 'sslversions')
    entry['spelling'] = '1.5' if (_mb_get(sec, 'tlstype') or vers15) else ('1.4' if (_mb_get(sec, 'ssltype') or vers14) else None)
    if entry['plain']:
        set_versions(entry, dict((p, 'off') for p in PROTOS), 'SSLType None: no TLS', [fin(ssltype['line'], ssltype['key_raw'], ssltype['value'])])
    elif vers14 is not None or vers15 is not None:
        item = vers15 if vers15 is not None else vers14
        entry['settings']['versions'] = item['value']
        states, bad = _mbsync_versions(item['value'], vers15 is not None)
        if bad:
            parsed.errors.append('line %d: unknown TLS version %r' % (item['line'], bad))
        set_versions(entry, states, '%s %s' % (item['key_raw'], item['value']), [fin(item['line'], item['key_raw'], item['value'])])
    else:
        modern = version is not None and tuple(version[:2]) >= (1, 5)
        if modern:
            reason = 'no TLSVersions: isync 1.5 leaves the versions to the library (treated as library default)'
            set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS), reason, [fin(sec['line'], 'TLSVersions', None, 'not set')])
        else:
            reason = 'no SSLVersions: isync 1.4 enables TLSv1, TLSv1.1, TLSv1.2 and TLSv1.3 by default'
            set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'on') for p in PROTOS), reason, [fin(sec['line'], 'SSLVersions', None, 'default')])
    for key in ('pass',):
        item = _mb_get(sec, key)
        if item is not None:
            entry['passwords'].append({'line': item['line'], 'key': item['key_raw']})
    mechs = _mb_get(sec, 'authmechs') or _mb_get(sec, 'authmech')
    entry['settings']['authmechs'] = mechs['value'] if mechs else None
    entry['auth'] = 'oauth' if mechs and re.search(r'xoauth2|oauthbearer', mechs['value'], re.I) else 'password'
    return entry


def _mbsync_versions(value, v15):
    words = value.split()
    states = dict((p, 'off') for p in PROTOS)
    if v15:
        # Signed entries adjust the default set (1.2 and 1.3); a bare first entry starts from nothing.
        if words and words[0][:1] not in '+-':
            current = set()
        else:
            current = set(['tls1_2', 'tls1_3'])
        for word in words:
            sign = word[0] if word[:1] in '+-' else '+'
            name = word.lstrip('+-')
            proto = _MB15.get(name)
            if proto is None:
                return states, word
            if sign == '+':
                current.add(proto)
            else:
                current.discard(proto)
    else:
        current = set()
        for word in words:
            proto = _MB14.get(word.lower())
            if proto is None:
                return states, word
            current.add(proto)
    for proto in current:
        states[proto] = 'on'
    return states, None


def _mbsync_target(minimum, v15):
    if v15:
        return '-1.0 -1.1 -1.2 +1.3' if minimum == 'tls1_3' else '-1.0 -1.1 +1.2 +1.3'
    return 'TLSv1.3' if minimum == 'tls1_3' else 'TLSv1.2 TLSv1.3'


def plan_mbsync(parsed, options):
    minimum = options['min_protocol']
    edits = []
    installed15 = options.get('mbsync_version') is not None and tuple(options['mbsync_version'][:2]) >= (1, 5)
    for entry in parsed.entries:
        sec = entry['section']
        if needs_fix(entry, minimum):
            item = _mb_get(sec, 'tlsversions') or _mb_get(sec, 'sslversions')
            if item is not None:
                v15 = item['key_raw'].lower() == 'tlsversions'
                new = _mbsync_target(minimum, v15)
                edits.append(Edit(item['span'][0], item['span'][1], new, item['line'], '%s %s -> %s' % (item['key_raw'], item['value'], new)))
            else:
                v15 = entry['spelling'] == '1.5' or (entry['spelling'] is None and installed15)
                key = 'TLSVersions' if v15 else 'SSLVersions'
                new = '%s %s' % (key, _mbsync_target(minimum, v15))
                anchor = _mb_get(sec, 'tlstype') or _mb_get(sec, 'ssltype')
                pos = anchor['span'][1] if anchor else sec['last']
                edit = _insert_line_after(parsed.text, pos, new)
                edit.line = parsed.line_of(pos) + 1
                edit.description = 'added %s to %s' % (new, entry['name'])
                edits.append(edit)
        if options.get('move_legacy_endpoints'):
            edits.extend(_endpoint_edits(parsed, entry, 'Host'))
    return edits


# ---------------------------------------------------------------------------
# INI-like files: offlineimap, getmail6
# ---------------------------------------------------------------------------

_INI_SECTION = re.compile(r'^[ \t]*\[([^\]\n]*)\][ \t]*(?:[#;][^\n]*)?\r?$')
_INI_KV = re.compile(r'^([A-Za-z0-9_.\-]+)[ \t]*[=:][ \t]*(.*?)[ \t]*\r?$')


def parse_ini(parsed, secret_keys):
    """Sections -> {name, line, keys: {key: [{value, span, line, key_raw}]}}; continuation lines are skipped."""
    sections = []
    current = None
    text = parsed.text
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped[0] in '#;':
            continue
        if raw[:1] in ' \t' and current is not None and current.get('lastkey'):
            continue  # continuation of a multi-line value
        match = _INI_SECTION.match(raw)
        if match:
            current = {'name': match.group(1).strip(), 'line': parsed.line_of(start), 'keys': {}, 'last': end}
            sections.append(current)
            continue
        match = _INI_KV.match(raw)
        if not match or current is None:
            parsed.errors.append('line %d: not a [section] or key = value line' % parsed.line_of(start))
            return sections
        key = match.group(1).lower()
        vstart = start + match.start(2)
        vend = start + match.end(2)
        current['keys'].setdefault(key, []).append({'value': match.group(2), 'span': (vstart, vend), 'line': parsed.line_of(start), 'key_raw': match.group(1)})
        current['last'] = end
        current['lastkey'] = key
        if key in secret_keys and vend > vstart:
            parsed.secrets.append((vstart, vend))
    return sections


_OI_VERSIONS = {'ssl3': 'ssl3', 'tls1': 'tls1_0', 'tls1_1': 'tls1_1', 'tls1_2': 'tls1_2', 'tls1_3': 'tls1_3', 'ssl23': None}
_OI_SECRETS = ('remotepass', 'oauth2_client_secret', 'oauth2_refresh_token', 'oauth2_access_token')


def _ini_get(sec, key):
    items = sec['keys'].get(key)
    return items[-1] if items else None


def _ini_sections(fmt, text, secret_keys):
    """Parse an INI-style client file: the Parsed result and its sections (none when it has errors)."""
    parsed = Parsed(fmt, text)
    sections = parse_ini(parsed, secret_keys)
    parsed.extra['sections'] = sections
    return parsed, ([] if parsed.errors else sections)


def _ini_pinned_version(entry, version, versions):
    """``ssl_version = X`` naming one protocol pins exactly that one; returns False when it names none."""
    proto = versions.get(version['value'].lower()) if version is not None else None
    if not proto:
        return False
    reason = 'ssl_version = %s pins exactly %s' % (version['value'], LABELS[proto])
    set_versions(entry, versions_from_range(proto, proto), reason, [fin(version['line'], 'ssl_version', version['value'])])
    return True


def _ini_password(entry, sec, key):
    item = _ini_get(sec, key)
    if item is not None and item['value']:
        entry['passwords'].append({'line': item['line'], 'key': key})


def _plan_ini(parsed, options, versions, target, host_label):
    """Edits for INI-style clients: a pinned old ``ssl_version`` becomes ``target``; legacy hosts move."""
    minimum = options['min_protocol']
    edits = []
    for entry in parsed.entries:
        version = _ini_get(entry['section'], 'ssl_version')
        if version is not None and needs_fix(entry, minimum) and versions.get(version['value'].lower()):
            edits.append(Edit(version['span'][0], version['span'][1], target, version['line'], 'ssl_version %s -> %s' % (version['value'], target)))
        if options.get('move_legacy_endpoints'):
            edits.extend(_endpoint_edits(parsed, entry, host_label))
    return edits


def parse_offlineimap(text):
    parsed, sections = _ini_sections('offlineimap', text, _OI_SECRETS)
    for sec in sections:
        if not sec['name'].lower().startswith('repository '):
            continue
        rtype = _ini_get(sec, 'type')
        if rtype is None or rtype['value'].lower() not in ('imap', 'gmail'):
            continue
        entry = new_entry(sec['name'], sec['line'])
        entry['section'] = sec
        host = _ini_get(sec, 'remotehost')
        port = _ini_get(sec, 'remoteport')
        ssl_on = _ini_get(sec, 'ssl')
        implicit = ssl_on is None or ssl_on['value'].lower() in ('yes', 'true', '1', 'on')
        starttls = _ini_get(sec, 'starttls')
        mode = 'implicit' if implicit else ('starttls' if starttls is None or starttls['value'].lower() in ('yes', 'true', '1', 'on') else 'plain')
        try:
            port_no = int(port['value']) if port else (993 if implicit else 143)
        except ValueError:
            port_no = None
        if host is not None:
            entry['servers'].append(server(host['value'], port_no, 'imap', mode, host['line'], host['span']))
        version = _ini_get(sec, 'ssl_version')
        level = _ini_get(sec, 'tls_level')
        entry['settings'] = {'ssl': implicit, 'ssl_version': version['value'] if version else None, 'tls_level': level['value'] if level else None}
        if mode == 'plain':
            entry['plain'] = True
        elif not _ini_pinned_version(entry, version, _OI_VERSIONS):
            lev = level['value'].lower() if level else 'tls_compat'
            ev = [fin(level['line'] if level else sec['line'], 'tls_level', lev)]
            if lev == 'tls_secure':
                set_versions(entry, dict((p, 'off' if below(p, 'tls1_2') else 'lib') for p in PROTOS),
                             'tls_level tls_secure refuses SSL 3.0, TLS 1.0 and 1.1', ev)
            elif lev == 'tls_no_ssl':
                set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS), 'tls_level tls_no_ssl refuses SSL 3.0 only', ev)
            else:
                set_versions(entry, dict((p, 'lib') for p in PROTOS), 'tls_level %s leaves the versions to Python ssl / OpenSSL' % lev, ev)
        _ini_password(entry, sec, 'remotepass')
        mechs = _ini_get(sec, 'auth_mechanisms')
        oauth = any(k.startswith('oauth2_') for k in sec['keys']) or (mechs and 'XOAUTH2' in mechs['value'].upper())
        entry['auth'] = 'oauth' if oauth else 'password'
        parsed.entries.append(entry)
    return parsed


def plan_offlineimap(parsed, options):
    target = 'tls1_3' if options['min_protocol'] == 'tls1_3' else 'tls1_2'
    return _plan_ini(parsed, options, _OI_VERSIONS, target, 'remotehost')


_GM_VERSIONS = {'sslv3': 'ssl3', 'tlsv1': 'tls1_0', 'tlsv1_1': 'tls1_1', 'tlsv1_2': 'tls1_2', 'tlsv1_3': 'tls1_3',
                'tls1': 'tls1_0', 'tls1_1': 'tls1_1', 'tls1_2': 'tls1_2', 'tls1_3': 'tls1_3'}


def parse_getmail(text):
    parsed, sections = _ini_sections('getmail', text, ('password',))
    for sec in sections:
        if sec['name'].lower() != 'retriever':
            continue
        entry = new_entry('retriever', sec['line'])
        entry['section'] = sec
        rtype = _ini_get(sec, 'type')
        rname = rtype['value'] if rtype else ''
        service = 'pop3' if 'POP3' in rname.upper() else 'imap'
        implicit = 'SSL' in rname.upper()
        host = _ini_get(sec, 'server')
        port = _ini_get(sec, 'port')
        try:
            port_no = int(port['value']) if port else _DEFAULT_PORTS[(service, implicit)]
        except ValueError:
            port_no = None
        if host is not None:
            entry['servers'].append(server(host['value'], port_no, service, 'implicit' if implicit else 'plain', host['line'], host['span']))
        entry['settings'] = {'type': rname}
        version = _ini_get(sec, 'ssl_version')
        if not implicit:
            entry['plain'] = True
        elif _ini_pinned_version(entry, version, _GM_VERSIONS):
            entry['settings']['ssl_version'] = version['value']
        else:
            set_versions(entry, dict((p, 'lib') for p in PROTOS), 'no ssl_version: Python ssl defaults and the OpenSSL policy decide',
                         [fin(sec['line'], 'ssl_version', None, 'not set')])
        _ini_password(entry, sec, 'password')
        xo = _ini_get(sec, 'use_xoauth2')
        entry['auth'] = 'oauth' if xo is not None and xo['value'].lower() in ('true', 'yes', '1') else 'password'
        parsed.entries.append(entry)
    return parsed


def plan_getmail(parsed, options):
    target = 'tlsv1_3' if options['min_protocol'] == 'tls1_3' else 'tlsv1_2'
    return _plan_ini(parsed, options, _GM_VERSIONS, target, 'server')


# ---------------------------------------------------------------------------
# msmtp
# ---------------------------------------------------------------------------

_MS_LINE = re.compile(r'^([ \t]*)([a-z_]+)(?:[ \t]+(.*?))?[ \t]*\r?$')
_GNUTLS_VERS = {'SSL3.0': 'ssl3', 'TLS1.0': 'tls1_0', 'TLS1.1': 'tls1_1', 'TLS1.2': 'tls1_2', 'TLS1.3': 'tls1_3'}


def parse_msmtp(text, library='gnutls'):
    parsed = Parsed('msmtp', text)
    blocks = []
    current = None
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        match = _MS_LINE.match(raw)
        if not match:
            parsed.errors.append('line %d: not a "command argument" line' % parsed.line_of(start))
            return parsed
        key = match.group(2)
        value = match.group(3) or ''
        vstart = start + match.start(3) if match.group(3) is not None else end
        vend = start + match.end(3) if match.group(3) is not None else end
        if key in ('account', 'defaults'):
            name, parents = value, []
            if key == 'account' and ':' in value:
                name, rest = value.split(':', 1)
                parents = [p.strip() for p in rest.split(',') if p.strip()]
            current = {'kind': key, 'name': name.strip() if key == 'account' else 'defaults', 'parents': parents, 'keys': {},
                       'line': parsed.line_of(start), 'last': end}
            blocks.append(current)
            continue
        if current is None:
            current = {'kind': 'defaults', 'name': '(top)', 'parents': [], 'keys': {}, 'line': parsed.line_of(start), 'last': end}
            blocks.append(current)
        current['keys'].setdefault(key, []).append({'value': value, 'span': (vstart, vend), 'line': parsed.line_of(start), 'key_raw': key})
        current['last'] = end
        if key == 'password' and vend > vstart:
            parsed.secrets.append((vstart, vend))
    parsed.extra['blocks'] = blocks
    effective_defaults = {}
    accounts = {}
    for block in blocks:
        if block['kind'] == 'defaults':
            for key, items in block['keys'].items():
                effective_defaults[key] = (items[-1], block)
            continue
        merged = dict(effective_defaults)
        for parent in block['parents']:
            merged.update(accounts.get(parent, {}))
        for key, items in block['keys'].items():
            merged[key] = (items[-1], block)
        accounts[block['name']] = merged
        parsed.entries.append(_msmtp_entry(parsed, block, merged, library))
    return parsed


def _msmtp_entry(parsed, block, merged, library):
    entry = new_entry('account %s' % block['name'], block['line'])
    entry['block'] = block

    def val(key, default=None):
        item = merged.get(key)
        return item[0]['value'] if item else default

    tls = val('tls', 'off').lower() in ('on', 'yes', '')
    starttls = val('tls_starttls', 'on').lower() in ('on', 'yes', '')
    host = merged.get('host')
    try:
        port = int(val('port')) if val('port') else (465 if tls and not starttls else 25)
    except ValueError:
        port = None
    mode = 'plain' if not tls else ('starttls' if starttls else 'implicit')
    if host is not None:
        item = host[0]
        entry['servers'].append(server(item['value'], port, 'smtp', mode, item['line'], item['span']))
    entry['settings'] = {'tls': tls, 'tls_starttls': starttls, 'tls_priorities': val('tls_priorities'), 'auth': val('auth')}
    prio = merged.get('tls_priorities')
    entry['prio'] = prio
    if not tls:
        entry['plain'] = True
        set_versions(entry, dict((p, 'off') for p in PROTOS), 'tls off', [])
    elif prio is not None and prio[0]['value'].strip():
        states = gnutls_priority_versions(prio[0]['value']) if library == 'gnutls' else None
        ev = [fin(prio[0]['line'], 'tls_priorities', prio[0]['value'])]
        if states is None:
            set_versions(entry, dict((p, 'unknown') for p in PROTOS), 'tls_priorities for %s is not interpreted here' % library, ev)
        else:
            for proto in PROTOS:
                entry['versions'][proto] = (states[proto], 'tls_priorities %s' % prio[0]['value'], ev)
    else:
        set_versions(entry, dict((p, 'lib') for p in PROTOS), 'no tls_priorities: the %s default priorities decide' % library,
                     [fin(block['line'], 'tls_priorities', None, 'not set')])
    pw = merged.get('password')
    if pw is not None and pw[0]['value']:
        entry['passwords'].append({'line': pw[0]['line'], 'key': 'password'})
    auth = (val('auth') or 'on').lower()
    entry['auth'] = 'oauth' if auth in ('xoauth2', 'oauthbearer') else ('none' if auth == 'off' else 'password')
    return entry


def gnutls_priority_versions(prio):
    """Which versions a GnuTLS priority string enables: 'lib' (keyword default), 'on' or 'off'."""
    states = dict((p, 'lib') for p in PROTOS)
    states['ssl3'] = 'off'
    for part in prio.strip().split(':'):
        part = part.strip()
        if part.startswith('%'):
            continue
        upper = part.upper()
        if upper in ('-VERS-ALL', '-VERS-TLS-ALL'):
            states = dict((p, 'off') for p in PROTOS)
        elif upper in ('+VERS-ALL', '+VERS-TLS-ALL'):
            states = dict((p, 'on') for p in PROTOS)
        elif upper[1:].startswith('VERS-') and upper[0] in '+-!':
            proto = _GNUTLS_VERS.get(upper[6:])
            if proto:
                states[proto] = 'on' if upper[0] == '+' else 'off'
    return states


def _gnutls_fix(prio, minimum):
    parts = [p for p in prio.strip().split(':') if p.strip()]
    keep = []
    for part in parts:
        upper = part.strip().upper()
        proto = _GNUTLS_VERS.get(upper[6:]) if upper[1:].startswith('VERS-') and upper[0] in '+-!' else None
        if proto is not None and upper[0] == '+' and below(proto, minimum):
            continue
        if proto is not None and upper[0] in '-!' and not below(proto, minimum):
            continue
        keep.append(part)
    states = gnutls_priority_versions(':'.join(keep))
    for proto in PROTOS:
        if below(proto, minimum) and states[proto] != 'off':
            keep.append('-VERS-%s' % [k for k, v in _GNUTLS_VERS.items() if v == proto][0])
    states = gnutls_priority_versions(':'.join(keep))
    if not any(states[p] in ('on', 'lib') for p in PROTOS if not below(p, minimum)):
        for proto in ('tls1_3', 'tls1_2'):
            if not below(proto, minimum):
                keep.append('+VERS-%s' % [k for k, v in _GNUTLS_VERS.items() if v == proto][0])
    return ':'.join(keep)


def msmtp_default_priorities(minimum):
    if minimum == 'tls1_3':
        return 'NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-TLS1.2'
    return 'NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1'


def plan_msmtp(parsed, options):
    minimum = options['min_protocol']
    library = options.get('msmtp_library', 'gnutls')
    edits = []
    for entry in parsed.entries:
        if needs_fix(entry, minimum) and library == 'gnutls':
            prio = entry['prio']
            if prio is not None and prio[0]['value'].strip():
                item = prio[0]
                new = _gnutls_fix(item['value'], minimum)
                if new != item['value']:
                    edits.append(Edit(item['span'][0], item['span'][1], new, item['line'], 'tls_priorities %s -> %s' % (item['value'], new)))
            else:
                block = entry['block']
                new = 'tls_priorities %s' % msmtp_default_priorities(minimum)
                pos = block['last']
                edit = _insert_line_after(parsed.text, pos, new)
                edit.line = parsed.line_of(pos) + 1
                edit.description = 'added %s to %s' % (new, entry['name'])
                edits.append(edit)
        if options.get('move_legacy_endpoints'):
            edits.extend(_endpoint_edits(parsed, entry, 'host'))
    return edits


# ---------------------------------------------------------------------------
# imapfilter (Lua)
# ---------------------------------------------------------------------------

_IF_ACCOUNT = re.compile(r'IMAP\s*\{', re.S)
_IF_FIELD = re.compile(r'''\b(server|port|ssl|password|username|oauth2)\s*=\s*'''
                       r'''("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\[\[.*?\]\]|[0-9]+|[A-Za-z_][A-Za-z0-9_.]*)''', re.S)
_IF_VERSIONS = {'ssl3': ('ssl3', 'ssl3'), 'tls1': ('tls1_0', 'tls1_0'), 'tls1.1': ('tls1_1', 'tls1_1'), 'tls1.2': ('tls1_2', 'tls1_2'),
                'tls1.3': ('tls1_3', 'tls1_3'), 'ssl23': ('ssl3', 'tls1_3'), 'auto': None}


def parse_imapfilter(text):
    parsed = Parsed('imapfilter', text)
    for match in _IF_ACCOUNT.finditer(text):
        depth = 0
        pos = match.end() - 1
        end = None
        while pos < len(text):
            char = text[pos]
            if char in '"\'':
                close = re.compile(r'(?:\\.|[^%s\\])*%s' % (char, char), re.S).match(text, pos + 1)
                if not close:
                    break
                pos = close.end()
                continue
            if text.startswith('--', pos):
                nl = text.find('\n', pos)
                pos = len(text) if nl < 0 else nl
                continue
            if char == '{':
                depth += 1
            elif char == '}':
                depth -= 1
                if depth == 0:
                    end = pos
                    break
            pos += 1
        if end is None:
            parsed.errors.append('line %d: IMAP { ... } table is not closed' % parsed.line_of(match.start()))
            return parsed
        body = text[match.end():end]
        fields = {}
        for field in _IF_FIELD.finditer(body):
            raw = field.group(2)
            value = raw[1:-1] if raw[:1] in '"\'' else (raw[2:-2] if raw.startswith('[[') else raw)
            start = match.end() + field.start(2)
            stop = match.end() + field.end(2)
            fields[field.group(1)] = {'value': value, 'raw': raw, 'span': (start, stop), 'line': parsed.line_of(start)}
            if field.group(1) in ('password', 'oauth2'):
                parsed.secrets.append((start, stop))
        entry = new_entry('IMAP account', parsed.line_of(match.start()))
        entry['fields'] = fields
        ssl_field = fields.get('ssl')
        implicit = ssl_field is not None and ssl_field['value'].lower() not in ('', 'false', 'no')
        try:
            port_no = int(fields['port']['value']) if 'port' in fields else (993 if implicit else 143)
        except ValueError:
            port_no = None
        if 'server' in fields:
            entry['servers'].append(server(fields['server']['value'], port_no, 'imap', 'implicit' if implicit else 'starttls',
                                           fields['server']['line'], fields['server']['span']))
        entry['settings'] = {'ssl': ssl_field['value'] if ssl_field else None}
        if ssl_field is not None:
            value = ssl_field['value'].lower()
            ev = [fin(ssl_field['line'], 'ssl', ssl_field['value'])]
            rng = _IF_VERSIONS.get(value)
            if rng is not None:
                reason = "ssl = '%s'" % value
                states = versions_from_range(rng[0], rng[1])
                if value == 'ssl23':
                    states = dict((p, 'lib') for p in PROTOS)
                set_versions(entry, states, reason + (' pins exactly this version' if rng[0] == rng[1] else ''), ev)
            else:
                set_versions(entry, dict((p, 'lib') for p in PROTOS), "ssl = '%s': the library decides" % value, ev)
        else:
            set_versions(entry, dict((p, 'lib') for p in PROTOS), 'no ssl field: STARTTLS when offered, the library decides', [])
        if 'password' in fields and fields['password']['value']:
            entry['passwords'].append({'line': fields['password']['line'], 'key': 'password'})
        entry['auth'] = 'oauth' if 'oauth2' in fields else 'password'
        parsed.entries.append(entry)
    return parsed


def plan_imapfilter(parsed, options):
    minimum = options['min_protocol']
    target = 'tls1.3' if minimum == 'tls1_3' else 'tls1.2'
    edits = []
    for entry in parsed.entries:
        ssl_field = entry['fields'].get('ssl')
        if ssl_field is not None and ssl_field['value'].lower() in _IF_VERSIONS and _IF_VERSIONS[ssl_field['value'].lower()] and needs_fix(entry, minimum):
            edits.append(Edit(ssl_field['span'][0], ssl_field['span'][1], _requote(ssl_field['raw'], target), ssl_field['line'],
                              "ssl '%s' -> '%s'" % (ssl_field['value'], target)))
        if options.get('move_legacy_endpoints'):
            edits.extend(_endpoint_edits(parsed, entry, 'server', requote=True))
    return edits


# ---------------------------------------------------------------------------
# curl (~/.curlrc)
# ---------------------------------------------------------------------------

_CURL_LINE = re.compile(r'^([ \t]*)(--?)?([A-Za-z0-9][A-Za-z0-9.\-]*)(?:([ \t]*[=:][ \t]*|[ \t]+)(.*?))?[ \t]*\r?$')
_CURL_MIN = {'tlsv1': 'tls1_0', 'tlsv1.0': 'tls1_0', '1': 'tls1_0', 'tlsv1.1': 'tls1_1', 'tlsv1.2': 'tls1_2', 'tlsv1.3': 'tls1_3',
             'sslv3': 'ssl3', '3': 'ssl3', 'sslv2': 'ssl3', '2': 'ssl3'}
_CURL_MAX = {'1.0': 'tls1_0', '1.1': 'tls1_1', '1.2': 'tls1_2', '1.3': 'tls1_3', 'default': 'tls1_3'}
_CURL_URL = re.compile(r'''\b(imaps?|pop3s?|smtps?)://([^\s'"/@]*@)?(\[[^\]]+\]|[A-Za-z0-9.\-_]+)(?::(\d+))?''', re.I)
_CURL_SECRET = re.compile(r'''^[ \t]*(?:--?)?(?:user|u|oauth2-bearer|proxy-user|U)(?:[ \t]*[=:][ \t]*|[ \t]+)("(?:\\.|[^"\\])*"|\S+)''', re.M)


def parse_curlrc(text):
    parsed = Parsed('curl', text)
    for match in _CURL_SECRET.finditer(text):
        parsed.secrets.append((match.start(1), match.end(1)))
    entry = new_entry('curlrc', 1)
    options = []
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        match = _CURL_LINE.match(raw)
        if not match:
            continue  # curl ignores what it cannot read only with a warning; we never edit such lines
        name = match.group(3).lower()
        value = (match.group(5) or '').strip().strip('"')
        options.append({'name': name, 'dashes': match.group(2) or '', 'value': value, 'line': parsed.line_of(start),
                        'name_span': (start + match.start(3), start + match.end(3)),
                        'value_span': (start + match.start(5), start + match.end(5)) if match.group(5) is not None else None,
                        'line_span': (start, end)})
    parsed.extra['options'] = options
    low = None
    high = None
    for opt in options:
        if opt['name'] in _CURL_MIN and (opt['dashes'] or len(opt['name']) > 1):
            low = opt
        elif opt['name'] == 'tls-max' and opt['value'].lower() in _CURL_MAX:
            high = opt
    entry['low'] = low
    entry['high'] = high
    ev = []
    low_proto = 'tls1_0'
    states = dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS)
    reason = 'no --tlsv1.x in .curlrc: the library default minimum applies'
    if low is not None:
        low_proto = _CURL_MIN[low['name']]
        ev.append(fin(low['line'], low['name'], None))
        for proto in PROTOS:
            states[proto] = 'off' if below(proto, low_proto) else 'on'
        reason = '%s sets the minimum to %s' % (low['name'], LABELS[low_proto])
    if high is not None:
        high_proto = _CURL_MAX[high['value'].lower()]
        ev.append(fin(high['line'], 'tls-max', high['value']))
        for proto in PROTOS:
            if rank(proto) > rank(high_proto):
                states[proto] = 'off'
        reason += '; tls-max %s' % high['value']
    set_versions(entry, states, reason, ev)
    for match in _CURL_URL.finditer(text):
        scheme = match.group(1).lower()
        service = {'imap': 'imap', 'pop3': 'pop3', 'smtp': 'smtp'}[scheme.rstrip('s')]
        implicit = scheme.endswith('s')
        port = int(match.group(4)) if match.group(4) else None
        entry['servers'].append(server(match.group(3).strip('[]'), port, service, 'implicit' if implicit else 'starttls',
                                       parsed.line_of(match.start()), (match.start(3), match.end(3))))
        if match.group(2) and ':' in match.group(2):
            user_part = match.group(2)
            colon = user_part.index(':')
            parsed.secrets.append((match.start(2) + colon + 1, match.start(2) + len(user_part) - 1))
            entry['passwords'].append({'line': parsed.line_of(match.start()), 'key': 'URL'})
    for opt in options:
        if opt['name'] in ('user', 'u') and ':' in opt['value']:
            entry['passwords'].append({'line': opt['line'], 'key': opt['name']})
    entry['auth'] = 'oauth' if any(o['name'] == 'oauth2-bearer' for o in options) else 'password'
    parsed.entries.append(entry)
    return parsed


def plan_curlrc(parsed, options):
    minimum = options['min_protocol']
    want = 'tlsv1.3' if minimum == 'tls1_3' else 'tlsv1.2'
    edits = []
    for entry in parsed.entries:
        if not needs_fix(entry, minimum):
            continue
        low = entry['low']
        if low is not None and below(_CURL_MIN[low['name']], minimum):
            start, end = low['name_span']
            prefix = '-' if low['dashes'] == '-' else ''
            edits.append(Edit(start - len(prefix), end, ('-' + want) if prefix else want, low['line'], '%s -> %s' % (low['name'], want)))
        elif low is None:
            dashes = '--' if any(o['dashes'] == '--' for o in parsed.extra['options']) else ''
            edit = _append_block(parsed.text, ['# %s: TLS %s or newer' % (MARKER, LABELS[minimum][4:]), dashes + want])
            edit.line = parsed.line_of(len(parsed.text)) + 1
            edit.description = 'appended %s' % want
            edits.append(edit)
        high = entry['high']
        if high is not None and below(_CURL_MAX[high['value'].lower()], minimum):
            start, end = high['value_span']
            old = parsed.text[start:end]
            edits.append(Edit(start, end, _requote(old, 'default'), high['line'], 'tls-max %s -> default' % high['value']))
    if options.get('move_legacy_endpoints'):
        for entry in parsed.entries:
            edits.extend(_endpoint_edits(parsed, entry, 'URL host'))
    return edits


# ---------------------------------------------------------------------------
# Thunderbird: prefs.js / user.js, policies.json, profiles.ini
# ---------------------------------------------------------------------------

_PREF_LINE = re.compile(r'''^[ \t]*(user_pref|pref|sticky_pref|lockPref)[ \t]*\([ \t]*("(?:\\.|[^"\\])*")[ \t]*,[ \t]*'''
                        r'''("(?:\\.|[^"\\])*"|-?[0-9]+|true|false)[ \t]*\)[ \t]*;[ \t]*(?://[^\n]*)?\r?$''')
TB_VERSION_NUMBERS = {0: 'ssl3', 1: 'tls1_0', 2: 'tls1_1', 3: 'tls1_2', 4: 'tls1_3'}
TB_NUMBER_OF = dict((v, k) for k, v in TB_VERSION_NUMBERS.items())
TB_DEFAULT_MIN = 3
TB_DEFAULT_MAX = 4


def _js_string(tok):
    inner = tok[1:-1]
    return re.sub(r'\\(.)', r'\1', inner)


def parse_prefs(text, fmt='thunderbird_prefs'):
    """prefs.js or user.js: one preference call per line, comments (# // /* */) around them."""
    parsed = Parsed(fmt, text)
    prefs = {}
    in_block = False
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if in_block:
            if '*/' in stripped:
                in_block = False
            continue
        if not stripped or stripped.startswith('//') or stripped.startswith('#'):
            continue
        if stripped.startswith('/*'):
            in_block = '*/' not in stripped[2:]
            continue
        match = _PREF_LINE.match(raw)
        if not match:
            parsed.errors.append('line %d: not a pref("name", value); line' % parsed.line_of(start))
            return parsed
        name = _js_string(match.group(2))
        raw_value = match.group(3)
        if raw_value.startswith('"'):
            value = _js_string(raw_value)
        elif raw_value in ('true', 'false'):
            value = raw_value == 'true'
        else:
            value = int(raw_value)
        prefs[name] = {'value': value, 'raw': raw_value, 'span': (start + match.start(3), start + match.end(3)),
                       'line': parsed.line_of(start), 'fn': match.group(1)}
    parsed.extra['prefs'] = prefs
    return parsed


def thunderbird_entries(parsed_prefs, parsed_user=None, policies=None, version=None):
    """One entry per mail account in a profile; TLS versions from user.js over prefs.js over policies over defaults."""
    prefs = dict(parsed_prefs.extra.get('prefs', {})) if parsed_prefs is not None else {}
    user = parsed_user.extra.get('prefs', {}) if parsed_user is not None else {}
    merged = dict((k, (v, parsed_prefs)) for k, v in prefs.items())
    for key, value in user.items():
        merged[key] = (value, parsed_user)
    entries = []
    servers = {}
    smtp = {}
    for key, (item, unused) in merged.items():
        match = re.match(r'^mail\.server\.(server\d+)\.(hostname|port|type|socketType|authMethod|realhostname)$', key)
        if match:
            servers.setdefault(match.group(1), {})[match.group(2)] = item
        match = re.match(r'^mail\.smtpserver\.(smtp\d+)\.(hostname|port|try_ssl|authMethod)$', key)
        if match:
            smtp.setdefault(match.group(1), {})[match.group(2)] = item

    low, high, why = thunderbird_range(merged, policies, version)
    accounts = []
    for name in sorted(servers):
        fields = servers[name]
        stype = fields.get('type', {}).get('value')
        if stype in (None, 'none', 'rss', 'nntp', 'movemail') or 'hostname' not in fields:
            continue
        service = 'pop3' if stype == 'pop3' else 'imap'
        sock = fields.get('socketType', {}).get('value', 0)
        mode = {3: 'implicit', 2: 'starttls', 0: 'plain', 1: 'starttls'}.get(sock, 'unknown')
        host_item = fields.get('realhostname') or fields['hostname']
        port = fields.get('port', {}).get('value') or _DEFAULT_PORTS[(service, mode == 'implicit')]
        accounts.append((name, service, mode, host_item, port, fields.get('authMethod', {}).get('value')))
    for name in sorted(smtp):
        fields = smtp[name]
        if 'hostname' not in fields:
            continue
        sock = fields.get('try_ssl', {}).get('value', 0)
        mode = {3: 'implicit', 2: 'starttls', 1: 'starttls', 0: 'plain'}.get(sock, 'unknown')
        port = fields.get('port', {}).get('value') or (465 if mode == 'implicit' else 587)
        accounts.append((name, 'smtp', mode, fields['hostname'], port, fields.get('authMethod', {}).get('value')))
    for name, service, mode, host_item, port, auth in accounts:
        entry = new_entry(name, host_item['line'])
        entry['servers'].append(server(host_item['value'], port if isinstance(port, int) else None, service, mode, host_item['line'], host_item['span']))
        entry['host_item'] = host_item
        entry['auth'] = 'oauth' if auth == 10 else ('none' if auth == 1 else 'password')
        entry['settings'] = {'authMethod': auth}
        entry['plain'] = mode == 'plain'
        for proto in PROTOS:
            entry['versions'][proto] = ('on' if rank(low) <= rank(proto) <= rank(high) else 'off', why, [])
        entries.append(entry)
    return entries, (low, high, why)


def thunderbird_range(merged, policies=None, version=None):
    def num(key):
        item = merged.get(key)
        if item is None or not isinstance(item[0]['value'], int) or isinstance(item[0]['value'], bool):
            return None
        return item[0]['value']

    low_n = num('security.tls.version.min')
    high_n = num('security.tls.version.max')
    notes = []
    pol_min = policies.get('min') if policies else None
    pol_max = policies.get('max') if policies else None
    if low_n is None:
        if pol_min is not None:
            low = pol_min
            notes.append('SSLVersionMin %s from policies.json' % LABELS[pol_min])
        else:
            legacy_default = version is not None and tuple(version[:1]) < (78,)
            low = 'tls1_0' if legacy_default else TB_VERSION_NUMBERS[TB_DEFAULT_MIN]
            notes.append('security.tls.version.min not set (Thunderbird %s default %s)' % ('before 78' if legacy_default else '78+', LABELS[low]))
    else:
        low = TB_VERSION_NUMBERS.get(max(0, min(4, low_n)))
        notes.append('security.tls.version.min = %d' % low_n)
    if high_n is None:
        high = pol_max or 'tls1_3'
        notes.append('security.tls.version.max %s' % ('from policies.json' if pol_max else 'not set (default TLS 1.3)'))
    else:
        high = TB_VERSION_NUMBERS.get(max(0, min(4, high_n)))
        notes.append('security.tls.version.max = %d' % high_n)
    deprecated = merged.get('security.tls.version.enable-deprecated')
    if deprecated is not None and deprecated[0]['value'] is True and rank(low) > rank('tls1_0'):
        low = 'tls1_0'
        notes.append('security.tls.version.enable-deprecated = true re-enables TLS 1.0 and 1.1')
    return low, high, '; '.join(notes)


def plan_prefs(parsed, options):
    """Edits for one prefs.js / user.js: raise min, lift a low max, drop enable-deprecated."""
    minimum = options['min_protocol']
    prefs = parsed.extra.get('prefs', {})
    edits = []
    want = TB_NUMBER_OF[minimum]
    item = prefs.get('security.tls.version.min')
    if item is not None and isinstance(item['value'], int) and not isinstance(item['value'], bool) and item['value'] < want:
        edits.append(Edit(item['span'][0], item['span'][1], str(want), item['line'], 'security.tls.version.min %s -> %d' % (item['raw'], want)))
    elif item is None and minimum == 'tls1_3' and options.get('add_missing_min', True) and parsed.fmt == 'thunderbird_prefs':
        edit = _append_block(parsed.text, ['user_pref("security.tls.version.min", %d);' % want])
        edit.line = parsed.line_of(len(parsed.text)) + 1
        edit.description = 'added security.tls.version.min = %d' % want
        edits.append(edit)
    item = prefs.get('security.tls.version.max')
    if item is not None and isinstance(item['value'], int) and not isinstance(item['value'], bool) and item['value'] < want:
        edits.append(Edit(item['span'][0], item['span'][1], str(TB_DEFAULT_MAX), item['line'],
                          'security.tls.version.max %s -> %d' % (item['raw'], TB_DEFAULT_MAX)))
    item = prefs.get('security.tls.version.enable-deprecated')
    if item is not None and item['value'] is True:
        edits.append(Edit(item['span'][0], item['span'][1], 'false', item['line'], 'security.tls.version.enable-deprecated true -> false'))
    if options.get('move_legacy_endpoints'):
        for key, item in prefs.items():
            if re.match(r'^mail\.(server\.server\d+\.(hostname|realhostname)|smtpserver\.smtp\d+\.hostname)$', key) and isinstance(item['value'], str) \
                    and is_legacy_endpoint(item['value']):
                new = legacy_target(item['value'])
                edits.append(Edit(item['span'][0], item['span'][1], '"%s"' % new, item['line'], '%s %s -> %s' % (key, item['value'], new)))
    return edits


# policies.json: a small JSON scanner that keeps offsets of string values

_JSON_WS = re.compile(r'[ \t\r\n]*')
_JSON_STR = re.compile(r'"(?:\\.|[^"\\])*"', re.S)
_JSON_NUM = re.compile(r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?')
POLICY_VERSIONS = {'tls1': 'tls1_0', 'tls1.1': 'tls1_1', 'tls1.2': 'tls1_2', 'tls1.3': 'tls1_3'}
POLICY_NAME_OF = dict((v, k) for k, v in POLICY_VERSIONS.items())


class _JsonError(ValueError):
    pass


def _json_value(text, pos, path, found):
    pos = _JSON_WS.match(text, pos).end()
    if pos >= len(text):
        raise _JsonError('unexpected end')
    char = text[pos]
    if char == '{':
        pos += 1
        pos = _JSON_WS.match(text, pos).end()
        if text[pos:pos + 1] == '}':
            return pos + 1
        while True:
            pos = _JSON_WS.match(text, pos).end()
            match = _JSON_STR.match(text, pos)
            if not match:
                raise _JsonError('expected a key at offset %d' % pos)
            key = _js_string(match.group(0))
            pos = _JSON_WS.match(text, match.end()).end()
            if text[pos:pos + 1] != ':':
                raise _JsonError('expected : at offset %d' % pos)
            pos = _json_value(text, pos + 1, path + (key,), found)
            pos = _JSON_WS.match(text, pos).end()
            if text[pos:pos + 1] == ',':
                pos += 1
                continue
            if text[pos:pos + 1] == '}':
                return pos + 1
            raise _JsonError('expected , or } at offset %d' % pos)
    if char == '[':
        pos += 1
        pos = _JSON_WS.match(text, pos).end()
        if text[pos:pos + 1] == ']':
            return pos + 1
        index = 0
        while True:
            pos = _json_value(text, pos, path + (index,), found)
            pos = _JSON_WS.match(text, pos).end()
            index += 1
            if text[pos:pos + 1] == ',':
                pos += 1
                continue
            if text[pos:pos + 1] == ']':
                return pos + 1
            raise _JsonError('expected , or ] at offset %d' % pos)
    if char == '"':
        match = _JSON_STR.match(text, pos)
        if not match:
            raise _JsonError('unterminated string')
        found[path] = (_js_string(match.group(0)), match.start(), match.end())
        return match.end()
    for literal, value in (('true', True), ('false', False), ('null', None)):
        if text.startswith(literal, pos):
            found[path] = (value, pos, pos + len(literal))
            return pos + len(literal)
    match = _JSON_NUM.match(text, pos)
    if match and match.end() > pos:
        found[path] = (match.group(0), pos, match.end())
        return match.end()
    raise _JsonError('unexpected character at offset %d' % pos)


def parse_policies(text):
    parsed = Parsed('thunderbird_policies', text)
    found = {}
    try:
        start = 1 if text.startswith('\ufeff') else 0
        end = _json_value(text, start, (), found)
        if text[end:].strip():
            raise _JsonError('trailing data after the JSON document')
    except _JsonError as exc:
        parsed.errors.append('not valid JSON: %s' % exc)
        return parsed
    policies = {}
    for key in ('SSLVersionMin', 'SSLVersionMax'):
        item = found.get(('policies', key))
        if item is not None:
            policies[key] = {'value': item[0], 'span': (item[1], item[2]), 'line': parsed.line_of(item[1])}
    parsed.extra['policies'] = policies
    parsed.extra['range'] = {
        'min': POLICY_VERSIONS.get(str(policies.get('SSLVersionMin', {}).get('value', '')).lower()),
        'max': POLICY_VERSIONS.get(str(policies.get('SSLVersionMax', {}).get('value', '')).lower()),
    }
    return parsed


def plan_policies(parsed, options):
    minimum = options['min_protocol']
    edits = []
    policies = parsed.extra.get('policies', {})
    rng = parsed.extra.get('range', {})
    item = policies.get('SSLVersionMin')
    if item is not None and rng.get('min') and below(rng['min'], minimum):
        new = POLICY_NAME_OF[minimum]
        edits.append(Edit(item['span'][0], item['span'][1], '"%s"' % new, item['line'], 'SSLVersionMin %s -> %s' % (item['value'], new)))
    item = policies.get('SSLVersionMax')
    if item is not None and rng.get('max') and below(rng['max'], minimum):
        edits.append(Edit(item['span'][0], item['span'][1], '"tls1.3"', item['line'], 'SSLVersionMax %s -> tls1.3' % item['value']))
    return edits


def parse_profiles_ini(text):
    """Thunderbird profiles.ini: every [Profile*] with Path and IsRelative."""
    parsed = Parsed('thunderbird_profiles', text)
    sections = parse_ini(parsed, ())
    profiles = []
    for sec in sections:
        if not sec['name'].lower().startswith('profile'):
            continue
        path = _ini_get(sec, 'path')
        if path is None:
            continue
        rel = _ini_get(sec, 'isrelative')
        name = _ini_get(sec, 'name')
        profiles.append({'section': sec['name'], 'name': name['value'] if name else sec['name'], 'path': path['value'],
                         'relative': rel is not None and rel['value'].strip() == '1', 'line': path['line']})
    parsed.extra['profiles'] = profiles
    return parsed


# ---------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------

EDITABLE = ('fetchmail', 'mutt', 'neomutt', 'mbsync', 'offlineimap', 'getmail', 'msmtp', 'imapfilter', 'curl',
            'thunderbird_prefs', 'thunderbird_user', 'thunderbird_policies')


def parse(fmt, text, context=None):
    context = context or {}
    if fmt == 'fetchmail':
        return parse_fetchmail(text)
    if fmt in ('mutt', 'neomutt'):
        return parse_mutt(text, fmt, context.get('mutt_defaults_modern'))
    if fmt == 'mbsync':
        return parse_mbsync(text, context.get('mbsync_version'))
    if fmt == 'offlineimap':
        return parse_offlineimap(text)
    if fmt == 'getmail':
        return parse_getmail(text)
    if fmt == 'msmtp':
        return parse_msmtp(text, context.get('msmtp_library', 'gnutls'))
    if fmt == 'imapfilter':
        return parse_imapfilter(text)
    if fmt == 'curl':
        return parse_curlrc(text)
    if fmt in ('thunderbird_prefs', 'thunderbird_user'):
        return parse_prefs(text, fmt)
    if fmt == 'thunderbird_policies':
        return parse_policies(text)
    if fmt == 'thunderbird_profiles':
        return parse_profiles_ini(text)
    raise ValueError('unknown format %s' % fmt)


_PLANNERS = {
    'fetchmail': plan_fetchmail, 'mutt': plan_mutt, 'neomutt': plan_mutt, 'mbsync': plan_mbsync, 'offlineimap': plan_offlineimap,
    'getmail': plan_getmail, 'msmtp': plan_msmtp, 'imapfilter': plan_imapfilter, 'curl': plan_curlrc,
    'thunderbird_prefs': plan_prefs, 'thunderbird_user': plan_prefs, 'thunderbird_policies': plan_policies,
}


def plan_edits(parsed, options):
    planner = _PLANNERS.get(parsed.fmt)
    if planner is None or not parsed.ok:
        return []
    return planner(parsed, options)
