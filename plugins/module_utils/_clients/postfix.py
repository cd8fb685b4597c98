# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Postfix as an SMTP client (main.cf, master.cf ``-o`` overrides): reader, editor and descriptor.

What decides the TLS protocol of Postfix's ``smtp`` client, per delivery:

* the security level (``smtp_tls_security_level``, or the obsolete
  ``smtp_use_tls``/``smtp_enforce_tls``): at ``encrypt`` and above the
  versions come from ``smtp_tls_mandatory_protocols``, at ``may``/``dane``
  from ``smtp_tls_protocols``; ``none`` sends in the clear;
* ``-o`` overrides of those parameters on a ``master.cf`` transport;
* per-destination ``protocols=`` in ``smtp_tls_policy_maps``.

Postfix sets the protocol bounds in code and chooses its own cipher list and
OpenSSL security level (its cipher grades): measured on Debian 12, a relay
pinned to TLSv1 (and one with no pin at all) still delivered over TLS 1.0 to
RSA *and* ECDHE servers after ``MinProtocol = TLSv1.2`` went into the
OpenSSL file it reads.  So the system policy never binds it: the fix is in
main.cf/master.cf.

Edits are what ``postconf -e``/``postconf -P`` would do: the value of an
existing parameter is replaced in place (comments, order and every other byte
kept); a missing one is appended at the end.  ``validate_candidate`` runs
``postfix -c DIR check`` on a copy of the instance with the candidate before
anything counts.  A change needs ``postfix reload`` (reported, never done).

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
    _append_block,
    _split_lines,
    below,
    fin,
    legacy_target,
    new_entry,
    rank,
    server)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re

# Postfix 3.6+ defaults (Debian 12 ships 3.7); older releases get theirs from ``postconf -d``.
DEFAULTS = {
    'smtp_tls_protocols': '>=TLSv1',
    'smtp_tls_mandatory_protocols': '>=TLSv1',
    'smtp_tls_security_level': '',
    'smtp_use_tls': 'no',
    'smtp_enforce_tls': 'no',
    'smtp_tls_ciphers': 'medium',
    'smtp_tls_mandatory_ciphers': 'medium',
    'smtp_tls_wrappermode': 'no',
    'smtp_tls_policy_maps': '',
    'relayhost': '',
    'smtp_sasl_auth_enable': 'no',
    'smtp_sasl_password_maps': '',
    'smtp_sasl_mechanism_filter': '',
}
TLS_KEYS = ('smtp_tls_protocols', 'smtp_tls_mandatory_protocols', 'smtp_tls_security_level', 'smtp_use_tls',
            'smtp_enforce_tls', 'smtp_tls_ciphers', 'smtp_tls_mandatory_ciphers', 'smtp_tls_wrappermode',
            'smtp_tls_policy_maps', 'relayhost', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps',
            'smtp_sasl_mechanism_filter')
MANDATORY_LEVELS = ('encrypt', 'dane-only', 'fingerprint', 'verify', 'secure')
OPPORTUNISTIC_LEVELS = ('may', 'dane')
WEAK_GRADES = ('export', 'low', 'null')
_NAMES = {'sslv3': 'ssl3', 'tlsv1': 'tls1_0', 'tlsv1.0': 'tls1_0', 'tlsv1.1': 'tls1_1', 'tlsv1.2': 'tls1_2', 'tlsv1.3': 'tls1_3'}
_POSTFIX_NAME = {'ssl3': 'SSLv3', 'tls1_0': 'TLSv1', 'tls1_1': 'TLSv1.1', 'tls1_2': 'TLSv1.2', 'tls1_3': 'TLSv1.3'}
SECURITY_LEVEL_NOTE = ('Postfix chooses its own cipher list and OpenSSL security level (cipher grade %s), so TLS 1.0/1.1 '
                       'work with ECDHE as well as RSA key exchange whatever the system security level says')


# ---------------------------------------------------------------------------
# main.cf
# ---------------------------------------------------------------------------

_PARAM = lazy_re(r'^([A-Za-z0-9_]+)[ \t]*=[ \t]*')


def parse_main_params(text):
    """``[{name, value, line, start, end, value_span}]`` for every logical line of a main.cf, in order.

    A logical line starts at a line that begins with a non-space, non-``#``
    character; lines that begin with white space continue it; comment and blank
    lines inside are skipped (as Postfix does).  ``value_span`` covers the
    value from its first to its last non-blank character, continuations
    included.  Lines that are not ``name = value`` are returned as errors.
    """
    params, errors = [], []
    current = None
    for start, end in _split_lines(text):
        raw = text[start:end].rstrip('\r')
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        if raw[:1] in (' ', '\t'):
            if current is None:
                errors.append((start, 'a continuation line without a parameter before it'))
                continue
            current['value_end'] = start + len(raw.rstrip())
            current['end'] = start + len(raw)
            continue
        match = _PARAM.match(raw)
        if not match:
            errors.append((start, 'not a "name = value" line'))
            current = None
            continue
        vstart = start + match.end()
        current = {'name': match.group(1), 'start': start, 'value_start': vstart,
                   'value_end': start + len(raw.rstrip()), 'end': start + len(raw)}
        if current['value_end'] < vstart:
            current['value_end'] = vstart
        params.append(current)
    out = []
    for item in params:
        raw_value = text[item['value_start']:item['value_end']]
        value = ' '.join(part.strip() for part in raw_value.splitlines() if part.strip() and not part.strip().startswith('#'))
        out.append({'name': item['name'], 'value': value, 'start': item['start'], 'end': item['end'],
                    'value_span': (item['value_start'], item['value_end'])})
    return out, errors


def effective(params, defaults=None):
    """``{name: item}``: the last definition wins, as in Postfix."""
    result = {}
    for item in params:
        result[item['name']] = item
    return result


def expand(value, lookup, depth=0):
    """``$name``, ``${name}`` and ``$(name)`` replaced from ``lookup(name)`` (bounded recursion)."""
    if depth > 8 or '$' not in (value or ''):
        return value or ''

    def repl(match):
        name = match.group(1) or match.group(2) or match.group(3)
        return expand(lookup(name) or '', lookup, depth + 1)

    return re.sub(r'\$(?:([A-Za-z0-9_]+)|\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\))', repl, value)


def protocol_set(value):
    """Versions a Postfix protocol list allows: ``>=TLSv1.2``, ``<=TLSv1.1``, ``!SSLv3``, or names to include.

    Returns ``(set of protocol ids, [tokens not understood])``.  An empty list allows every version.
    """
    allowed = set(PROTOS)
    include = set()
    exclude = set()
    low = high = None
    unknown = []
    for token in re.split(r'[\s,:]+', value or ''):
        if not token:
            continue
        lowered = token.lower()
        if lowered.startswith('>=') or lowered.startswith('<='):
            proto = _NAMES.get(lowered[2:])
            if proto is None:
                unknown.append(token)
            elif lowered.startswith('>='):
                low = proto
            else:
                high = proto
            continue
        negate = lowered.startswith('!')
        name = lowered[1:] if negate else lowered
        if name == 'sslv2':
            continue
        proto = _NAMES.get(name)
        if proto is None:
            unknown.append(token)
        elif negate:
            exclude.add(proto)
        else:
            include.add(proto)
    if include:
        allowed = set(include)
    allowed -= exclude
    if low:
        allowed = set(p for p in allowed if not below(p, low))
    if high:
        allowed = set(p for p in allowed if rank(p) <= rank(high))
    return allowed, unknown


def target_protocols(minimum, version=None):
    """The value Postfix understands for "``minimum`` or newer" (``>=`` needs Postfix 3.6)."""
    if version is None or tuple(version[:2]) >= (3, 6):
        return '>=%s' % _POSTFIX_NAME[minimum]
    return ', '.join(['!SSLv2'] + ['!%s' % _POSTFIX_NAME[p] for p in PROTOS if below(p, minimum)])


def parse_relayhost(value):
    """``[(host, port, brackets, (start, end) of host in value)]`` of a relayhost list."""
    out = []
    for match in re.finditer(r'\[([^\]\s]+)\](?::(\d+))?|([A-Za-z0-9.\-_]+)(?::(\d+))?', value or ''):
        if match.group(1):
            out.append((match.group(1), int(match.group(2)) if match.group(2) else 25, True, match.span(1)))
        elif match.group(3):
            out.append((match.group(3), int(match.group(4)) if match.group(4) else 25, False, match.span(3)))
    return out


def table_path(value):
    """The source file of a Postfix lookup table (``hash:/etc/postfix/x`` -> ``/etc/postfix/x``), or None."""
    first = re.split(r'[\s,]+', (value or '').strip())[0] if value else ''
    if ':' not in first:
        return None
    kind, path = first.split(':', 1)
    if kind in ('hash', 'btree', 'lmdb', 'cdb', 'dbm', 'texthash', 'inline') and path.startswith('/'):
        return path
    return None


def parse_policy_map(text):
    """``[{destination, level, protocols, ciphers, line}]`` of an smtp_tls_policy_maps source file."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        parts = stripped.split()
        item = {'destination': parts[0], 'level': parts[1] if len(parts) > 1 else '', 'line': number, 'protocols': None, 'ciphers': None}
        for attr in parts[2:]:
            key, unused, val = attr.partition('=')
            if key in ('protocols', 'ciphers'):
                item[key] = val
        out.append(item)
    return out


class _Settings(object):
    """Parameter values of one transport: main.cf, then master.cf ``-o`` overrides, then defaults."""

    def __init__(self, main, overrides=None, defaults=None):
        self.main = main or {}
        self.overrides = overrides or {}
        self.defaults = dict(DEFAULTS, **(defaults or {}))

    def item(self, name):
        if name in self.overrides:
            return self.overrides[name], 'master.cf -o'
        if name in self.main:
            return self.main[name], 'main.cf'
        return None, 'default'

    def raw(self, name):
        item, unused = self.item(name)
        return item['value'] if item is not None else self.defaults.get(name, '')

    def value(self, name):
        return expand(self.raw(name), self.raw).strip()


def _level(settings):
    level = settings.value('smtp_tls_security_level').lower()
    if level:
        return level, 'smtp_tls_security_level'
    if settings.value('smtp_enforce_tls').lower() == 'yes':
        return 'encrypt', 'smtp_enforce_tls'
    if settings.value('smtp_use_tls').lower() == 'yes':
        return 'may', 'smtp_use_tls'
    return 'none', 'smtp_tls_security_level'


def _evidence(settings, name, path_note=None):
    item, where = settings.item(name)
    if item is None:
        return fin(None, name, None, '%s (Postfix default: %s)' % ('not set', settings.defaults.get(name, '')))
    return fin(item['line'], name, item['value'], path_note or (where if where != 'main.cf' else None))


def transport_entry(name, line, settings, version=None):
    """One entry of the descriptor interface for one Postfix smtp transport."""
    entry = new_entry(name, line)
    entry['program'] = 'Postfix'
    entry['bounds'] = 'own'
    level, level_key = _level(settings)
    mandatory = level in MANDATORY_LEVELS
    key = 'smtp_tls_mandatory_protocols' if mandatory else 'smtp_tls_protocols'
    grade_key = 'smtp_tls_mandatory_ciphers' if mandatory else 'smtp_tls_ciphers'
    protocols_value = settings.value(key)
    grade = settings.value(grade_key).lower()
    wrapper = settings.value('smtp_tls_wrappermode').lower() == 'yes'
    relayhost = settings.value('relayhost')
    relay_item, unused = settings.item('relayhost')
    for host, port, unused_brackets, span in parse_relayhost(relayhost):
        srv_span = None
        if relay_item is not None and relay_item['value'] == relayhost and 'value_span' in relay_item:
            srv_span = (relay_item['value_span'][0] + span[0], relay_item['value_span'][0] + span[1])
        entry['servers'].append(server(host, port, 'smtp', 'implicit' if wrapper else ('plain' if level == 'none' else 'starttls'),
                                       relay_item['line'] if relay_item else None, srv_span))
    sasl = settings.value('smtp_sasl_auth_enable').lower() == 'yes'
    maps = settings.value('smtp_sasl_password_maps')
    entry['settings'] = {
        'security_level': level, 'security_level_from': level_key, 'protocols_parameter': key, 'protocols': protocols_value,
        'cipher_grade': grade, 'relayhost': relayhost or None, 'sasl_auth': sasl,
        'sasl_password_maps': table_path(maps) or (maps or None), 'wrappermode': wrapper,
        'policy_maps': settings.value('smtp_tls_policy_maps') or None,
    }
    ev = [_evidence(settings, level_key), _evidence(settings, key)]
    if level == 'none':
        entry['plain'] = True
        for proto in PROTOS:
            entry['versions'][proto] = ('off', 'security level none: Postfix sends without TLS', ev)
        entry['notes'].append('no TLS at all (security level none)')
    else:
        allowed, unknown = protocol_set(protocols_value)
        reason = '%s = %s (security level %s)' % (key, protocols_value or '(empty: every version)', level)
        for proto in PROTOS:
            entry['versions'][proto] = ('on' if proto in allowed else 'off', reason, ev)
        if unknown:
            entry['notes'].append('%s has tokens Postfix does not know: %s' % (key, ', '.join(unknown)))
    entry['security_level'] = 0
    entry['notes'].append(SECURITY_LEVEL_NOTE % (grade or 'medium'))
    if grade in WEAK_GRADES:
        entry['notes'].append('%s = %s allows weak ciphers' % (grade_key, grade))
    if level in OPPORTUNISTIC_LEVELS:
        entry['notes'].append('security level %s: when the TLS handshake fails Postfix retries the delivery in the clear' % level)
    if sasl:
        mech = settings.value('smtp_sasl_mechanism_filter').lower()
        entry['auth'] = 'oauth' if 'xoauth2' in mech or 'oauthbearer' in mech else 'password'
        maps_item, unused = settings.item('smtp_sasl_password_maps')
        if maps and entry['auth'] == 'password':
            entry['passwords'].append({'line': maps_item['line'] if maps_item else None, 'key': 'smtp_sasl_password_maps',
                                       'where': table_path(maps) or maps})
        if any(s['exchange_online'] for s in entry['servers']) and entry['auth'] == 'password':
            entry['notes'].append('basic SMTP AUTH to Exchange Online (passwords in %s, not shown)' % (table_path(maps) or maps or 'a SASL table'))
    else:
        entry['auth'] = 'none'
    if version is not None:
        entry['settings']['mail_version'] = '.'.join(str(v) for v in version)
    return entry


def _with_lines(parsed, params):
    for item in params:
        item['line'] = parsed.line_of(item['start'])
    return params


def parse_main(text, context=None):
    context = context or {}
    parsed = Parsed('postfix_main', text)
    params, errors = parse_main_params(text)
    for offset, why in errors:
        parsed.errors.append('line %d: %s' % (parsed.line_of(offset), why))
    if parsed.errors:
        return parsed
    params = _with_lines(parsed, params)
    main = effective(params)
    parsed.extra['params'] = params
    parsed.extra['main'] = main
    settings = _Settings(main, defaults=context.get('postfix_defaults'))
    entry = transport_entry('smtp', main['relayhost']['line'] if 'relayhost' in main else 1, settings, context.get('postfix_version'))
    entry['edit'] = {'file': 'main', 'params': main}
    parsed.entries.append(entry)
    for dest in context.get('postfix_policy_map') or []:
        if dest.get('protocols'):
            pentry = _policy_entry(dest, settings, context.get('postfix_version'))
            parsed.entries.append(pentry)
    return parsed


def _policy_entry(dest, settings, version):
    host = dest['destination'].strip('[]').split(']')[0]
    entry = new_entry('smtp_tls_policy_maps %s' % dest['destination'], dest['line'])
    entry['program'] = 'Postfix'
    entry['bounds'] = 'own'
    entry['security_level'] = 0
    allowed, unused = protocol_set(dest['protocols'].replace(':', ','))
    ev = [fin(dest['line'], 'protocols', dest['protocols'], 'smtp_tls_policy_maps')]
    for proto in PROTOS:
        entry['versions'][proto] = ('on' if proto in allowed else 'off', 'policy map protocols=%s (level %s)' % (dest['protocols'], dest['level']), ev)
    entry['servers'].append(server(host, None, 'smtp', 'starttls', dest['line']))
    entry['settings'] = {'security_level': dest['level'], 'protocols': dest['protocols'], 'policy_map': True}
    entry['auth'] = 'none'
    entry['notes'].append('per-destination protocols in smtp_tls_policy_maps: edit the table and run postmap (reported, not done)')
    return entry


# ---------------------------------------------------------------------------
# master.cf
# ---------------------------------------------------------------------------

_OVERRIDE = lazy_re(r'-o[ \t]+([A-Za-z0-9_]+)=(\S*)')
_OVERRIDE_BRACED = lazy_re(r'-o[ \t]+\{[ \t]*([A-Za-z0-9_]+)[ \t]*=[ \t]*([^}]*?)[ \t]*\}')


def parse_master_services(text):
    """``[{name, type, command, line_start, overrides: {key: {value, value_span, offset}}}]`` of a master.cf."""
    services = []
    current = None
    for start, end in _split_lines(text):
        raw = text[start:end].rstrip('\r')
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        if raw[:1] in (' ', '\t') and current is not None:
            current['lines'].append((start, raw))
            continue
        fields = stripped.split()
        current = {'name': fields[0], 'type': fields[1] if len(fields) > 1 else None,
                   'command': fields[7] if len(fields) > 7 else None, 'start': start, 'lines': [(start, raw)]}
        services.append(current)
    for service in services:
        service['overrides'] = {}
        for start, raw in service['lines']:
            for regex in (_OVERRIDE_BRACED, _OVERRIDE):
                for match in regex.finditer(raw):
                    key = match.group(1)
                    service['overrides'][key] = {'value': match.group(2), 'value_span': (start + match.start(2), start + match.end(2)),
                                                 'offset': start + match.start(0)}
    return services


def parse_master(text, context=None):
    context = context or {}
    parsed = Parsed('postfix_master', text)
    services = parse_master_services(text)
    parsed.extra['services'] = services
    main = context.get('postfix_main_params') or {}
    for service in services:
        if service['command'] not in ('smtp', 'lmtp') or service['type'] != 'unix':
            continue
        relevant = dict((k, v) for k, v in service['overrides'].items() if k in TLS_KEYS)
        if not relevant:
            continue
        overrides = {}
        for key, item in relevant.items():
            overrides[key] = dict(item, name=key, line=parsed.line_of(item['offset']))
        settings = _Settings(main, overrides, context.get('postfix_defaults'))
        entry = transport_entry('master.cf %s' % service['name'], parsed.line_of(service['start']), settings,
                                context.get('postfix_version'))
        entry['edit'] = {'file': 'master', 'overrides': overrides}
        if not main:
            entry['notes'].append('main.cf values were not read with this file: Postfix defaults stand in for them')
        parsed.entries.append(entry)
    return parsed


# ---------------------------------------------------------------------------
# plan, validate
# ---------------------------------------------------------------------------

def _decided(entry, options):
    if not needs_change(entry, options):
        return False
    # a transport that speaks no TLS at all is a finding, not something this edit fixes
    return not entry.get('plain')


def plan_main(parsed, options):
    minimum = options.get('min_protocol', 'tls1_2')
    target = target_protocols(minimum, options.get('postfix_version'))
    edits = []
    appended = []
    for entry in parsed.entries:
        if entry.get('edit', {}).get('file') != 'main' or not _decided(entry, options):
            continue
        main = entry['edit']['params']
        for key in ('smtp_tls_protocols', 'smtp_tls_mandatory_protocols'):
            item = main.get(key)
            if item is not None:
                if item['value'] != target:
                    start, end = item['value_span']
                    edits.append(Edit(start, end, target, item['line'], '%s = %s -> %s' % (key, item['value'], target)))
            else:
                appended.append('%s = %s' % (key, target))
    for entry in parsed.entries:
        if options.get('move_legacy_endpoints') and entry.get('edit', {}).get('file') == 'main':
            for srv in entry['servers']:
                if srv['legacy_endpoint'] and srv.get('span'):
                    new = legacy_target(srv['host'])
                    edits.append(Edit(srv['span'][0], srv['span'][1], new, srv['line'], 'relayhost %s -> %s' % (srv['host'], new)))
    if appended:
        edit = _append_block(parsed.text, appended)
        edit.line = parsed.line_of(len(parsed.text)) + 1
        edit.description = 'added %s' % '; '.join(appended)
        edits.append(edit)
    return edits


def plan_master(parsed, options):
    minimum = options.get('min_protocol', 'tls1_2')
    target = target_protocols(minimum, options.get('postfix_version'))
    edits = []
    for entry in parsed.entries:
        if entry.get('edit', {}).get('file') != 'master' or not _decided(entry, options):
            continue
        for key in ('smtp_tls_protocols', 'smtp_tls_mandatory_protocols'):
            item = entry['edit']['overrides'].get(key)
            if item is not None and item['value'] != target:
                start, end = item['value_span']
                edits.append(Edit(start, end, target, item['line'], '%s: -o %s=%s -> %s' % (entry['name'], key, item['value'], target)))
    return edits


def validate_candidate(path, candidate, postfix_bin='/usr/sbin/postfix', timeout=60):
    """``postfix -c DIR check`` on a copy of the instance's directory with ``candidate`` in place of ``path``.

    Returns ``(ok, message)``.  Without the postfix command the candidate is only re-read by the parser.
    """
    fmt = 'postfix_master' if os.path.basename(path) == 'master.cf' else 'postfix_main'
    reread = parse_main(candidate) if fmt == 'postfix_main' else parse_master(candidate)
    if not reread.ok:
        return False, 'the candidate does not parse: %s' % '; '.join(reread.errors)
    if not os.access(postfix_bin, os.X_OK):
        return True, 'postfix is not installed here: the candidate was checked by the parser only'
    work = tempfile.mkdtemp(prefix='mailtls-postfix-check-')
    try:
        folder = os.path.dirname(path)
        for name in ('main.cf', 'master.cf'):
            source = os.path.join(folder, name)
            if os.path.exists(source):
                shutil.copyfile(source, os.path.join(work, name))
        with open(os.path.join(work, os.path.basename(path)), 'w') as handle:
            handle.write(candidate)
        proc = subprocess.run([postfix_bin, '-c', work, 'check'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
        out = proc.stdout.decode('utf-8', 'replace').strip()
        if proc.returncode != 0 or 'fatal' in out:
            return False, 'postfix check rejected the candidate: %s' % (out or 'exit code %d' % proc.returncode)
        return True, 'postfix -c (copy) check passed%s' % (': %s' % out if out else '')
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, 'postfix check could not run: %s' % exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def instance_entries(main_text, master_text=None, context=None, policy_map_text=None):
    """Entries of one Postfix instance read as a whole (main.cf, master.cf and the policy map source)."""
    context = dict(context or {})
    if policy_map_text is not None:
        context['postfix_policy_map'] = parse_policy_map(policy_map_text)
    main = parse_main(main_text, context)
    entries = list(main.entries)
    if master_text is not None and main.ok:
        context['postfix_main_params'] = main.extra['main']
        entries.extend(parse_master(master_text, context).entries)
    return main, entries


# ---------------------------------------------------------------------------
# descriptor
# ---------------------------------------------------------------------------

def inspect_postfix(binary, run):
    info = {'library': 'openssl', 'library_source': 'Postfix links OpenSSL (libpostfix-tls)'}
    out = run([binary.replace('/postfix', '/postconf') if binary.endswith('/postfix') else 'postconf', '-d', '-h', 'mail_version']) or ''
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', out)
    if match:
        info['version'] = tuple(int(g) for g in match.groups() if g is not None)
    return info


def _context(toolbox):
    info = toolbox.info('postfix')
    context = {}
    if info.get('version'):
        context['postfix_version'] = info['version']
    try:
        with open('/etc/postfix/main.cf', 'r', errors='surrogateescape') as handle:
            parsed = parse_main(handle.read())
        if parsed.ok:
            context['postfix_main_params'] = parsed.extra['main']
            maps = table_path(expand(parsed.extra['main'].get('smtp_tls_policy_maps', {}).get('value', ''), lambda n: ''))
            if maps and os.path.isfile(maps):
                with open(maps, 'r', errors='surrogateescape') as handle:
                    context['postfix_policy_map'] = parse_policy_map(handle.read(1048576))
    except (IOError, OSError):
        pass
    return context


def _options_version(options):
    return options


def detect_postfix(path, text):
    name = os.path.basename(path)
    if name == 'master.cf':
        return 'postfix_master'
    if name == 'main.cf' and re.search(r'^(smtp|smtpd|myhostname|relayhost|mydestination|inet_interfaces)[a-z_]*\s*=', text, re.M):
        return 'postfix_main'
    return None


def _validate(path, candidate, options=None):
    return validate_candidate(path, candidate)


DESCRIPTOR = Descriptor(
    name='postfix',
    formats={'postfix_main': parse_main, 'postfix_master': parse_master},
    system_files=(('postfix_main', '/etc/postfix/main.cf'), ('postfix_master', '/etc/postfix/master.cf'),
                  ('postfix_main', '/etc/postfix-*/main.cf'), ('postfix_master', '/etc/postfix-*/master.cf')),
    binaries=('postfix',),
    library='openssl',
    inspect=inspect_postfix,
    secret_keys=(),
    bounds_doc='Postfix sets the protocol range itself from smtp_tls_(mandatory_)protocols and its own cipher list and '
               'security level from its cipher grade: the OpenSSL system policy does not bind it (measured).',
    plan=lambda parsed, options: plan_main(parsed, options) if parsed.fmt == 'postfix_main' else plan_master(parsed, options),
    detect=detect_postfix,
    context=_context,
    oauth_help='a SASL XOAUTH2 plugin (smtp_sasl_mechanism_filter = xoauth2) with a token, or an Exchange Online connector '
               'that accepts the relay by IP or certificate instead of basic SMTP AUTH',
    password_help='basic SMTP AUTH with a password table: Microsoft is retiring it for Exchange Online',
)
DESCRIPTOR.validate = _validate
DESCRIPTOR.restart = ('postfix reload',)
