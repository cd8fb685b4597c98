# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the small relays (ssmtp, nullmailer, dma): readers and report-only descriptors.

None of them has a setting for the TLS protocol version: each asks its library
for its default method, so the system policy of that library decides (Debian:
ssmtp and nullmailer link GnuTLS, dma links OpenSSL; ``ldd`` says for the
installed build).  The inventory reports where they relay to, whether TLS is on,
and where their SMTP AUTH password lives (by location, never by value), so
basic SMTP AUTH to Exchange Online shows up.  There is nothing for
``mail_client_tls`` to edit: ``system_tls`` is their fix.  msmtp-mta is msmtp
with ``/etc/msmtprc`` (the msmtp descriptor reads it).

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    PROTOS,
    Parsed,
    _split_lines,
    fin,
    new_entry,
    server)

_LIB_REASON = 'no protocol setting: the %s defaults and system policy decide'


def _library_versions(entry, library, line, key):
    ev = [fin(line, key, None, 'the program has no TLS version setting')]
    for proto in PROTOS:
        entry['versions'][proto] = ('lib', _LIB_REASON % library, ev)
    entry['bounds'] = 'library'


def _yes(value):
    return (value or '').strip().lower() in ('yes', 'true', 'on', '1')


def parse_ssmtp(text, context=None):
    """/etc/ssmtp/ssmtp.conf: ``mailhub``, ``UseTLS``, ``UseSTARTTLS``, ``AuthUser``/``AuthPass``."""
    parsed = Parsed('ssmtp', text)
    keys = {}
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        match = re.match(r'^[ \t]*([A-Za-z_]+)[ \t]*=[ \t]*(.*?)[ \t]*\r?$', raw)
        if not match:
            continue
        keys[match.group(1).lower()] = {'value': match.group(2), 'line': parsed.line_of(start)}
        if match.group(1).lower() == 'authpass' and match.group(2):
            parsed.secrets.append((start + match.start(2), start + match.end(2)))
    entry = new_entry('ssmtp', keys.get('mailhub', {}).get('line', 1))
    entry['program'] = 'ssmtp'
    hub = keys.get('mailhub', {}).get('value', 'mail')
    host, unused, port = hub.partition(':')
    tls = _yes(keys.get('usetls', {}).get('value'))
    starttls = _yes(keys.get('usestarttls', {}).get('value'))
    mode = 'starttls' if starttls else ('implicit' if tls else 'plain')
    entry['servers'].append(server(host, int(port) if port.isdigit() else (465 if mode == 'implicit' else 25), 'smtp', mode,
                                   keys.get('mailhub', {}).get('line')))
    entry['settings'] = {'mailhub': hub, 'UseTLS': tls, 'UseSTARTTLS': starttls}
    library = (context or {}).get('ssmtp_library', 'gnutls')
    if mode == 'plain':
        entry['plain'] = True
        for proto in PROTOS:
            entry['versions'][proto] = ('off', 'UseTLS and UseSTARTTLS are off: no TLS', [fin(None, 'UseTLS', None, 'not YES')])
    else:
        _library_versions(entry, library, keys.get('usetls', keys.get('usestarttls', {})).get('line'), 'UseTLS')
    if keys.get('authpass', {}).get('value'):
        entry['auth'] = 'password'
        entry['passwords'].append({'line': keys['authpass']['line'], 'key': 'AuthPass'})
    else:
        entry['auth'] = 'none'
    parsed.entries.append(entry)
    return parsed


def parse_nullmailer(text, context=None):
    """/etc/nullmailer/remotes: ``host protocol [--port=N] [--starttls|--ssl] [--user=U] [--pass=P]`` per line."""
    parsed = Parsed('nullmailer', text)
    library = (context or {}).get('nullmailer_library', 'gnutls')
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        parts = stripped.split()
        line = parsed.line_of(start)
        for match in re.finditer(r'--pass(?:word)?=(\S+)', raw):
            parsed.secrets.append((start + match.start(1), start + match.end(1)))
        options = dict((p[2:].split('=', 1) + [''])[:2] for p in parts[2:] if p.startswith('--'))
        mode = 'implicit' if 'ssl' in options else ('starttls' if 'starttls' in options else 'plain')
        port = options.get('port')
        entry = new_entry('remote %s' % parts[0], line)
        entry['program'] = 'nullmailer'
        entry['servers'].append(server(parts[0], int(port) if port and port.isdigit() else (465 if mode == 'implicit' else 25),
                                       parts[1] if len(parts) > 1 else 'smtp', mode, line))
        entry['settings'] = {'protocol': parts[1] if len(parts) > 1 else None, 'tls': mode, 'insecure': 'insecure' in options}
        if mode == 'plain':
            entry['plain'] = True
            for proto in PROTOS:
                entry['versions'][proto] = ('off', 'neither --ssl nor --starttls: no TLS', [fin(line, 'remote', parts[0])])
        else:
            _library_versions(entry, library, line, '--%s' % ('ssl' if mode == 'implicit' else 'starttls'))
        if options.get('pass') or options.get('password'):
            entry['auth'] = 'password'
            entry['passwords'].append({'line': line, 'key': '--pass'})
        else:
            entry['auth'] = 'none'
        parsed.entries.append(entry)
    return parsed


def parse_dma(text, context=None):
    """/etc/dma/dma.conf: ``SMARTHOST``, ``PORT``, ``SECURETRANSFER``, ``STARTTLS``, ``OPPORTUNISTIC_TLS``, ``AUTHPATH``."""
    parsed = Parsed('dma', text)
    keys = {}
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        parts = stripped.split(None, 1)
        keys[parts[0].upper()] = {'value': parts[1].strip() if len(parts) > 1 else '', 'line': parsed.line_of(start)}
    if 'SMARTHOST' not in keys:
        return parsed  # direct delivery by MX: no relay to report
    secure = 'SECURETRANSFER' in keys
    starttls = 'STARTTLS' in keys
    mode = ('starttls' if starttls else 'implicit') if secure else 'plain'
    port = keys.get('PORT', {}).get('value')
    entry = new_entry('dma', keys['SMARTHOST']['line'])
    entry['program'] = 'dma'
    entry['servers'].append(server(keys['SMARTHOST']['value'], int(port) if port and port.isdigit() else 25, 'smtp', mode,
                                   keys['SMARTHOST']['line']))
    entry['settings'] = {'securetransfer': secure, 'starttls': starttls, 'opportunistic_tls': 'OPPORTUNISTIC_TLS' in keys}
    library = (context or {}).get('dma_library', 'openssl')
    if mode == 'plain':
        entry['plain'] = True
        for proto in PROTOS:
            entry['versions'][proto] = ('off', 'SECURETRANSFER is not set: no TLS', [fin(None, 'SECURETRANSFER', None, 'not set')])
    else:
        _library_versions(entry, library, keys['SECURETRANSFER']['line'], 'SECURETRANSFER')
        if 'OPPORTUNISTIC_TLS' in keys:
            entry['notes'].append('OPPORTUNISTIC_TLS: a failed handshake is retried in the clear')
    if 'AUTHPATH' in keys:
        entry['auth'] = 'password'
        entry['passwords'].append({'line': keys['AUTHPATH']['line'], 'key': 'AUTHPATH %s' % keys['AUTHPATH']['value']})
    else:
        entry['auth'] = 'none'
    parsed.entries.append(entry)
    return parsed


def _context_for(name, library):
    def context(toolbox):
        info = toolbox.info(name)
        return {'%s_library' % name: info.get('library') or library}
    return context


SSMTP = Descriptor(
    name='ssmtp', formats={'ssmtp': parse_ssmtp}, editable=(), system_files=(('ssmtp', '/etc/ssmtp/ssmtp.conf'),),
    binaries=('ssmtp',), library='gnutls', secret_keys=('AuthPass',), context=_context_for('ssmtp', 'gnutls'), report_only=True,
    bounds_doc='ssmtp has no protocol setting; its TLS library (GnuTLS on Debian) and that library\'s system policy decide.',
    password_help='AuthPass in ssmtp.conf is basic SMTP AUTH, which Microsoft is retiring for Exchange Online')
NULLMAILER = Descriptor(
    name='nullmailer', formats={'nullmailer': parse_nullmailer}, editable=(),
    system_files=(('nullmailer', '/etc/nullmailer/remotes'),), binaries=('nullmailer-send',), library='gnutls',
    secret_keys=('--pass',), context=_context_for('nullmailer', 'gnutls'), report_only=True,
    bounds_doc='nullmailer has no protocol setting; GnuTLS and its system policy decide.',
    password_help='--pass in nullmailer remotes is basic SMTP AUTH, which Microsoft is retiring for Exchange Online')
DMA = Descriptor(
    name='dma', formats={'dma': parse_dma}, editable=(), system_files=(('dma', '/etc/dma/dma.conf'),),
    binaries=('dma',), library='openssl', context=_context_for('dma', 'openssl'), report_only=True,
    bounds_doc='dma has no protocol setting; OpenSSL and its system policy decide.',
    password_help='the AUTHPATH file of dma holds basic SMTP AUTH passwords, which Microsoft is retiring for Exchange Online')
DESCRIPTORS = (SSMTP, NULLMAILER, DMA)
DESCRIPTOR = SSMTP
