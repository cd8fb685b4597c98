# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: imapfilter (~/.imapfilter/config.lua): reader, editor and descriptor.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    PROTOS,
    Parsed,
    _endpoint_edits,
    fin,
    new_entry,
    server,
    set_versions)
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


_IF_ACCOUNT = lazy_re(r'IMAP\s*\{', re.S)
_IF_FIELD = lazy_re(r'''\b(server|port|ssl|password|username|oauth2)\s*=\s*'''
                    r'''("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\[\[.*?\]\]|[0-9]+|[A-Za-z_][A-Za-z0-9_.]*)''', re.S)


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
            # 2.8: the value only turns TLS on; the version is negotiated (not a pin, nothing to fix here).
            set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                         "ssl = '%s' turns TLS on; the version is negotiated within the OpenSSL policy" % ssl_field['value'],
                         [fin(ssl_field['line'], 'ssl', ssl_field['value'])])
        else:
            set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                         'no ssl field: STARTTLS when offered, the OpenSSL policy decides', [])
        if 'password' in fields and fields['password']['value']:
            entry['passwords'].append({'line': fields['password']['line'], 'key': 'password'})
        entry['auth'] = 'oauth' if 'oauth2' in fields else 'password'
        parsed.entries.append(entry)
    return parsed


def plan_imapfilter(parsed, options):
    """Only the closing endpoints can be moved: imapfilter's ssl value is no version pin, the OpenSSL policy decides."""
    edits = []
    if options.get('move_legacy_endpoints'):
        for entry in parsed.entries:
            edits.extend(_endpoint_edits(parsed, entry, 'server', requote=True))
    return edits


def inspect_imapfilter(binary, run):
    match = re.search(r'IMAPFilter (\d+)\.(\d+)(?:\.(\d+))?', run([binary, '-V']) or '')
    return {'version': tuple(int(g) for g in match.groups() if g is not None)} if match else {}


def _context(toolbox):
    return {'imapfilter_version': toolbox.info('imapfilter').get('version')}


def _parse(text, context):
    parsed = parse_imapfilter(text)
    for entry in parsed.entries:
        entry['bounds'] = 'library'
        entry['program'] = 'imapfilter'
    return parsed


DESCRIPTOR = Descriptor(
    name='imapfilter',
    formats={'imapfilter': _parse},
    user_files=(('imapfilter', '.imapfilter/config.lua'), ('imapfilter', '.config/imapfilter/config.lua')),
    binaries=('imapfilter',),
    library='openssl',
    inspect=inspect_imapfilter,
    secret_keys=('password', 'oauth2'),
    bounds_doc="imapfilter 2.8 takes any ssl = '...' value only as 'use TLS'; the version is negotiated within the OpenSSL "
               "system policy (measured: ssl = 'tls1.2' still reaches a TLS 1.0 server under the stock policy).",
    plan=plan_imapfilter,
    context=_context,
    oauth_help='recent imapfilter versions take an access token in the oauth2 field of IMAP{} (check the installed version)',
    password_help='read the password from a protected file or prompt for it',
)
