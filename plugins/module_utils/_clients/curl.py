# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: curl (~/.curlrc): reader, editor and descriptor.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    Edit,
    LABELS,
    MARKER,
    PROTOS,
    Parsed,
    _append_block,
    _endpoint_edits,
    _requote,
    _split_lines,
    below,
    fin,
    new_entry,
    rank,
    server,
    set_versions)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


_CURL_LINE = lazy_re(r'^([ \t]*)(--?)?([A-Za-z0-9][A-Za-z0-9.\-]*)(?:([ \t]*[=:][ \t]*|[ \t]+)(.*?))?[ \t]*\r?$')
_CURL_MIN = {'tlsv1': 'tls1_0', 'tlsv1.0': 'tls1_0', '1': 'tls1_0', 'tlsv1.1': 'tls1_1', 'tlsv1.2': 'tls1_2', 'tlsv1.3': 'tls1_3',
             'sslv3': 'ssl3', '3': 'ssl3', 'sslv2': 'ssl3', '2': 'ssl3'}
_CURL_MAX = {'1.0': 'tls1_0', '1.1': 'tls1_1', '1.2': 'tls1_2', '1.3': 'tls1_3', 'default': 'tls1_3'}
_CURL_URL = lazy_re(r'''\b(imaps?|pop3s?|smtps?)://([^\s'"/@]*@)?(\[[^\]]+\]|[A-Za-z0-9.\-_]+)(?::(\d+))?''', re.I)
_CURL_SECRET = lazy_re(r'''^[ \t]*(?:--?)?(?:user|u|oauth2-bearer|proxy-user|U)(?:[ \t]*[=:][ \t]*|[ \t]+)("(?:\\.|[^"\\])*"|\S+)''', re.M)


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
        if not needs_change(entry, options):
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


def inspect_curl(binary, run):
    out = run([binary, '--version']) or ''
    info = {}
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', out.split(' ', 2)[1] if out.count(' ') >= 2 else '')
    if match:
        info['version'] = tuple(int(g) for g in match.groups() if g is not None)
    first = out.splitlines()[0] if out else ''
    for token, lib in (('OpenSSL', 'openssl'), ('GnuTLS', 'gnutls'), ('NSS', 'nss')):
        if token in first:
            info['library'], info['library_source'] = lib, '%s --version: %s' % (binary, token)
            break
    return info


def _parse(text, context):
    parsed = parse_curlrc(text)
    for entry in parsed.entries:
        # --tlsv1.x calls SSL_CTX_set_min_proto_version: own bounds; without it the OpenSSL policy decides.
        entry['bounds'] = 'own' if entry.get('low') is not None else 'library'
        entry['program'] = 'curl'
    return parsed


DESCRIPTOR = Descriptor(
    name='curl',
    formats={'curl': _parse},
    user_files=(('curl', '.curlrc'), ('curl', '.config/curlrc')),
    binaries=('curl',),
    library='openssl',
    inspect=inspect_curl,
    secret_keys=('user', 'oauth2-bearer', 'proxy-user'),
    bounds_doc='curl --tlsv1.0 (any --tlsv1.x) sets the minimum in code and overrides OpenSSL MinProtocol (measured: TLS 1.0 '
               'to an RSA key exchange server after MinProtocol = TLSv1.2); without it curl 7.88 follows the system policy.',
    plan=plan_curlrc,
    oauth_help='--oauth2-bearer with an access token',
    password_help='use --netrc-file with mode 0600',
)
