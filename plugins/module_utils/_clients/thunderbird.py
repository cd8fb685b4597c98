# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Thunderbird (profiles.ini, prefs.js, user.js, enterprise policies.json): readers, editors, profile gathering and descriptor.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import os

from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    Edit,
    LABELS,
    PROTOS,
    Parsed,
    _DEFAULT_PORTS,
    _append_block,
    _ini_get,
    _split_lines,
    below,
    decode,
    is_legacy_endpoint,
    legacy_target,
    new_entry,
    parse_ini,
    rank,
    server)
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


_PREF_LINE = lazy_re(r'''^[ \t]*(user_pref|pref|sticky_pref|lockPref)[ \t]*\([ \t]*("(?:\\.|[^"\\])*")[ \t]*,[ \t]*'''
                     r'''("(?:\\.|[^"\\])*"|-?[0-9]+|true|false)[ \t]*\)[ \t]*;[ \t]*(?://[^\n]*)?\r?$''')
TB_VERSION_NUMBERS = {0: 'ssl3', 1: 'tls1_0', 2: 'tls1_1', 3: 'tls1_2', 4: 'tls1_3'}
TB_NUMBER_OF = dict((v, k) for k, v in TB_VERSION_NUMBERS.items())
TB_DEFAULT_MIN = 3
TB_DEFAULT_MAX = 4


def _js_string(tok):
    inner = tok[1:-1]
    return re.sub(r'\\(.)', r'\1', inner)


def parse_prefs(text, fmt='thunderbird_prefs'):
    """prefs.js or user.js: one preference call per line, comments (# // /* */) around them."""
    parsed = Parsed(fmt, text)
    prefs = {}
    in_block = False
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if in_block:
            if '*/' in stripped:
                in_block = False
            continue
        if not stripped or stripped.startswith('//') or stripped.startswith('#'):
            continue
        if stripped.startswith('/*'):
            in_block = '*/' not in stripped[2:]
            continue
        match = _PREF_LINE.match(raw)
        if not match:
            parsed.errors.append('line %d: not a pref("name", value); line' % parsed.line_of(start))
            return parsed
        name = _js_string(match.group(2))
        raw_value = match.group(3)
        if raw_value.startswith('"'):
            value = _js_string(raw_value)
        elif raw_value in ('true', 'false'):
            value = raw_value == 'true'
        else:
            value = int(raw_value)
        prefs[name] = {'value': value, 'raw': raw_value, 'span': (start + match.start(3), start + match.end(3)),
                       'line': parsed.line_of(start), 'fn': match.group(1)}
    parsed.extra['prefs'] = prefs
    return parsed


def thunderbird_entries(parsed_prefs, parsed_user=None, policies=None, version=None):
    """One entry per mail account in a profile; TLS versions from user.js over prefs.js over policies over defaults."""
    prefs = dict(parsed_prefs.extra.get('prefs', {})) if parsed_prefs is not None else {}
    user = parsed_user.extra.get('prefs', {}) if parsed_user is not None else {}
    merged = dict((k, (v, parsed_prefs)) for k, v in prefs.items())
    for key, value in user.items():
        merged[key] = (value, parsed_user)
    entries = []
    servers = {}
    smtp = {}
    for key, (item, unused) in merged.items():
        match = re.match(r'^mail\.server\.(server\d+)\.(hostname|port|type|socketType|authMethod|realhostname)$', key)
        if match:
            servers.setdefault(match.group(1), {})[match.group(2)] = item
        match = re.match(r'^mail\.smtpserver\.(smtp\d+)\.(hostname|port|try_ssl|authMethod)$', key)
        if match:
            smtp.setdefault(match.group(1), {})[match.group(2)] = item

    low, high, why = thunderbird_range(merged, policies, version)
    accounts = []
    for name in sorted(servers):
        fields = servers[name]
        stype = fields.get('type', {}).get('value')
        if stype in (None, 'none', 'rss', 'nntp', 'movemail') or 'hostname' not in fields:
            continue
        service = 'pop3' if stype == 'pop3' else 'imap'
        sock = fields.get('socketType', {}).get('value', 0)
        mode = {3: 'implicit', 2: 'starttls', 0: 'plain', 1: 'starttls'}.get(sock, 'unknown')
        host_item = fields.get('realhostname') or fields['hostname']
        port = fields.get('port', {}).get('value') or _DEFAULT_PORTS[(service, mode == 'implicit')]
        accounts.append((name, service, mode, host_item, port, fields.get('authMethod', {}).get('value')))
    for name in sorted(smtp):
        fields = smtp[name]
        if 'hostname' not in fields:
            continue
        sock = fields.get('try_ssl', {}).get('value', 0)
        mode = {3: 'implicit', 2: 'starttls', 1: 'starttls', 0: 'plain'}.get(sock, 'unknown')
        port = fields.get('port', {}).get('value') or (465 if mode == 'implicit' else 587)
        accounts.append((name, 'smtp', mode, fields['hostname'], port, fields.get('authMethod', {}).get('value')))
    for name, service, mode, host_item, port, auth in accounts:
        entry = new_entry(name, host_item['line'])
        entry['servers'].append(server(host_item['value'], port if isinstance(port, int) else None, service, mode, host_item['line'], host_item['span']))
        entry['host_item'] = host_item
        entry['auth'] = 'oauth' if auth == 10 else ('none' if auth == 1 else 'password')
        entry['settings'] = {'authMethod': auth}
        entry['plain'] = mode == 'plain'
        for proto in PROTOS:
            entry['versions'][proto] = ('on' if rank(low) <= rank(proto) <= rank(high) else 'off', why, [])
        entries.append(entry)
    return entries, (low, high, why)


def thunderbird_range(merged, policies=None, version=None):
    def num(key):
        item = merged.get(key)
        if item is None or not isinstance(item[0]['value'], int) or isinstance(item[0]['value'], bool):
            return None
        return item[0]['value']

    low_n = num('security.tls.version.min')
    high_n = num('security.tls.version.max')
    notes = []
    pol_min = policies.get('min') if policies else None
    pol_max = policies.get('max') if policies else None
    if low_n is None:
        if pol_min is not None:
            low = pol_min
            notes.append('SSLVersionMin %s from policies.json' % LABELS[pol_min])
        else:
            legacy_default = version is not None and tuple(version[:1]) < (78,)
            low = 'tls1_0' if legacy_default else TB_VERSION_NUMBERS[TB_DEFAULT_MIN]
            notes.append('security.tls.version.min not set (Thunderbird %s default %s)' % ('before 78' if legacy_default else '78+', LABELS[low]))
    else:
        low = TB_VERSION_NUMBERS.get(max(0, min(4, low_n)))
        notes.append('security.tls.version.min = %d' % low_n)
    if high_n is None:
        high = pol_max or 'tls1_3'
        notes.append('security.tls.version.max %s' % ('from policies.json' if pol_max else 'not set (default TLS 1.3)'))
    else:
        high = TB_VERSION_NUMBERS.get(max(0, min(4, high_n)))
        notes.append('security.tls.version.max = %d' % high_n)
    deprecated = merged.get('security.tls.version.enable-deprecated')
    if deprecated is not None and deprecated[0]['value'] is True and rank(low) > rank('tls1_0'):
        low = 'tls1_0'
        notes.append('security.tls.version.enable-deprecated = true re-enables TLS 1.0 and 1.1')
    return low, high, '; '.join(notes)


def plan_prefs(parsed, options):
    """Edits for one prefs.js / user.js: raise min, lift a low max, drop enable-deprecated."""
    minimum = options['min_protocol']
    prefs = parsed.extra.get('prefs', {})
    edits = []
    if options.get('file_change') is False:
        return _prefs_endpoint_edits(prefs, options)
    want = TB_NUMBER_OF[minimum]
    item = prefs.get('security.tls.version.min')
    if item is not None and isinstance(item['value'], int) and not isinstance(item['value'], bool) and item['value'] < want:
        edits.append(Edit(item['span'][0], item['span'][1], str(want), item['line'], 'security.tls.version.min %s -> %d' % (item['raw'], want)))
    elif item is None and minimum == 'tls1_3' and options.get('add_missing_min', True) and parsed.fmt == 'thunderbird_prefs':
        edit = _append_block(parsed.text, ['user_pref("security.tls.version.min", %d);' % want])
        edit.line = parsed.line_of(len(parsed.text)) + 1
        edit.description = 'added security.tls.version.min = %d' % want
        edits.append(edit)
    item = prefs.get('security.tls.version.max')
    if item is not None and isinstance(item['value'], int) and not isinstance(item['value'], bool) and item['value'] < want:
        edits.append(Edit(item['span'][0], item['span'][1], str(TB_DEFAULT_MAX), item['line'],
                          'security.tls.version.max %s -> %d' % (item['raw'], TB_DEFAULT_MAX)))
    item = prefs.get('security.tls.version.enable-deprecated')
    if item is not None and item['value'] is True:
        edits.append(Edit(item['span'][0], item['span'][1], 'false', item['line'], 'security.tls.version.enable-deprecated true -> false'))
    return edits + _prefs_endpoint_edits(prefs, options)


def _prefs_endpoint_edits(prefs, options):
    edits = []
    if options.get('move_legacy_endpoints'):
        for key, item in prefs.items():
            if re.match(r'^mail\.(server\.server\d+\.(hostname|realhostname)|smtpserver\.smtp\d+\.hostname)$', key) and isinstance(item['value'], str) \
                    and is_legacy_endpoint(item['value']):
                new = legacy_target(item['value'])
                edits.append(Edit(item['span'][0], item['span'][1], '"%s"' % new, item['line'], '%s %s -> %s' % (key, item['value'], new)))
    return edits


# policies.json: a small JSON scanner that keeps offsets of string values

_JSON_WS = lazy_re(r'[ \t\r\n]*')
_JSON_STR = lazy_re(r'"(?:\\.|[^"\\])*"', re.S)
_JSON_NUM = lazy_re(r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?')
POLICY_VERSIONS = {'tls1': 'tls1_0', 'tls1.1': 'tls1_1', 'tls1.2': 'tls1_2', 'tls1.3': 'tls1_3'}
POLICY_NAME_OF = dict((v, k) for k, v in POLICY_VERSIONS.items())


class _JsonError(ValueError):
    pass


MAX_JSON_DEPTH = 64


def _json_value(text, pos, path, found):
    if len(path) > MAX_JSON_DEPTH:
        raise _JsonError('nested deeper than %d levels at offset %d' % (MAX_JSON_DEPTH, pos))
    pos = _JSON_WS.match(text, pos).end()
    if pos >= len(text):
        raise _JsonError('unexpected end')
    char = text[pos]
    if char == '{':
        pos += 1
        pos = _JSON_WS.match(text, pos).end()
        if text[pos:pos + 1] == '}':
            return pos + 1
        while True:
            pos = _JSON_WS.match(text, pos).end()
            match = _JSON_STR.match(text, pos)
            if not match:
                raise _JsonError('expected a key at offset %d' % pos)
            key = _js_string(match.group(0))
            pos = _JSON_WS.match(text, match.end()).end()
            if text[pos:pos + 1] != ':':
                raise _JsonError('expected : at offset %d' % pos)
            pos = _json_value(text, pos + 1, path + (key,), found)
            pos = _JSON_WS.match(text, pos).end()
            if text[pos:pos + 1] == ',':
                pos += 1
                continue
            if text[pos:pos + 1] == '}':
                return pos + 1
            raise _JsonError('expected , or } at offset %d' % pos)
    if char == '[':
        pos += 1
        pos = _JSON_WS.match(text, pos).end()
        if text[pos:pos + 1] == ']':
            return pos + 1
        index = 0
        while True:
            pos = _json_value(text, pos, path + (index,), found)
            pos = _JSON_WS.match(text, pos).end()
            index += 1
            if text[pos:pos + 1] == ',':
                pos += 1
                continue
            if text[pos:pos + 1] == ']':
                return pos + 1
            raise _JsonError('expected , or ] at offset %d' % pos)
    if char == '"':
        match = _JSON_STR.match(text, pos)
        if not match:
            raise _JsonError('unterminated string')
        found[path] = (_js_string(match.group(0)), match.start(), match.end())
        return match.end()
    for literal, value in (('true', True), ('false', False), ('null', None)):
        if text.startswith(literal, pos):
            found[path] = (value, pos, pos + len(literal))
            return pos + len(literal)
    match = _JSON_NUM.match(text, pos)
    if match and match.end() > pos:
        found[path] = (match.group(0), pos, match.end())
        return match.end()
    raise _JsonError('unexpected character at offset %d' % pos)


def parse_policies(text):
    parsed = Parsed('thunderbird_policies', text)
    found = {}
    try:
        start = 1 if text.startswith('\ufeff') else 0
        end = _json_value(text, start, (), found)
        if text[end:].strip():
            raise _JsonError('trailing data after the JSON document')
    except _JsonError as exc:
        parsed.errors.append('not valid JSON: %s' % exc)
        return parsed
    policies = {}
    for key in ('SSLVersionMin', 'SSLVersionMax'):
        item = found.get(('policies', key))
        if item is not None:
            policies[key] = {'value': item[0], 'span': (item[1], item[2]), 'line': parsed.line_of(item[1])}
    parsed.extra['policies'] = policies
    parsed.extra['range'] = {
        'min': POLICY_VERSIONS.get(str(policies.get('SSLVersionMin', {}).get('value', '')).lower()),
        'max': POLICY_VERSIONS.get(str(policies.get('SSLVersionMax', {}).get('value', '')).lower()),
    }
    return parsed


def plan_policies(parsed, options):
    minimum = options['min_protocol']
    edits = []
    if options.get('file_change') is False:
        return edits
    policies = parsed.extra.get('policies', {})
    rng = parsed.extra.get('range', {})
    item = policies.get('SSLVersionMin')
    if item is not None and rng.get('min') and below(rng['min'], minimum):
        new = POLICY_NAME_OF[minimum]
        edits.append(Edit(item['span'][0], item['span'][1], '"%s"' % new, item['line'], 'SSLVersionMin %s -> %s' % (item['value'], new)))
    item = policies.get('SSLVersionMax')
    if item is not None and rng.get('max') and below(rng['max'], minimum):
        edits.append(Edit(item['span'][0], item['span'][1], '"tls1.3"', item['line'], 'SSLVersionMax %s -> tls1.3' % item['value']))
    return edits


def parse_profiles_ini(text):
    """Thunderbird profiles.ini: every [Profile*] with Path and IsRelative."""
    parsed = Parsed('thunderbird_profiles', text)
    sections = parse_ini(parsed, ())
    profiles = []
    for sec in sections:
        if not sec['name'].lower().startswith('profile'):
            continue
        path = _ini_get(sec, 'path')
        if path is None:
            continue
        rel = _ini_get(sec, 'isrelative')
        name = _ini_get(sec, 'name')
        profiles.append({'section': sec['name'], 'name': name['value'] if name else sec['name'], 'path': path['value'],
                         'relative': rel is not None and rel['value'].strip() == '1', 'line': path['line']})
    parsed.extra['profiles'] = profiles
    return parsed


def thunderbird_profile_files(profiles_ini, max_bytes=1024 * 1024, as_uid=None):
    """prefs.js / user.js of every profile listed in profiles.ini (relative and absolute paths), read with ``as_uid``'s rights."""
    from ansible_collections.mailtls.remediation.plugins.module_utils._clients._files import read_client_file
    out = []
    result = read_client_file(profiles_ini, max_bytes, as_uid=as_uid)
    if result.data is None:
        return out
    parsed = parse_profiles_ini(decode(result.data))
    base = os.path.dirname(profiles_ini)
    for profile in parsed.extra.get('profiles', []):
        folder = profile['path']
        if profile['relative']:
            folder = os.path.join(base, folder.replace('\\', '/'))
        for name, fmt in (('prefs.js', 'thunderbird_prefs'), ('user.js', 'thunderbird_user')):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                out.append({'path': path, 'format': fmt, 'profile': profile['name'], 'profiles_ini': profiles_ini})
    return out


def system_policies(inv, candidates, max_file_bytes):
    best = {}
    for cand in candidates:
        if cand['format'] != 'thunderbird_policies':
            continue
        text, unused = inv._read_text(cand['path'], max_file_bytes)
        if text is None:
            continue
        parsed = parse_policies(text)
        if parsed.ok:
            rng = parsed.extra['range']
            for key in ('min', 'max'):
                if rng.get(key) and key not in best:
                    best[key] = rng[key]
                    best[key + '_path'] = cand['path']
    return best


def policies_entry(parsed):
    """The enterprise policy as one entry (None when it sets no TLS version)."""
    rng = parsed.extra['range']
    if not rng.get('min') and not rng.get('max'):
        return None
    entry = new_entry('policies.json', 1)
    low = rng.get('min') or 'tls1_2'
    high = rng.get('max') or 'tls1_3'
    ev = [{'line': v['line'], 'key': k, 'value': v['value']} for k, v in parsed.extra['policies'].items()]
    for proto in PROTOS:
        entry['versions'][proto] = ('on' if rank(low) <= rank(proto) <= rank(high) else 'off',
                                    'enterprise policy SSLVersionMin/SSLVersionMax %s..%s' % (LABELS[low], LABELS[high]), ev)
    entry['auth'] = None
    entry['bounds'] = 'own'
    entry['program'] = 'Thunderbird'
    entry['key'] = 'policies.json'
    return entry


def _plan_summary(inv, files, change, options):
    """The posture plan of a profile or policy: what mail_client_tls would change in each of its files."""
    if not change:
        return {'change': False, 'files': [], 'note': None}
    out = []
    for path, parsed in files:
        edits, unused = inv.plan_parsed(parsed, {}, options, True)
        if edits:
            out.append({'path': path, 'changes': inv._change_lines(edits)})
    return {'change': True, 'files': out, 'note': None if out else 'no preference to change; the profile defaults decide'}


def gather_policies(inv, document, cand, parsed, toolbox):
    info = toolbox.info('thunderbird')
    entry = policies_entry(parsed)
    if entry is None:
        return
    decision = inv.entry_decision(document, entry, info.get('library'), cand['path'])
    record = inv.build_client(document, 'thunderbird', cand['user'], cand['path'], entry, info, {'kind': 'enterprise policy'}, decision)
    record['plan'] = _plan_summary(inv, [(cand['path'], parsed)], decision['change'], inv._options())
    document['clients'].append(record)
    inv.client_findings(document, record, entry)


def _thunderbird_version(folder):
    result = read_file(os.path.join(folder, 'compatibility.ini'), max_bytes=65536)
    if result.data is None:
        return None
    match = re.search(r'^LastVersion=(\d+)\.(\d+)', decode(result.data), re.M)
    return (int(match.group(1)), int(match.group(2))) if match else None


def profile_entry(inv, document, folder, item, policies, max_file_bytes, report=True):
    """(profile entry, account entries, {fmt: parsed}, version) of one profile folder, or None when nothing is readable."""
    parsed = {}
    as_uid = item.get('uid') if os.geteuid() == 0 and item.get('user') else None
    for fmt in ('thunderbird_prefs', 'thunderbird_user'):
        path = item.get(fmt)
        if not path:
            continue
        text, result = inv._read_text(path, max_file_bytes, as_uid)
        if text is None:
            if report:
                inv._unparsable(document, 'thunderbird', path, '%s: %s' % (result.status, result.error))
            continue
        one = parse_prefs(text, fmt)
        if not one.ok:
            if report:
                inv._unparsable(document, 'thunderbird', path, '; '.join(one.errors))
            continue
        parsed[fmt] = one
    if 'thunderbird_prefs' not in parsed and 'thunderbird_user' not in parsed:
        return None
    version = _thunderbird_version(folder)
    entries, rng = thunderbird_entries(parsed.get('thunderbird_prefs'), parsed.get('thunderbird_user'), policies, version)
    entry = new_entry('profile', 1)
    low, high, why = rng
    for proto in PROTOS:
        entry['versions'][proto] = ('on' if rank(low) <= rank(proto) <= rank(high) else 'off', why, _tb_evidence(parsed))
    for one in entries:
        entry['servers'].extend(one['servers'])
    entry['bounds'] = 'own'
    entry['program'] = 'Thunderbird'
    entry['key'] = 'profile'
    entry['range'] = (low, high)
    return entry, entries, parsed, version


def gather_profile(inv, document, folder, item, policies, toolbox, max_file_bytes):
    info = toolbox.info('thunderbird')
    found = profile_entry(inv, document, folder, item, policies, max_file_bytes)
    if found is None:
        return
    entry, entries, parsed, version = found
    low, high = entry['range']
    prefs_path = item.get('thunderbird_prefs') if 'thunderbird_prefs' in parsed else item.get('thunderbird_user')
    extra = {'profile': folder, 'user_js': item.get('thunderbird_user'), 'security.tls.version.min': TB_NUMBER_OF.get(low),
             'security.tls.version.max': TB_NUMBER_OF.get(high)}
    if version:
        extra['client_version'] = '%d.%d' % version
    if os.path.lexists(os.path.join(folder, 'lock')) or os.path.lexists(os.path.join(folder, '.parentlock')):
        extra['maybe_running'] = True
    decision = inv.entry_decision(document, entry, info.get('library'), prefs_path)
    record = inv.build_client(document, 'thunderbird', item['user'], prefs_path, entry, info, extra, decision)
    record['plan'] = _plan_summary(inv, [(item[fmt], one) for fmt, one in sorted(parsed.items())], decision['change'], inv._options())
    document['clients'].append(record)
    inv.client_findings(document, record, entry)
    for one in entries:
        # basic-auth findings are per account
        if one['auth'] == 'password':
            sub = dict(record, servers=inv._public_servers(one))
            inv.client_findings(document, sub, dict(one, passwords=[]))


def file_change(inv, document, path, fmt, parsed, toolbox, max_file_bytes, minimum):
    """Whether the profile (or policy) this file belongs to needs a change: the posture's decision for it."""
    info = toolbox.info('thunderbird')
    if fmt == 'thunderbird_policies':
        entry = policies_entry(parsed)
        return entry is not None and inv.entry_decision(document, entry, info.get('library'), path, minimum)['change']
    folder = os.path.dirname(path)
    item = {'user': None}
    for name, one_fmt in (('prefs.js', 'thunderbird_prefs'), ('user.js', 'thunderbird_user')):
        if os.path.isfile(os.path.join(folder, name)):
            item[one_fmt] = os.path.join(folder, name)
    candidates = [{'format': f, 'path': p} for f, p in DESCRIPTOR.system_files]
    policies = system_policies(inv, [c for c in candidates if os.path.isfile(c['path'])], max_file_bytes)
    found = profile_entry(inv, document, folder, item, policies, max_file_bytes, report=False)
    if found is None:
        return True
    return inv.entry_decision(document, found[0], info.get('library'), path, minimum)['change']


def _tb_evidence(parsed):
    out = []
    for fmt, one in parsed.items():
        for key in ('security.tls.version.min', 'security.tls.version.max', 'security.tls.version.enable-deprecated'):
            item = one.extra.get('prefs', {}).get(key)
            if item is not None:
                out.append({'line': item['line'], 'key': key, 'value': item['value'], 'note': fmt})
    return out


def _parse_prefs(fmt):
    def _parse(text, context):
        return parse_prefs(text, fmt)
    return _parse


def _parse_policies(text, context):
    return parse_policies(text)


def _parse_profiles(text, context):
    return parse_profiles_ini(text)


def plan_thunderbird(parsed, options):
    if parsed.fmt == 'thunderbird_policies':
        return plan_policies(parsed, options)
    if parsed.fmt in ('thunderbird_prefs', 'thunderbird_user'):
        return plan_prefs(parsed, options)
    return []


def detect_thunderbird(path, text):
    base = os.path.basename(path).lower()
    named = {'prefs.js': 'thunderbird_prefs', 'user.js': 'thunderbird_user', 'policies.json': 'thunderbird_policies',
             'profiles.ini': 'thunderbird_profiles'}
    if base in named:
        return named[base]
    if text is not None and re.search(r'^\s*user_pref\(', text, re.M):
        return 'thunderbird_prefs'
    return None


def expand(path, fmt, max_bytes=1024 * 1024):
    """A profiles.ini stands for the prefs.js / user.js of its profiles; a profile folder for its own."""
    if os.path.isdir(path):
        return [{'path': os.path.join(path, name), 'format': f} for name, f in (('prefs.js', 'thunderbird_prefs'), ('user.js', 'thunderbird_user'))
                if os.path.isfile(os.path.join(path, name))]
    if fmt == 'thunderbird_profiles':
        return [{'path': item['path'], 'format': item['format']} for item in thunderbird_profile_files(path, max_bytes)]
    return None


DESCRIPTOR = Descriptor(
    name='thunderbird',
    formats={'thunderbird_prefs': _parse_prefs('thunderbird_prefs'), 'thunderbird_user': _parse_prefs('thunderbird_user'),
             'thunderbird_policies': _parse_policies, 'thunderbird_profiles': _parse_profiles},
    editable=('thunderbird_prefs', 'thunderbird_user', 'thunderbird_policies'),
    user_files=(('thunderbird_profiles', '.thunderbird/profiles.ini'), ('thunderbird_profiles', '.mozilla-thunderbird/profiles.ini'),
                ('thunderbird_profiles', 'snap/thunderbird/common/.thunderbird/profiles.ini'),
                ('thunderbird_profiles', '.var/app/org.mozilla.Thunderbird/.thunderbird/profiles.ini')),
    system_files=(('thunderbird_policies', '/etc/thunderbird/policies/policies.json'),
                  ('thunderbird_policies', '/usr/lib/thunderbird/distribution/policies.json')),
    binaries=('thunderbird',),
    library='nss',
    secret_keys=('signon', 'password'),
    bounds_doc='Thunderbird (bundled NSS) takes security.tls.version.min/max from the profile or the enterprise policy; '
               'no run of Thunderbird backs this here: the prediction rests on fixtures and documentation.',
    plan=plan_thunderbird,
    detect=detect_thunderbird,
    oauth_help="OAuth2 is built in: set the account's authentication method to OAuth2 (authMethod 10)",
)
