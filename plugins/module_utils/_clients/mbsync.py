# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: isync/mbsync (~/.mbsyncrc; 1.4 SSLType/SSLVersions, 1.5 TLSType/TLSVersions): reader, editor and descriptor.

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
    _insert_line_after,
    _split_lines,
    fin,
    new_entry,
    server,
    set_versions)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


_MB_LINE = lazy_re(r'^([ \t]*)([A-Za-z][A-Za-z0-9]*)(?:([ \t]+)(.*?))?[ \t]*\r?$')
_MB_SECTIONS = ('imapaccount', 'imapstore', 'maildirstore', 'channel', 'group', 'mailboxstore')
_MB14 = {'sslv3': 'ssl3', 'tlsv1': 'tls1_0', 'tlsv1.1': 'tls1_1', 'tlsv1.2': 'tls1_2', 'tlsv1.3': 'tls1_3'}
_MB15 = {'1.0': 'tls1_0', '1.1': 'tls1_1', '1.2': 'tls1_2', '1.3': 'tls1_3'}


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
        if needs_change(entry, options):
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


def inspect_mbsync(binary, run):
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', run([binary, '--version']) or '')
    return {'version': tuple(int(g) for g in match.groups() if g is not None)} if match else {}


def _context(toolbox):
    return {'mbsync_version': toolbox.info('mbsync').get('version')}


def _parse(text, context):
    parsed = parse_mbsync(text, context.get('mbsync_version'))
    for entry in parsed.entries:
        # SSLVersions / TLSVersions switch versions off (SSL_OP_NO_*): the OpenSSL minimum still applies.
        entry['bounds'] = 'library'
        entry['program'] = 'mbsync'
    return parsed


def _plan(parsed, options):
    return plan_mbsync(parsed, options)


def detect_mbsync(path, text):
    return 'mbsync' if re.search(r'^\s*(IMAPAccount|IMAPStore|MaildirStore)\s+\S', text, re.M) else None


DESCRIPTOR = Descriptor(
    name='mbsync',
    formats={'mbsync': _parse},
    user_files=(('mbsync', '.mbsyncrc'), ('mbsync', '.config/isyncrc'), ('mbsync', '.config/mbsync/config')),
    binaries=('mbsync',),
    library='openssl',
    inspect=inspect_mbsync,
    secret_keys=('pass',),
    bounds_doc='isync 1.4 turns the versions not listed in SSLVersions off with SSL_OP_NO_*; OpenSSL MinProtocol still applies, '
               'so mbsync follows the system minimum.',
    plan=_plan,
    detect=detect_mbsync,
    context=_context,
    oauth_help='AuthMechs XOAUTH2 with the cyrus-sasl-xoauth2 SASL plugin and PassCmd printing an access token',
    password_help='use PassCmd with a password manager',
)
