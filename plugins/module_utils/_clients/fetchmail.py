# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: fetchmail (~/.fetchmailrc): reader, editor and descriptor.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    Edit,
    PROTOS,
    Parsed,
    _endpoint_edits,
    fin,
    new_entry,
    server,
    set_versions,
    versions_from_range)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


_FM_TOKEN = lazy_re(r'''\s+|#[^\n]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[,;:]|[^\s"',;:#]+[^\s"',;:]*''', re.S)
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
                set_versions(entry, versions_from_range('tls1_0', 'tls1_3'),
                             "sslproto '' with ssl: fetchmail sets TLS 1.0 to TLS 1.3 itself", ev)
        elif value in _FM_PROTO:
            low, high = _FM_PROTO[value]
            reason = "sslproto '%s' %s" % (value, 'pins exactly this version' if '+' not in value else 'sets the minimum')
            set_versions(entry, versions_from_range(low, high), reason, ev)
        else:
            set_versions(entry, versions_from_range('tls1_0', 'tls1_3'),
                         "sslproto '%s' means auto: fetchmail sets TLS 1.0 to TLS 1.3 itself" % value, ev)
    else:
        set_versions(entry, versions_from_range('tls1_0', 'tls1_3'),
                     'no sslproto: fetchmail 6.4 sets TLS 1.0 to TLS 1.3 itself (auto)',
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
        if needs_change(entry, options):
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


def _parse(text, context):
    parsed = parse_fetchmail(text)
    for index, entry in enumerate(parsed.entries):
        entry['bounds'] = 'own'
        # the poll name is the server and may be edited (move_legacy_endpoints): the login names the account
        login = _fm_value(entry, 'user') or _fm_value(entry, 'username')
        entry['key_name'] = ('poll user %s' % _unquote(login[1][2])) if login else ('poll %d' % index)
        entry['program'] = 'fetchmail'
    return parsed


def _plan(parsed, options):
    return plan_fetchmail(parsed, options)


DESCRIPTOR = Descriptor(
    name='fetchmail',
    formats={'fetchmail': _parse},
    user_files=(('fetchmail', '.fetchmailrc'),),
    system_files=(('fetchmail', '/etc/fetchmailrc'),),
    binaries=('fetchmail',),
    library='openssl',
    secret_keys=_FM_SECRET_KEYS,
    bounds_doc="fetchmail 6.4 sets its protocol bounds in code from sslproto (auto: TLS 1.0 up to TLS 1.3), so OpenSSL's "
               "MinProtocol does not bind it; with no sslproto it still logs in over TLS 1.0 to a server with RSA key exchange.",
    plan=_plan,
    oauth_help="fetchmail 7 (and distribution builds of 6.4/6.5 carrying the OAUTHBEARER patch, e.g. openSUSE) accept "
               "'auth oauthbearer' for IMAP (falling back to XOAUTH2) with an access token as the password (passwordfile); "
               "Debian's fetchmail 6.4 has no OAuth2, use mbsync or offlineimap for Exchange Online instead",
    password_help='let fetchmail prompt, use ~/.netrc with mode 0600, or passwordfile where supported',
)
