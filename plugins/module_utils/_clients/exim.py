# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Exim 4 as an SMTP client (its smtp transports): reader, editor and descriptor.

Files: a hand-written ``/etc/exim4/exim4.conf``, Debian's unsplit template
``/etc/exim4/exim4.conf.template`` and its split configuration
(``/etc/exim4/conf.d/transport/*``, fragments without ``begin`` lines).
``update-exim4.conf.conf`` names the smarthost (``dc_smarthost``) and the
configuration type; Debian's ``passwd.client`` holds the SMTP AUTH passwords
(only its host column is read, never a password).

What bounds the protocol of a transport with ``driver = smtp``:

* Debian builds Exim with GnuTLS: ``tls_require_ciphers`` is a GnuTLS
  priority string set by Exim itself; without it Exim uses GnuTLS's normal
  priorities.  Either way GnuTLS's ``[overrides] disabled-version`` in
  ``/etc/gnutls/config`` binds it (measured with Debian's Exim 4.96: a
  transport pinned to ``NORMAL:-VERS-ALL:+VERS-TLS1.0`` reached the TLS 1.0
  servers before ``system_tls`` and no server after).
* Builds with OpenSSL (other distributions) read ``openssl_options``
  (``+no_tlsv1`` ...) and the OpenSSL system policy; this module inventories
  them but plans edits only for GnuTLS builds.

The plan rewrites or adds ``tls_require_ciphers`` in each smtp transport that
allows a version below the minimum, keeping every other byte.  A candidate
counts only after ``exim -C CANDIDATE -bV`` accepted it (for the split
configuration: ``update-exim4.conf`` into a scratch file first).  The change
needs ``update-exim4.conf`` (Debian) and a reload of Exim: reported, never done.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import shutil
import subprocess
import tempfile

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    Edit,
    PROTOS,
    Parsed,
    _insert_line_after,
    _split_lines,
    fin,
    new_entry,
    server)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._clients.msmtp import _gnutls_fix, gnutls_priority_versions
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re

_HEADER = lazy_re(r'^([A-Za-z0-9_\-]+):[ \t]*(?:#.*)?$')
_OPTION = lazy_re(r'^([ \t]+)([a-z_0-9]+)[ \t]*=[ \t]*(.*?)[ \t]*$')
_BOOL = lazy_re(r'^([ \t]+)(no_|not_)?([a-z_0-9]+)[ \t]*$')
_MACRO = lazy_re(r'^([A-Z][A-Z0-9_]*)[ \t]*=[ \t]*(.*?)[ \t]*$')
_MAIN_OPTION = lazy_re(r'^([a-z_0-9]+)[ \t]*=[ \t]*(.*?)[ \t]*$')
_OPENSSL_OFF = {'+no_sslv3': 'ssl3', '+no_tlsv1': 'tls1_0', '+no_tlsv1_1': 'tls1_1', '+no_tlsv1_2': 'tls1_2', '+no_tlsv1_3': 'tls1_3'}
DEFAULT_PRIORITY = 'NORMAL'


def _logical_lines(text):
    """(start, end, joined text) of each logical line: a trailing backslash continues it."""
    out = []
    pending = None
    for start, end in _split_lines(text):
        raw = text[start:end].rstrip('\r')
        if pending is not None:
            pending[1] = end
            pending[2] += raw.lstrip()
        else:
            pending = [start, end, raw]
        if raw.endswith('\\'):
            pending[2] = pending[2][:-1]
            continue
        out.append(tuple(pending))
        pending = None
    if pending is not None:
        out.append(tuple(pending))
    return out


def parse_exim(text, context=None):
    """Transports (``driver = smtp`` blocks), macros and main options of an Exim configuration or fragment."""
    context = context or {}
    parsed = Parsed('exim_conf', text)
    macros = dict(context.get('exim_macros') or {})
    main = {}
    blocks = []
    section = None
    current = None
    for start, end, raw in _logical_lines(text):
        stripped = raw.strip()
        if not stripped or stripped.startswith('#') or stripped.startswith('.'):
            continue
        if stripped.startswith('begin '):
            section = stripped.split(None, 1)[1].strip()
            current = None
            continue
        if raw[:1] not in (' ', '\t'):
            header = _HEADER.match(raw)
            if header and section != 'main':
                current = {'name': header.group(1), 'line': parsed.line_of(start), 'start': start, 'last': end, 'options': {},
                           'section': section}
                blocks.append(current)
                continue
            match = _MACRO.match(raw)
            if match and section is None:
                macros[match.group(1)] = match.group(2)
                continue
            match = _MAIN_OPTION.match(raw)
            if match and section is None:
                main[match.group(1)] = {'value': match.group(2), 'line': parsed.line_of(start), 'span': (start + match.start(2), start + match.end(2))}
                current = None
                continue
            current = None
            continue
        if current is None:
            continue
        match = _OPTION.match(raw)
        if match and '\n' not in text[start:end]:
            current['options'][match.group(2)] = {'value': match.group(3), 'line': parsed.line_of(start),
                                                  'span': (start + match.start(3), start + match.end(3)), 'offset': start}
        elif match:
            current['options'][match.group(2)] = {'value': match.group(3), 'line': parsed.line_of(start), 'span': None, 'offset': start}
        else:
            flag = _BOOL.match(raw)
            if flag:
                current['options'][flag.group(3)] = {'value': 'false' if flag.group(2) else 'true', 'line': parsed.line_of(start),
                                                     'span': None, 'offset': start}
        current['last'] = end
    parsed.extra.update({'macros': macros, 'main': main, 'blocks': blocks})
    library = context.get('exim_library', 'gnutls')
    for block in blocks:
        driver = block['options'].get('driver', {}).get('value')
        if driver != 'smtp':
            continue
        parsed.entries.append(_transport_entry(parsed, block, macros, main, library, context))
    return parsed


def _expand(value, macros):
    for _unused in range(5):
        changed = False
        for name in sorted(macros, key=len, reverse=True):
            if name in value:
                value = re.sub(r'\b%s\b' % re.escape(name), macros[name], value)
                changed = True
        if not changed:
            break
    return value


def _transport_entry(parsed, block, macros, main, library, context):
    entry = new_entry('transport %s' % block['name'], block['line'])
    entry['program'] = 'Exim'
    entry['block'] = block
    options = block['options']
    ciphers = options.get('tls_require_ciphers')
    entry['settings'] = {'transport': block['name'], 'tls_require_ciphers': _expand(ciphers['value'], macros) if ciphers else None,
                         'hosts_require_tls': options.get('hosts_require_tls', {}).get('value'),
                         'hosts_avoid_tls': options.get('hosts_avoid_tls', {}).get('value'), 'library': library}
    smarthost = context.get('exim_smarthost')
    if smarthost and 'smarthost' in block['name']:
        for host, port in smarthost:
            entry['servers'].append(server(host, port, 'smtp', 'starttls', None))
    if library == 'gnutls':
        if ciphers is not None:
            value = entry['settings']['tls_require_ciphers']
            states = gnutls_priority_versions(value)
            ev = [fin(ciphers['line'], 'tls_require_ciphers', ciphers['value'])]
            for proto in PROTOS:
                entry['versions'][proto] = (states[proto], 'tls_require_ciphers %s' % value, ev)
            # Exim hands the string to gnutls_priority_init itself; only GnuTLS [overrides] bind it
            entry['bounds'] = 'own'
        else:
            ev = [fin(block['line'], 'tls_require_ciphers', None, 'not set: GnuTLS normal priorities')]
            for proto in PROTOS:
                entry['versions'][proto] = ('lib', 'no tls_require_ciphers: the GnuTLS defaults and system policy decide', ev)
            entry['bounds'] = 'library'
    else:
        opts = main.get('openssl_options')
        off = set()
        if opts:
            for token in opts['value'].split():
                if token.lower() in _OPENSSL_OFF:
                    off.add(_OPENSSL_OFF[token.lower()])
        ev = [fin(opts['line'], 'openssl_options', opts['value'])] if opts else [fin(None, 'openssl_options', None, 'not set')]
        for proto in PROTOS:
            entry['versions'][proto] = ('off' if proto in off else 'lib', 'openssl_options %s' % (opts['value'] if opts else '(not set)'), ev)
        entry['bounds'] = 'library'
    if options.get('hosts_avoid_tls', {}).get('value') or 'hosts_require_tls' not in options:
        entry['notes'].append('TLS is opportunistic for this transport (no hosts_require_tls): a failed handshake is retried in the clear')
    auth_hosts = context.get('exim_client_auth_hosts') or []
    if auth_hosts and ('hosts_try_auth' in options or 'hosts_require_auth' in options):
        entry['auth'] = 'password'
        for host in auth_hosts:
            entry['passwords'].append({'line': None, 'key': 'passwd.client %s' % host})
        if any(s['exchange_online'] for s in entry['servers']) or any(server(h).get('exchange_online') for h in auth_hosts):
            entry['notes'].append('basic SMTP AUTH to Exchange Online (passwords in /etc/exim4/passwd.client, not shown)')
    else:
        entry['auth'] = 'none'
    return entry


def default_priority(minimum):
    return 'NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1' + (':-VERS-TLS1.2' if minimum == 'tls1_3' else '')


def plan_exim(parsed, options):
    minimum = options.get('min_protocol', 'tls1_2')
    if options.get('exim_library', 'gnutls') != 'gnutls':
        return []
    edits = []
    for entry in parsed.entries:
        if not needs_change(entry, options):
            continue
        block = entry['block']
        item = block['options'].get('tls_require_ciphers')
        if item is not None:
            macros = parsed.extra.get('macros') or {}
            if item['span'] is None or any(re.search(r'\b%s\b' % re.escape(name), item['value']) for name in macros):
                continue  # a macro or a continued line: reported, not edited
            new = _gnutls_fix(item['value'], minimum)
            if new != item['value']:
                edits.append(Edit(item['span'][0], item['span'][1], new, item['line'], '%s: tls_require_ciphers %s -> %s'
                                  % (entry['name'], item['value'], new)))
        else:
            driver = block['options']['driver']
            new = 'tls_require_ciphers = %s' % default_priority(minimum)
            edit = _insert_line_after(parsed.text, driver['offset'], new)
            edit.line = driver['line'] + 1
            edit.description = '%s: added %s' % (entry['name'], new)
            edits.append(edit)
    return edits


def parse_update_conf(text):
    """``{key: value}`` of update-exim4.conf.conf (shell-style ``dc_x='value'`` lines)."""
    values = {}
    for raw in text.splitlines():
        match = re.match(r"^\s*(dc_[a-z_]+)\s*=\s*(['\"]?)(.*?)\2\s*$", raw)
        if match:
            values[match.group(1)] = match.group(3)
    return values


def smarthosts(value):
    """``[(host, port)]`` of a Debian ``dc_smarthost`` (``host::port``, several separated by ``:``)."""
    out = []
    for part in re.split(r'(?<!:):(?!:)', value or ''):
        part = part.strip()
        if not part:
            continue
        host, unused, port = part.partition('::')
        out.append((host.strip(), int(port) if port.strip().isdigit() else 25))
    return out


def client_auth_hosts(text):
    """Host patterns of Debian's passwd.client (``host:user:password``); the passwords are never kept."""
    hosts = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith('#') and ':' in stripped:
            hosts.append(stripped.split(':', 1)[0].strip())
    return hosts


def exim_binary():
    for name in ('/usr/sbin/exim4', '/usr/sbin/exim', '/usr/bin/exim'):
        if os.access(name, os.X_OK):
            return name
    return shutil.which('exim4') or shutil.which('exim')


def validate_candidate(path, candidate, runner=None, timeout=60):
    """Exim's own check on the candidate: ``exim -C FILE -bV`` (split configuration: ``update-exim4.conf`` first).

    ``runner(argv)`` -> (exit code, output) runs Exim (tests hand in the unpacked Exim); by default the installed one.
    Returns ``(ok, message)``.
    """
    reread = parse_exim(candidate)
    if not reread.ok:
        return False, 'the candidate does not parse: %s' % '; '.join(reread.errors)
    binary = exim_binary()
    if runner is None and binary is None:
        return True, 'exim is not installed here: the candidate was checked by the parser only'
    if runner is None:
        def runner(argv):
            proc = subprocess.run([binary] + list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
            return proc.returncode, proc.stdout.decode('utf-8', 'replace')
    work = tempfile.mkdtemp(prefix='mailtls-exim-check-')
    try:
        os.chmod(work, 0o755)
        target = os.path.join(work, 'exim4.conf')
        if '/conf.d/' in path and shutil.which('update-exim4.conf'):
            confdir = path.split('/conf.d/')[0]
            copy = os.path.join(work, 'confdir')
            shutil.copytree(confdir, copy, symlinks=True)
            with open(os.path.join(copy, 'conf.d', path.split('/conf.d/')[1]), 'w') as handle:
                handle.write(candidate)
            proc = subprocess.run(['update-exim4.conf', '-d', copy, '-o', target], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=timeout, check=False)
            if proc.returncode != 0:
                return False, 'update-exim4.conf rejected the candidate: %s' % proc.stdout.decode('utf-8', 'replace').strip()
        elif '/conf.d/' in path:
            return True, 'update-exim4.conf is not installed here: the fragment was checked by the parser only'
        else:
            with open(target, 'w') as handle:
                handle.write(candidate)
        os.chmod(target, 0o644)
        code, out = runner(['-C', target, '-bV'])
        if code != 0 or 'Exim version' not in out or re.search(r'(?i)error in|configuration error', out):
            return False, 'exim -bV rejected the candidate: %s' % out.strip()[-600:]
        return True, 'exim -C (copy) -bV passed'
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, 'exim -bV could not run: %s' % exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def inspect_exim(binary, run):
    info = {}
    out = run([binary, '-bV']) or ''
    match = re.search(r'Exim version (\d+)\.(\d+)', out)
    if match:
        info['version'] = (int(match.group(1)), int(match.group(2)))
    if re.search(r'Support for:.*\bGnuTLS\b', out):
        info['library'], info['library_source'] = 'gnutls', '%s -bV: Support for: GnuTLS' % binary
    elif re.search(r'Support for:.*\bOpenSSL\b', out):
        info['library'], info['library_source'] = 'openssl', '%s -bV: Support for: OpenSSL' % binary
    return info


def _read(path, limit=1048576):
    try:
        with open(path, 'r', errors='surrogateescape') as handle:
            return handle.read(limit)
    except (IOError, OSError):
        return None


def _context(toolbox):
    context = {}
    info = toolbox.info('exim')
    if info.get('library'):
        context['exim_library'] = info['library']
    update = _read('/etc/exim4/update-exim4.conf.conf')
    if update:
        values = parse_update_conf(update)
        context['exim_smarthost'] = smarthosts(values.get('dc_smarthost'))
        context['exim_configtype'] = values.get('dc_eximconfig_configtype')
    client = _read('/etc/exim4/passwd.client')
    if client:
        context['exim_client_auth_hosts'] = client_auth_hosts(client)
    return context


def detect_exim(path, text):
    if re.search(r'^[ \t]+driver[ \t]*=[ \t]*smtp[ \t]*$', text, re.M) and ('exim' in path or re.search(r'^begin transports', text, re.M)):
        return 'exim_conf'
    return None


def _validate(path, candidate, options=None):
    return validate_candidate(path, candidate)


DESCRIPTOR = Descriptor(
    name='exim',
    formats={'exim_conf': parse_exim},
    system_files=(('exim_conf', '/etc/exim4/exim4.conf'), ('exim_conf', '/etc/exim4/exim4.conf.template'),
                  ('exim_conf', '/etc/exim4/conf.d/transport/*'), ('exim_conf', '/etc/exim/exim.conf')),
    binaries=('exim4', 'exim'),
    library='gnutls',
    inspect=inspect_exim,
    secret_keys=('client_send',),
    bounds_doc='Debian builds Exim with GnuTLS: tls_require_ciphers is its own priority string, which GnuTLS '
               '[overrides] disabled-version still binds (measured); without it the GnuTLS defaults decide.',
    plan=plan_exim,
    detect=detect_exim,
    context=_context,
    oauth_help='an Exchange Online connector that accepts the relay by IP or certificate instead of basic SMTP AUTH',
    password_help='basic SMTP AUTH from passwd.client: Microsoft is retiring it for Exchange Online',
)
DESCRIPTOR.validate = _validate
DESCRIPTOR.restart = ('update-exim4.conf (Debian)', 'systemctl reload exim4')
