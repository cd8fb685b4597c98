# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: mutt (~/.muttrc and the files it sources): reader, editor and descriptor; neomutt.py reuses it.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
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
    apply_edits,
    below,
    decode,
    fin,
    new_entry,
    server)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


MUTT_VARS = {'ssl_use_sslv2': None, 'ssl_use_sslv3': 'ssl3', 'ssl_use_tlsv1': 'tls1_0', 'ssl_use_tlsv1_1': 'tls1_1',
             'ssl_use_tlsv1_2': 'tls1_2', 'ssl_use_tlsv1_3': 'tls1_3'}
_MUTT_SECRET_VARS = ('imap_pass', 'pop_pass', 'smtp_pass', 'smtp_password')
_MUTT_URL = lazy_re(r'''\b(imaps?|pops?|smtps?)://([^\s'"/@]*@)?(\[[^\]]+\]|[A-Za-z0-9.\-_]+)(?::(\d+))?''', re.I)
# Like mutt itself, a quote left open runs to the end of its line (the three alternatives at the end).
_MUTT_TOKEN = lazy_re(r'''[ \t]+|\\\r?\n|"(?:\\.|[^"\\\n])*"|'[^'\n]*'|`[^`\n]*`|;|\r?\n|#[^\n]*|=|(?:\\.|[^\s"'`;#=\\])+'''
                      r'''|"(?:\\.|[^"\\\n])*\\?|'[^'\n]*|`[^`\n]*''', re.S)
_MUTT_SECRET_ANYWHERE = lazy_re(r'''\b(?:imap_pass|pop_pass|smtp_pass|smtp_password)\s*=\s*("(?:\\.|[^"\\\n])*"|'[^'\n]*'?|"[^"\n]*|[^\s;'"]+)''')
_MUTT_BOOL_TRUE = ('yes', 'y', 'true', 'on', '1')
_MUTT_BOOL_FALSE = ('no', 'n', 'false', 'off', '0')


def _mutt_commands(parsed):
    """Split the text into commands: lists of (start, end, token) with quotes kept."""
    text = parsed.text
    commands = []
    current = []
    pos = 0
    while pos < len(text):
        match = _MUTT_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            parsed.errors.append('line %d: unterminated quote' % parsed.line_of(pos))
            return []
        tok = match.group(0)
        if tok in (';',) or tok.endswith('\n') and not tok.startswith('\\'):
            if current:
                commands.append(current)
            current = []
        elif tok[0] in ' \t#' or tok.startswith('\\\n') or tok.startswith('\\\r'):
            pass
        else:
            current.append((match.start(), match.end(), tok))
        pos = match.end()
    if current:
        commands.append(current)
    return commands


def _mutt_value(tok):
    if tok[:1] in ('"', "'"):
        closed = len(tok) >= 2 and tok[-1] == tok[0] and not (tok[0] == '"' and tok.endswith('\\"') and not tok.endswith('\\\\"'))
        inner = tok[1:-1] if closed else tok[1:]
        return re.sub(r'\\(.)', r'\1', inner) if tok[0] == '"' else inner
    return re.sub(r'\\(.)', r'\1', tok)


def parse_mutt(text, fmt='mutt', defaults_modern=None):
    """``defaults_modern``: True when the installed mutt is 2.0 or newer (TLS 1.0/1.1 off by default),
    False when older, None when unknown."""
    parsed = Parsed(fmt, text)
    for match in _MUTT_SECRET_ANYWHERE.finditer(text):
        value = match.group(1)
        if value not in ('""', "''"):
            parsed.secrets.append((match.start(1), match.end(1)))
    commands = _mutt_commands(parsed)
    if parsed.errors:
        return parsed
    entry = new_entry(fmt, 1)
    settings = {}
    assignments = []
    for cmd in commands:
        name = cmd[0][2]
        if name not in ('set', 'unset', 'reset', 'toggle'):
            if name == 'source':
                parsed.extra.setdefault('sources', []).append((parsed.line_of(cmd[0][0]), ' '.join(t[2] for t in cmd[1:])))
            continue
        index = 1
        while index < len(cmd):
            start, end, tok = cmd[index]
            value_tok = None
            if index + 2 < len(cmd) and cmd[index + 1][2] == '=':
                value_tok = cmd[index + 2]
                stop = value_tok[1]
                index += 3
            else:
                stop = end
                index += 1
            var = tok
            prefix = ''
            for pre in ('no', 'inv', '?', '&'):
                if var.startswith(pre) and var[len(pre):] in MUTT_VARS:
                    prefix, var = pre, var[len(pre):]
                    break
            if '=' in var:
                var = var.split('=', 1)[0]
            item = {'cmd': name, 'var': var, 'prefix': prefix, 'tok': (start, end, tok), 'value_tok': value_tok,
                    'span': (start, stop), 'line': parsed.line_of(start)}
            assignments.append(item)
            if name == 'set' and value_tok is not None:
                settings[var] = _mutt_value(value_tok[2])
            elif name == 'set' and prefix == '':
                settings[var] = 'yes'
            elif name == 'unset' or prefix == 'no':
                settings[var] = 'no'
    parsed.extra['assignments'] = assignments
    bools = _mutt_effective(assignments)
    entry['settings'] = dict((k, v) for k, v in settings.items()
                             if k in MUTT_VARS or k in ('ssl_force_tls', 'ssl_starttls', 'imap_authenticators', 'smtp_authenticators',
                                                        'pop_authenticators', 'imap_oauth_refresh_command', 'smtp_oauth_refresh_command'))
    for key in ('imap_oauth_refresh_command', 'smtp_oauth_refresh_command'):
        if key in entry['settings']:
            entry['settings'][key] = '(set)'
    for var, proto in MUTT_VARS.items():
        if proto is None:
            continue
        if var in bools:
            value, line = bools[var]
            state = 'on' if value else 'off'
            entry['versions'][proto] = (state, '%s is %s' % (var, 'yes' if value else 'no'), [fin(line, var, 'yes' if value else 'no')])
        else:
            default_on = proto in ('tls1_2', 'tls1_3') or (proto in ('tls1_0', 'tls1_1') and defaults_modern is False)
            if proto == 'ssl3':
                default_on = False
            if proto in ('tls1_0', 'tls1_1') and defaults_modern is None:
                entry['versions'][proto] = ('unknown', '%s not set; its default depends on the mutt version (yes before 2.0, no since)' % var,
                                            [fin(None, var, None, 'not set')])
            else:
                entry['versions'][proto] = ('on' if default_on else 'off', '%s not set; %s default is %s' % (var, fmt, 'yes' if default_on else 'no'),
                                            [fin(None, var, None, 'default')])
    # servers from URLs anywhere in the file (folders, spoolfile, smtp_url, mailboxes, hooks)
    for match in _MUTT_URL.finditer(text):
        scheme = match.group(1).lower()
        host = match.group(3).strip('[]')
        port = int(match.group(4)) if match.group(4) else None
        service = {'imap': 'imap', 'pop': 'pop3', 'smtp': 'smtp'}[scheme.rstrip('s')]
        implicit = scheme.endswith('s')
        if port is None:
            port = {('imap', True): 993, ('imap', False): 143, ('pop3', True): 995, ('pop3', False): 110,
                    ('smtp', True): 465, ('smtp', False): 25}[(service, implicit)]
        if match.group(2) and ':' in match.group(2):
            user_part = match.group(2)
            colon = user_part.index(':')
            sstart = match.start(2) + colon + 1
            send = match.start(2) + len(user_part) - 1
            parsed.secrets.append((sstart, send))
            entry['passwords'].append({'line': parsed.line_of(match.start()), 'key': '%s URL' % scheme})
        line = parsed.line_of(match.start())
        entry['servers'].append(server(host, port, service, 'implicit' if implicit else 'starttls', line, (match.start(3), match.end(3))))
    for item in assignments:
        if item['var'] in _MUTT_SECRET_VARS and item['cmd'] == 'set' and item['value_tok'] is not None and _mutt_value(item['value_tok'][2]):
            entry['passwords'].append({'line': item['line'], 'key': item['var']})
    auth = ' '.join(settings.get(k, '') for k in ('imap_authenticators', 'smtp_authenticators', 'pop_authenticators')).lower()
    entry['auth'] = 'oauth' if ('oauthbearer' in auth or 'xoauth2' in auth) else 'password'
    parsed.entries.append(entry)
    return parsed


def _mutt_effective(assignments):
    values = {}
    for item in assignments:
        var = item['var']
        if var not in MUTT_VARS:
            continue
        if item['cmd'] == 'set':
            if item['prefix'] == 'no':
                values[var] = (False, item['line'])
            elif item['prefix'] == 'inv':
                values[var] = (not values.get(var, (False, None))[0], item['line'])
            elif item['value_tok'] is not None:
                value = _mutt_value(item['value_tok'][2]).lower()
                values[var] = (value in _MUTT_BOOL_TRUE, item['line'])
            elif item['prefix'] in ('', ):
                values[var] = (True, item['line'])
        elif item['cmd'] == 'unset':
            values[var] = (False, item['line'])
        elif item['cmd'] == 'toggle':
            values[var] = (not values.get(var, (False, None))[0], item['line'])
        elif item['cmd'] == 'reset':
            values.pop(var, None)
    return values


def plan_mutt(parsed, options):
    minimum = options['min_protocol']
    if parsed.entries and not needs_change(parsed.entries[0], options):
        edits = []
        if options.get('move_legacy_endpoints'):
            for entry in parsed.entries:
                edits.extend(_endpoint_edits(parsed, entry, 'server'))
        return edits
    want = dict((var, not below(proto, minimum)) for var, proto in MUTT_VARS.items() if proto is not None)
    want['ssl_use_sslv2'] = False
    edits = []
    for item in parsed.extra.get('assignments', []):
        var = item['var']
        if var not in want or item['cmd'] != 'set':
            continue
        if item['value_tok'] is not None:
            value = _mutt_value(item['value_tok'][2]).lower()
            current = value in _MUTT_BOOL_TRUE
            if current != want[var]:
                vt = item['value_tok']
                new = 'yes' if want[var] else 'no'
                edits.append(Edit(vt[0], vt[1], _requote(vt[2], new), item['line'], '%s=%s -> %s' % (var, value, new)))
        elif item['prefix'] in ('', 'no', 'inv'):
            current = item['prefix'] == ''
            if item['prefix'] == 'inv' or current != want[var]:
                start, end, unused = item['tok']
                new = '%s=%s' % (var, 'yes' if want[var] else 'no')
                edits.append(Edit(start, end, new, item['line'], '%s -> %s' % (item['tok'][2], new)))
    # What is still wrong after the in-place edits (unset/toggle/reset, or an old default) gets a block at the end.
    after = parse_mutt(apply_edits(parsed.text, edits), parsed.fmt, options.get('%s_defaults_modern' % parsed.fmt, options.get('mutt_defaults_modern')))
    missing = []
    if after.ok and after.entries:
        versions = after.entries[0]['versions']
        for var, proto in MUTT_VARS.items():
            if proto is None:
                continue
            state = versions[proto][0]
            if want[var] and state == 'off' or not want[var] and state == 'on':
                missing.append('set %s=%s' % (var, 'yes' if want[var] else 'no'))
    if missing:
        edit = _append_block(parsed.text, ['# %s: TLS %s or newer' % (MARKER, LABELS[minimum][4:])] + missing)
        edit.description = 'appended ' + ', '.join(m[4:] for m in missing)
        edit.line = parsed.line_of(len(parsed.text)) + 1
        edits.append(edit)
    if options.get('move_legacy_endpoints'):
        for entry in parsed.entries:
            edits.extend(_endpoint_edits(parsed, entry, 'server'))
    return edits


def inspect_mutt(binary, run):
    """``mutt -v`` names the TLS library (+USE_SSL_GNUTLS / +USE_SSL_OPENSSL) and the version."""
    out = run([binary, '-v']) or ''
    first = out.strip().splitlines()[0] if out.strip() else ''
    info = {'version_text': first[:80] or None}
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', first)
    if match and 'neomutt' not in first.lower():
        info['version'] = tuple(int(g) for g in match.groups() if g is not None)
    if '+USE_SSL_GNUTLS' in out:
        info['library'], info['library_source'] = 'gnutls', '%s -v: +USE_SSL_GNUTLS' % binary
    elif '+USE_SSL_OPENSSL' in out:
        info['library'], info['library_source'] = 'openssl', '%s -v: +USE_SSL_OPENSSL' % binary
    return info


def mutt_context(toolbox, client='mutt'):
    """``<client>_defaults_modern``: TLS 1.0/1.1 off by default (mutt 2.0 and newer; NeoMutt releases from 2020 on,
    measured with NeoMutt 20220429), None when the version is unknown."""
    info = toolbox.info(client)
    modern = None
    if client == 'mutt' and info.get('version'):
        modern = tuple(info['version'][:2]) >= (2, 0)
    elif client == 'neomutt':
        match = re.search(r'NeoMutt (\d{8})', info.get('version_text') or '')
        modern = (int(match.group(1)) >= 20200000) if match else None
    return {'%s_defaults_modern' % client: modern, '%s_library' % client: info.get('library')}


def configures_client(entry):
    """A muttrc without any TLS setting or server (e.g. the distribution's /etc/Muttrc) is not a client."""
    return bool(entry['servers']) or any(ev.get('value') is not None for p in PROTOS for ev in entry['versions'][p][2])


def parse_for(fmt):
    def _parse(text, context):
        parsed = parse_mutt(text, fmt)
        if not any(configures_client(e) for e in parsed.entries):
            # Nothing here depends on the installed program: do not ask it (a version check is a process).
            for entry in parsed.entries:
                entry['bounds'], entry['program'] = None, fmt
            return parsed
        parsed = parse_mutt(text, fmt, context.get('%s_defaults_modern' % fmt, context.get('mutt_defaults_modern')))
        # With GnuTLS mutt builds its own priority string from ssl_use_*, which only [overrides] binds;
        # the OpenSSL build switches versions off with SSL_OP_NO_*, so the system minimum still applies.
        bounds = 'library' if context.get('%s_library' % fmt) == 'openssl' else 'own'
        for entry in parsed.entries:
            entry['bounds'] = bounds
            entry['program'] = fmt
        return parsed
    return _parse


def detect_mutt(path, text):
    if re.search(r'^\s*set\s+(ssl_|imap_|smtp_url|folder|spoolfile)', text, re.M):
        return 'mutt'
    return None


MUTT_OAUTH = "set imap_authenticators=\"oauthbearer:xoauth2\" and imap_oauth_refresh_command (smtp_/pop_ equivalents) to a token helper"
MUTT_PASSWORD = 'use a command substitution such as set imap_pass=`pass show mail`, or an OAuth2 refresh command'

DESCRIPTOR = Descriptor(
    name='mutt',
    formats={'mutt': parse_for('mutt')},
    user_files=(('mutt', '.muttrc'), ('mutt', '.mutt/muttrc'), ('mutt', '.config/mutt/muttrc')),
    system_files=(('mutt', '/etc/Muttrc'), ('mutt', '/etc/Muttrc.d/*.rc')),
    binaries=('mutt',),
    library='gnutls',
    inspect=inspect_mutt,
    secret_keys=_MUTT_SECRET_VARS,
    bounds_doc='mutt with GnuTLS passes its own priority string built from ssl_use_* (only GnuTLS [overrides] bind it); '
               'the OpenSSL build removes versions with SSL_OP_NO_*, so the OpenSSL minimum still applies.',
    plan=plan_mutt,
    detect=detect_mutt,
    context=mutt_context,
    oauth_help=MUTT_OAUTH,
    password_help=MUTT_PASSWORD,
)


def mutt_sources(path, home, depth=2, as_uid=None, max_bytes=1024 * 1024):
    """Files a muttrc sources (one or two levels), limited to the user's home and to what the user can read."""
    from ansible_collections.mailtls.remediation.plugins.module_utils._clients._files import read_client_file
    out = []
    result = read_client_file(path, max_bytes, as_uid=as_uid)
    if result.data is None or depth <= 0:
        return out
    for match in re.finditer(r'''^[ \t]*source[ \t]+("[^"\n]+"|'[^'\n]+'|\S+)''', decode(result.data), re.M):
        target = match.group(1).strip('"\'')
        if target.endswith('|') or '`' in target:
            continue
        target = target.replace('~', home, 1) if target.startswith('~') else target
        if not os.path.isabs(target):
            target = os.path.join(os.path.dirname(path), target)
        real = os.path.realpath(target)
        if real.startswith(os.path.realpath(home) + os.sep) and os.path.isfile(real):
            out.append(target)
            out.extend(mutt_sources(target, home, depth - 1, as_uid, max_bytes))
    return out
