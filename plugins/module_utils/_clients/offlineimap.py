# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: offlineimap / offlineimap3 (~/.offlineimaprc): reader, editor and descriptor.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._ini import (
    ini_password, ini_sections, inspect_python, plan_ini, python_bounds)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    LABELS,
    PROTOS,
    _ini_get,
    fin,
    new_entry,
    server,
    set_versions,
    versions_from_range)

# imaplib2: ssl_version -> fixed-version method, and which values each tls_level accepts.
OI_PINS = {'ssl3': 'ssl3', 'tls1': 'tls1_0', 'tls1_1': 'tls1_1', 'tls1_2': 'tls1_2'}
_OI_METHOD = {'ssl3': 'SSLv3', 'tls1': 'TLSv1', 'tls1_1': 'TLSv1_1', 'tls1_2': 'TLSv1_2'}
_TLS_LEVELS = {
    'tls_secure': ('tls1_2', 'tls1_1'),
    'tls_no_ssl': ('tls1_2', 'tls1_1', 'tls1'),
    'tls_compat': ('tls1_2', 'tls1_1', 'tls1', 'ssl23', None, 'ssl3'),
}
# There is no TLS 1.3-only value: PROTOCOL_TLSv1_2 (exactly TLS 1.2) is the fix for a TLS 1.2 minimum.
OI_TARGET = {'tls1_2': 'tls1_2'}
_OI_SECRETS = ('remotepass', 'oauth2_client_secret', 'oauth2_refresh_token', 'oauth2_access_token', 'remotepasseval')


def parse_offlineimap(text):
    parsed, sections = ini_sections('offlineimap', text, _OI_SECRETS)
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
        else:
            _offlineimap_versions(entry, sec, version, level)
        ini_password(entry, sec, 'remotepass')
        mechs = _ini_get(sec, 'auth_mechanisms')
        oauth = any(k.startswith('oauth2_') for k in sec['keys']) or (mechs and 'XOAUTH2' in mechs['value'].upper())
        entry['auth'] = 'oauth' if oauth else 'password'
        parsed.entries.append(entry)
    return parsed


def _offlineimap_versions(entry, sec, version, level):
    """What imaplib2 does with ssl_version and tls_level (its TLS_MAP): a fixed-version method, the library, or an error."""
    lev = level['value'].strip().lower() if level else 'tls_compat'
    value = version['value'].strip().lower() if version else None
    ev = [fin(version['line'] if version else sec['line'], 'ssl_version', version['value'] if version else None, None if version else 'not set')]
    if level:
        ev.append(fin(level['line'], 'tls_level', level['value']))
    allowed = _TLS_LEVELS.get(lev)
    if allowed is None or value not in allowed:
        entry['ssl_version_fixable'] = version is not None
        why = ('tls_level %s is unknown' % lev) if allowed is None else \
            ("ssl_version %s is not accepted with tls_level %s (offlineimap stops with an error)" % (value, lev) if value else
             "tls_level %s needs ssl_version set (offlineimap stops with an error)" % lev)
        set_versions(entry, dict((p, 'off') for p in PROTOS), why, ev)
        return
    proto = OI_PINS.get(value)
    if proto:
        entry['ssl_version_fixable'] = True
        set_versions(entry, versions_from_range(proto, proto), 'ssl_version = %s: ssl.PROTOCOL_%s, exactly %s' % (value, _OI_METHOD[value], LABELS[proto]), ev)
        return
    set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                 'ssl_version %s: ssl.PROTOCOL_SSLv23, Python ssl and the OpenSSL policy decide' % (value or 'not set'), ev)


def plan_offlineimap(parsed, options):
    target = OI_TARGET.get(options['min_protocol'])
    return plan_ini(parsed, options, target, 'remotehost')


def _parse(text, context):
    return python_bounds(parse_offlineimap(text), OI_PINS, 'offlineimap')


def detect_offlineimap(path, text):
    return 'offlineimap' if re.search(r'^\s*\[Repository\s', text, re.M) else None


DESCRIPTOR = Descriptor(
    name='offlineimap',
    formats={'offlineimap': _parse},
    user_files=(('offlineimap', '.offlineimaprc'), ('offlineimap', '.config/offlineimap/config')),
    binaries=('offlineimap', 'offlineimap3'),
    library='openssl',
    inspect=inspect_python,
    secret_keys=_OI_SECRETS,
    bounds_doc='offlineimap3 (imaplib2) maps ssl_version tls1/tls1_1/tls1_2 to ssl.PROTOCOL_TLSv1... (a fixed-version method: the '
               'bounds are set in code, OpenSSL MinProtocol does not bind it); without ssl_version it uses PROTOCOL_SSLv23 '
               'and the OpenSSL system policy decides.  There is no tls1_3 value.',
    plan=plan_offlineimap,
    detect=detect_offlineimap,
    oauth_help='auth_mechanisms = XOAUTH2 with oauth2_request_url, oauth2_client_id and oauth2_refresh_token (or oauth2_access_token_eval)',
    password_help='use remotepasseval or remotepassfile (mode 0600), or the keyring',
)
