# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: getmail6 (~/.getmail/getmailrc*): reader, editor and descriptor.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._ini import (
    ini_password, ini_pinned_version, ini_sections, inspect_python, plan_ini, python_bounds)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    PROTOS,
    _DEFAULT_PORTS,
    _ini_get,
    fin,
    new_entry,
    server,
    set_versions)


# getmail6 (utilities.check_ssl_version): these values select ssl.PROTOCOL_SSLv3/TLSv1/TLSv1_1/TLSv1_2, a
# fixed-version method; sslv23 selects PROTOCOL_SSLv23; anything else is a configuration error.
_GM_VERSIONS = {'sslv3': 'ssl3', 'tlsv1': 'tls1_0', 'tlsv1_1': 'tls1_1', 'tlsv1_2': 'tls1_2'}
GM_TARGET = {'tls1_2': 'tlsv1_2'}


def parse_getmail(text):
    parsed, sections = ini_sections('getmail', text, ('password',))
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
        elif ini_pinned_version(entry, version, _GM_VERSIONS):
            entry['settings']['ssl_version'] = version['value']
            entry['ssl_version_fixable'] = True
        elif version is not None and version['value'].strip().lower() != 'sslv23':
            entry['settings']['ssl_version'] = version['value']
            entry['ssl_version_fixable'] = True
            set_versions(entry, dict((p, 'off') for p in PROTOS), 'ssl_version %s is not a value getmail accepts (it stops with a '
                         'configuration error)' % version['value'], [fin(version['line'], 'ssl_version', version['value'])])
        else:
            set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                         'no ssl_version: ssl.PROTOCOL_TLS, Python ssl and the OpenSSL policy decide',
                         [fin(sec['line'], 'ssl_version', None, 'not set')])
        ini_password(entry, sec, 'password')
        xo = _ini_get(sec, 'use_xoauth2')
        entry['auth'] = 'oauth' if xo is not None and xo['value'].lower() in ('true', 'yes', '1') else 'password'
        parsed.entries.append(entry)
    return parsed


def plan_getmail(parsed, options):
    return plan_ini(parsed, options, GM_TARGET.get(options['min_protocol']), 'server')


def _parse(text, context):
    return python_bounds(parse_getmail(text), _GM_VERSIONS, 'getmail')


def detect_getmail(path, text):
    return 'getmail' if re.search(r'^\s*\[retriever\]', text, re.M) else None


DESCRIPTOR = Descriptor(
    name='getmail',
    formats={'getmail': _parse},
    # getmailrc* never matches a backup: backups live in the .mailtls-backup directory next to the file.
    user_files=(('getmail', '.getmail/getmailrc*'), ('getmail', '.config/getmail/getmailrc*')),
    binaries=('getmail', 'getmail6'),
    library='openssl',
    inspect=inspect_python,
    secret_keys=('password',),
    bounds_doc='getmail6 maps ssl_version tlsv1/tlsv1_1/tlsv1_2 to ssl.PROTOCOL_TLSv1... (fixed-version methods: the bounds are '
               'set in code); without ssl_version it uses ssl.PROTOCOL_TLS and the OpenSSL system policy decides.',
    plan=plan_getmail,
    detect=detect_getmail,
    oauth_help='use_xoauth2 = True with password_command printing an access token (getmail-gmail-xoauth-tokens style helper)',
    password_help='use password_command',
)
