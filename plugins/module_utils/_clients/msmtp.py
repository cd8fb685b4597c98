# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: msmtp (~/.msmtprc, /etc/msmtprc): reader, editor and descriptor.

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
    below,
    fin,
    new_entry,
    server,
    set_versions)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


_MS_LINE = lazy_re(r'^([ \t]*)([a-z_]+)(?:[ \t]+(.*?))?[ \t]*\r?$')
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
        if needs_change(entry, options) and library == 'gnutls':
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


def inspect_msmtp(binary, run):
    out = run([binary, '--version']) or ''
    info = {}
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', out.splitlines()[0] if out else '')
    if match:
        info['version'] = tuple(int(g) for g in match.groups() if g is not None)
    match = re.search(r'TLS/SSL library:\s*(\S+)', out)
    if match:
        lib = {'gnutls': 'gnutls', 'openssl': 'openssl', 'libtls': 'libtls'}.get(match.group(1).lower())
        if lib:
            info['library'], info['library_source'] = lib, '%s --version: TLS/SSL library: %s' % (binary, match.group(1))
    return info


def _context(toolbox):
    return {'msmtp_library': toolbox.info('msmtp').get('library') or 'gnutls'}


def _parse(text, context):
    parsed = parse_msmtp(text, context.get('msmtp_library', 'gnutls'))
    for entry in parsed.entries:
        # tls_priorities goes to gnutls_priority_set_direct (only [overrides] bind it); without it msmtp
        # takes the library's default priorities, i.e. the system policy.
        prio = entry.get('prio')
        entry['bounds'] = 'own' if prio is not None and prio[0]['value'].strip() else 'library'
        entry['program'] = 'msmtp'
    return parsed


def _plan(parsed, options):
    return plan_msmtp(parsed, options)


def detect_msmtp(path, text):
    if re.search(r'^\s*account\s+\S+', text, re.M) and re.search(r'^\s*host\s+\S+', text, re.M):
        return 'msmtp'
    return None


DESCRIPTOR = Descriptor(
    name='msmtp',
    formats={'msmtp': _parse},
    user_files=(('msmtp', '.msmtprc'), ('msmtp', '.config/msmtp/config')),
    system_files=(('msmtp', '/etc/msmtprc'),),
    binaries=('msmtp',),
    library='gnutls',
    inspect=inspect_msmtp,
    secret_keys=('password', 'passwordeval'),
    bounds_doc='msmtp passes tls_priorities to GnuTLS as its own priority string (only [overrides] bind it); without '
               'tls_priorities the GnuTLS default priorities, i.e. the system policy, decide.',
    plan=_plan,
    detect=detect_msmtp,
    context=_context,
    oauth_help='auth xoauth2 (or oauthbearer) with passwordeval printing an access token',
    password_help='use passwordeval or the keyring',
)
