# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: mail client inventory and remediation planning, driven by the client registry.

Everything about one client lives in its module under ``_clients/`` (its
``DESCRIPTOR``); this module only walks the registry:

``gather_mail_clients(document, ...)``
    finds the files of every client for every local user (home directories from
    the passwd database) and the system-wide files, and adds one client record
    per account/profile to the posture document: what the client negotiates
    (``_clients/_decide.decide``: its own settings and bounds with the system
    policy of its TLS library), structured ``conditions`` (``{'kx': ['rsa']}``),
    ``bounds`` (``own`` = allows what it allows whatever the system policy
    says), and ``plan``: what a run of ``mail_client_tls`` would change.
``plan_file(...)``
    what ``mail_client_tls`` applies: the same parse, the same decision, the
    same planner, so the posture's plan and the module's change are one.
``clients_from_windows_raw(raw, document=None)``
    interprets what the Windows reader gathered.

No password or token value is ever put into a result: passwords are reported
by file, line and key, and diffs mask them (also on commented-out lines).

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re
import stat
import subprocess
import sys

from collections import ChainMap
from collections.abc import Mapping

from ansible_collections.mailtls.remediation.plugins.module_utils import _clients as cl
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import _decide
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import mutt as _mutt
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import scripts as _scripts
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import thunderbird as _tb
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    BACKUP_DIR, client_id, entry_keys, secret_key_spans, secret_line_spans)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._files import edit_target, read_client_file
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import sha256_bytes

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
COMMAND_TIMEOUT = 5

CLIENT_NAMES = cl.CLIENT_NAMES
client_of = cl.client_of
scan_scripts = _scripts.scan_scripts
scan_text_for_pins = _scripts.scan_text_for_pins
thunderbird_profile_files = _tb.thunderbird_profile_files

FINDINGS = {
    'client_legacy_endpoint': {
        'severity': 'high', 'effect': 'will_fail',
        'title': '{client} uses the closing endpoint {host}',
        'remediation': 'Point it at {target} (mailtls.remediation.mail_client_tls with move_legacy_endpoints=true).',
    },
    'client_cleartext_password': {
        'severity': 'medium', 'effect': 'none',
        'title': '{client} stores a password in clear ({where})',
        'remediation': 'Keep the secret out of the file: {how}.',
    },
    'client_exo_basic_auth': {
        'severity': 'high', 'effect': 'will_fail',
        'title': '{client} logs in to Exchange Online {service} with a password; basic authentication is retired there',
        'remediation': 'Switch to OAuth2: {oauth}',
    },
    'client_exo_basic_auth_smtp': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{client} uses SMTP AUTH with a password against Exchange Online; its basic authentication is being retired',
        'remediation': 'Switch to OAuth2: {oauth}',
    },
    'client_no_usable_protocol': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': '{client} can negotiate no TLS version at all',
        'remediation': 'Its own pin and the system policy of {library} exclude each other; let the client use TLS 1.2 or newer '
                       '(mailtls.remediation.mail_client_tls).',
    },
    'client_tls_disabled': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{client} talks to {host} without TLS',
        'remediation': 'Turn TLS on (implicit TLS on 993/995/465 or STARTTLS); Exchange Online requires TLS 1.2.',
    },
    'client_config_unparsable': {
        'severity': 'low', 'effect': 'unknown',
        'title': 'A {client} configuration could not be read or understood',
        'remediation': 'Check the file by hand; mail_client_tls leaves it untouched.',
    },
    'client_own_bounds_legacy': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{client} sets its own protocol bounds and negotiates {protocols} whatever the system policy says',
        'remediation': '{fix}',
    },
    'script_pins_legacy_tls': {
        'severity': 'high', 'effect': 'will_fail',
        'title': 'A script pins {what}',
        'remediation': '{fix}',
    },
    'script_allows_legacy_tls': {
        'severity': 'low', 'effect': 'at_risk',
        'title': 'A script may negotiate legacy TLS: {what}',
        'remediation': '{fix}',
    },
    'script_legacy_endpoint': {
        'severity': 'high', 'effect': 'will_fail',
        'title': 'A script uses the closing endpoint {host}',
        'remediation': 'Use outlook.office365.com (IMAP/POP) or smtp.office365.com (SMTP) instead.',
    },
}
_posture.register_findings(FINDINGS)

OAUTH_HELP = dict((d.name, d.oauth_help) for d in cl.DESCRIPTORS if d.oauth_help)
OAUTH_HELP['outlook'] = 'use Modern Authentication (enabled by default in Office 2016 and later)'
PASSWORD_HELP = dict((d.name, d.password_help) for d in cl.DESCRIPTORS if d.password_help)

# ---------------------------------------------------------------------------
# binaries, libraries and versions of the installed clients
# ---------------------------------------------------------------------------

_SEARCH_PATH = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/lib/thunderbird', '/opt/thunderbird')


def _which(name):
    for folder in _SEARCH_PATH + tuple(os.environ.get('PATH', '').split(os.pathsep)):
        if not folder:
            continue
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _run(argv, timeout=COMMAND_TIMEOUT):
    env = dict(os.environ, LC_ALL='C', LANG='C')
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.decode('utf-8', 'replace')[:65536]


def _version_tuple(text):
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


class Toolbox(object):
    """Finds each client's binary, library and version once per run (the descriptor says how)."""

    def __init__(self, runner=None, which=None):
        self._run = runner or _run
        self._which = which or _which
        self._cache = {}

    def info(self, client):
        if client in self._cache:
            return self._cache[client]
        desc = cl.BY_NAME.get(client)
        info = {'client': client, 'binary': None, 'library': desc.library if desc else None,
                'library_source': 'distribution default (client not installed or not inspected)', 'version': None}
        binary = None
        for name in (desc.binaries if desc else ()):
            binary = self._which(name)
            if binary:
                break
        info['binary'] = binary
        if binary:
            found = desc.inspect(binary, self._run) if desc.inspect else {}
            info.update(dict((k, v) for k, v in (found or {}).items() if v is not None))
            if not (found or {}).get('library'):
                lib = self._ldd(binary)
                if lib:
                    info['library'], info['library_source'] = lib, 'ldd %s' % binary
        self._cache[client] = info
        return info

    def _ldd(self, binary):
        out = self._run(['ldd', binary])
        if not out:
            return None
        if 'libgnutls' in out:
            return 'gnutls'
        if 'libnss3' in out:
            return 'nss'
        if 'libssl' in out:
            return 'openssl'
        return None


class ClientContext(Mapping):
    """What the parsers and planners need to know about the installed programs (versions, libraries).

    Asked on first use: a key belongs to the client whose name prefixes it
    (``mbsync_version``), and its first lookup runs that client's ``context``
    once.  Asking a binary costs a process or three (``ldd``), so a host whose
    only mail client file is the distribution's ``/etc/Muttrc`` asks none.
    """

    def __init__(self, toolbox):
        self._toolbox = toolbox
        self._values = {}
        self._loaded = set()

    def _owner(self, key):
        owners = [d for d in cl.DESCRIPTORS if d.context is not None and key.startswith(d.name + '_')]
        return max(owners, key=lambda d: len(d.name)) if owners else None

    def _load(self, desc):
        if desc.name not in self._loaded:
            self._loaded.add(desc.name)
            self._values.update(desc.context(self._toolbox))

    def __getitem__(self, key):
        if key not in self._values:
            desc = self._owner(key)
            if desc is not None:
                self._load(desc)
        return self._values[key]

    def __iter__(self):
        for desc in cl.DESCRIPTORS:
            if desc.context is not None:
                self._load(desc)
        return iter(list(self._values))

    def __len__(self):
        return len(list(iter(self)))

    def __bool__(self):
        return True

    @property
    def asked(self):
        """The clients whose programs were asked so far (for tests and cost checks)."""
        return sorted(self._loaded)


def client_context(toolbox):
    return ClientContext(toolbox)


def remediation_context(toolbox=None):
    return client_context(toolbox or Toolbox())


# ---------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------

USER_FILES = tuple(item for d in cl.DESCRIPTORS for item in d.user_files)
SYSTEM_FILES = tuple(item for d in cl.DESCRIPTORS for item in d.system_files)
_BY_BASENAME = {}
for _fmt, _pattern in USER_FILES + SYSTEM_FILES:
    _base_name = os.path.basename(_pattern).lower()
    if not any(c in _base_name for c in '*?['):
        _BY_BASENAME.setdefault(_base_name, _fmt)
        _BY_BASENAME.setdefault(_base_name.lstrip('.'), _fmt)
_BY_BASENAME.update({'muttrc.local': 'mutt', 'mbsyncrc': 'mbsync', 'isyncrc': 'mbsync', 'prefs.js': 'thunderbird_prefs',
                     'user.js': 'thunderbird_user', 'policies.json': 'thunderbird_policies', 'profiles.ini': 'thunderbird_profiles'})


def detect_format(path, data=None):
    """Guess the format of an explicitly named file; None when unknown (or a backup of this collection)."""
    if os.path.basename(os.path.dirname(path)) == BACKUP_DIR:
        return None
    base = os.path.basename(path).lower()
    parent = os.path.basename(os.path.dirname(path)).lower()
    if base in _BY_BASENAME and base != 'config':
        return _BY_BASENAME[base]
    if base.startswith('getmailrc'):
        return 'getmail'
    if base == 'config.lua' and 'imapfilter' in parent:
        return 'imapfilter'
    if base == 'config' and parent in ('msmtp', 'offlineimap', 'mbsync'):
        return parent
    if base.endswith('.rc') and parent in ('muttrc.d', 'neomuttrc.d'):
        return 'neomutt' if parent.startswith('neo') else 'mutt'
    if data is None:
        return None
    text = cl.decode(data[:65536])
    for desc in cl.DESCRIPTORS:
        if desc.detect is not None:
            fmt = desc.detect(path, text)
            if fmt:
                return fmt
    if re.search(r'^\s*(poll|skip)\s+\S+', text, re.M) and re.search(r'\b(proto|protocol|user|username)\b', text):
        return 'fetchmail'
    return None


def passwd_homes(users=None, passwd_entries=None):
    """[(user, home, uid)] from the passwd database; the same home is listed once."""
    if passwd_entries is None:
        import pwd
        passwd_entries = pwd.getpwall()
    wanted = set(users) if users else None
    seen = set()
    out = []
    for pw_entry in passwd_entries:
        name = getattr(pw_entry, 'pw_name', None) or pw_entry[0]
        home = getattr(pw_entry, 'pw_dir', None) or pw_entry[5]
        uid = getattr(pw_entry, 'pw_uid', None)
        if uid is None:
            uid = pw_entry[2]
        if wanted is not None and name not in wanted:
            continue
        if not home or home == '/' or not os.path.isabs(home):
            continue
        real = os.path.realpath(home)
        if real in seen or not os.path.isdir(real):
            continue
        seen.add(real)
        out.append((name, home, uid))
    return out


def discover(users=None, passwd_entries=None, clients=None, include_system=True):
    """Candidate files: dicts with path, format, user (None for system-wide) and uid (the user's, for link checks)."""
    wanted = set(clients) if clients else None
    found = []
    seen = set()

    def add(fmt, path, user, uid):
        if wanted is not None and client_of(fmt) not in wanted:
            return
        if path in seen or os.path.basename(os.path.dirname(path)) == BACKUP_DIR:
            return
        seen.add(path)
        found.append({'path': path, 'format': fmt, 'user': user, 'uid': uid})

    for user, home, uid in passwd_homes(users, passwd_entries):
        as_uid = uid if os.geteuid() == 0 else None
        for fmt, rel in USER_FILES:
            pattern = os.path.join(home, rel)
            matches = sorted(glob.glob(pattern)) if any(c in rel for c in '*?[') else ([pattern] if os.path.lexists(pattern) else [])
            for path in matches:
                if fmt == 'thunderbird_profiles':
                    for item in thunderbird_profile_files(path, DEFAULT_MAX_FILE_BYTES, as_uid):
                        add(item['format'], item['path'], user, uid)
                else:
                    add(fmt, path, user, uid)
                    if fmt in ('mutt', 'neomutt'):
                        for sourced in _mutt.mutt_sources(path, home, as_uid=as_uid):
                            add(fmt, sourced, user, uid)
    if include_system and not users:
        for fmt, pattern in SYSTEM_FILES:
            for path in sorted(glob.glob(pattern)):
                add(fmt, path, None, None)
    return found


def targets_for_paths(paths):
    """Expand explicit paths: a profiles.ini or profile folder gives its prefs.js / user.js."""
    out = []
    for path in paths:
        fmt = None if os.path.isdir(path) else detect_format(path)
        expanded = _tb.expand(path, fmt, DEFAULT_MAX_FILE_BYTES) if (os.path.isdir(path) or fmt == 'thunderbird_profiles') else None
        if expanded is not None:
            out.extend({'path': item['path'], 'format': item['format'], 'user': None, 'uid': None} for item in expanded)
            continue
        out.append({'path': path, 'format': fmt, 'user': None, 'uid': None})
    seen = set()
    unique = []
    for item in out:
        if item['path'] not in seen:
            seen.add(item['path'])
            unique.append(item)
    return unique


# ---------------------------------------------------------------------------
# what a client negotiates: the one decision (_clients/_decide.py)
# ---------------------------------------------------------------------------

def _library_stack(document, library):
    """The posture stack that decides for a client's TLS library."""
    if not library:
        return None
    if library == 'schannel':
        # Applications are SChannel *clients*: the client side decides for them.
        return _posture.stack_by_id(document, 'schannel_client') or _posture.stack_by_id(document, 'schannel')
    return _posture.stack_by_id(document, library)


def _public_servers(entry):
    return [dict((k, v) for k, v in srv.items() if k != 'span') for srv in entry['servers']]


def _clean_settings(settings):
    out = {}
    for key, value in (settings or {}).items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
    return out


def is_client_entry(fmt, entry):
    """A muttrc without any TLS setting or server (e.g. the distribution's /etc/Muttrc) is not a client."""
    if fmt in ('mutt', 'neomutt'):
        return _mutt.configures_client(entry)
    return True


def entry_decision(document, entry, library, path, minimum='tls1_2'):
    return _decide.decide(entry, library, _library_stack(document, library), path, minimum)


def build_client(document, client, user, path, entry, info, extra_settings=None, decision=None):
    library = info.get('library')
    if decision is None:
        decision = entry_decision(document, entry, library, path)
    settings = _clean_settings(entry.get('settings'))
    settings['entry'] = entry.get('name')
    settings['library_source'] = info.get('library_source')
    if info.get('version'):
        settings['client_version'] = '.'.join(str(v) for v in info['version'])
    if entry['passwords']:
        settings['passwords_in_clear'] = ['line %s (%s)' % (p['line'], p['key']) for p in entry['passwords']]
    settings['auth'] = entry.get('auth')
    if extra_settings:
        settings.update(extra_settings)
    record = {
        'id': client_id(client, user, path, entry.get('key') or entry.get('name')),
        'client': client,
        'user': user,
        'path': path,
        'line': entry.get('line'),
        'library': library,
        'servers': _public_servers(entry),
        'settings': settings,
        'report_only': False,
        'bounds': decision['bounds'],
    }
    if decision['protocols'] is not None:
        record['protocols'] = decision['protocols']
    if decision['conditions']:
        record['conditions'] = decision['conditions']
    return record


def client_findings(document, record, entry):
    subject = 'client:%s' % record['id']
    client = record['client']
    label = '%s (%s)' % (client, record['path'])
    path = record['path']
    protocols = record.get('protocols')
    if protocols and all(protocols[p]['state'] == 'refused' for p in _posture.PROTOCOLS):
        ev = [e for p in _posture.PROTOCOLS for e in protocols[p]['evidence']][:10]
        _posture.add_finding(document, _posture.make_finding('client_no_usable_protocol', subject, ev, client=label,
                                                             library=record.get('library') or 'its library'))
    if protocols and record.get('bounds') == 'own':
        legacy = [p for p in ('tls1_0', 'tls1_1') if protocols[p]['state'] == 'allowed']
        stack = _library_stack(document, record.get('library'))
        if legacy and stack is not None and any(stack['protocols'][p]['state'] == 'refused' for p in legacy):
            ev = [e for p in legacy for e in protocols[p]['evidence']][:10]
            plan = record.get('plan') or {}
            fix = ('mail_client_tls changes it: %s' % '; '.join(c for f in plan.get('files', []) for c in f['changes'])) if plan.get('files') \
                else 'The system policy does not bind it; change its own setting (mailtls.remediation.mail_client_tls) or the program.'
            _posture.add_finding(document, _posture.make_finding(
                'client_own_bounds_legacy', subject, ev, client=label, fix=fix,
                protocols=', '.join(_posture.PROTOCOL_LABELS[p] for p in legacy),
                detail='; '.join(sorted(set(c for p in legacy for c in protocols[p]['conditions']))) or None))
    for srv in record['servers']:
        ev = [_posture.evidence('file', path=path, line=srv.get('line'), key='server', value=srv['host'])]
        if srv.get('legacy_endpoint'):
            _posture.add_finding(document, _posture.make_finding('client_legacy_endpoint', subject, ev, client=label, host=srv['host'],
                                                                 target=cl.legacy_target(srv['host'])))
        if srv.get('mode') == 'plain' and srv.get('exchange_online'):
            _posture.add_finding(document, _posture.make_finding('client_tls_disabled', subject, ev, client=label, host=srv['host']))
        if srv.get('exchange_online') and entry.get('auth') == 'password':
            fid = 'client_exo_basic_auth_smtp' if srv.get('service') == 'smtp' else 'client_exo_basic_auth'
            _posture.add_finding(document, _posture.make_finding(fid, subject, ev, client=label, service=(srv.get('service') or 'mail').upper(),
                                                                 oauth=OAUTH_HELP.get(client, 'use an OAuth2-capable client')))
    if entry['passwords']:
        ev = [_posture.evidence('file', path=path, line=p['line'], key=p['key'], note='value not shown') for p in entry['passwords']]
        where = ', '.join('line %s %s' % (p['line'], p['key']) for p in entry['passwords'])
        _posture.add_finding(document, _posture.make_finding('client_cleartext_password', subject, ev, client=label, where=where,
                                                             how=PASSWORD_HELP.get(client, 'use a password manager or OAuth2')))


def _unparsable(document, client, path, why):
    _posture.add_finding(document, _posture.make_finding(
        'client_config_unparsable', 'file:%s' % path, [_posture.evidence('file', path=path, note=why)], client=client, detail=why))


# ---------------------------------------------------------------------------
# planning: one pipeline for the posture and for mail_client_tls
# ---------------------------------------------------------------------------

def _options(minimum='tls1_2', move_legacy_endpoints=False, context=None):
    # A chain, not a copy: copying the context would ask every installed client for its version.
    return ChainMap({'min_protocol': minimum, 'move_legacy_endpoints': move_legacy_endpoints}, context if context is not None else {})


def _change_lines(edits):
    """One line per distinct edit (an edit shared by several entries, e.g. msmtp defaults, is listed once)."""
    out = []
    seen = set()
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if (edit.start, edit.end, edit.new) in seen:
            continue
        seen.add((edit.start, edit.end, edit.new))
        out.append('line %s: %s' % (edit.line, edit.description))
    return out


def plan_parsed(parsed, decisions, options, file_change=None):
    """(edits, new_text) for a parsed file, acting only where ``decisions`` (entry key -> bool) say so."""
    opts = ChainMap({'decisions': decisions}, options)
    if file_change is not None:
        opts['file_change'] = file_change
    edits = cl.plan_edits(parsed, opts)
    return edits, cl.apply_edits(parsed.text, edits)


def entry_plan(parsed, key, options, path):
    """The posture's ``plan`` for one entry: what mail_client_tls would change for it (no secrets)."""
    decisions = dict((e['key'], e['key'] == key) for e in parsed.entries)
    edits, unused = plan_parsed(parsed, decisions, options)
    return {'change': True, 'files': [{'path': path, 'changes': _change_lines(edits)}] if edits else [],
            'note': None if edits else 'no setting of the client can fix it here; the system policy of its library (system_tls) decides'}


def secret_spans(parsed, text=None):
    """What a diff or message masks: the parser's secrets, the descriptor's secret keys on any line, credential-looking lines."""
    text = text if text is not None else parsed.text
    desc = cl.descriptor_for(parsed.fmt)
    keys = tuple(desc.secret_keys) if desc is not None else ()
    return list(parsed.secrets) + secret_key_spans(text, keys) + secret_line_spans(text)


def redacted_text(fmt, data):
    """The text of a file with its secrets masked; an unknown or unreadable format is masked as a whole."""
    text = cl.decode(data)
    if fmt is None or fmt not in cl.BY_FORMAT:
        return '(%d bytes, content not shown)' % len(data)
    try:
        parsed = cl.parse(fmt, text, {})
    except (ValueError, RecursionError):
        parsed = None
    if parsed is None or not parsed.ok:
        return '(%d bytes, content not shown: not understood)' % len(data)
    return cl.redact(text, secret_spans(parsed, text))


# ---------------------------------------------------------------------------
# gathering
# ---------------------------------------------------------------------------

def _read_text(path, max_file_bytes, as_uid=None):
    result = read_client_file(path, max_file_bytes, as_uid=as_uid)
    if result.data is None:
        return None, result
    return cl.decode(result.data), result


def _as_uid(cand):
    return cand.get('uid') if os.geteuid() == 0 and cand.get('user') else None


def gather_mail_clients(document, users=None, script_paths=None, max_file_bytes=DEFAULT_MAX_FILE_BYTES, passwd_entries=None,
                        toolbox=None, include_system=True):
    """Add every mail client found on this host to ``document['clients']`` with its findings and its plan."""
    toolbox = toolbox or Toolbox()
    candidates = discover(users, passwd_entries, include_system=include_system)
    # Asking the client binaries for their versions costs a process each: only when a config needs it.
    context = client_context(toolbox)
    inv = sys.modules[__name__]
    policies = _tb.system_policies(inv, candidates, max_file_bytes)
    profiles = {}
    for cand in candidates:
        fmt = cand['format']
        if fmt in ('thunderbird_prefs', 'thunderbird_user'):
            profiles.setdefault(os.path.dirname(cand['path']), {'user': cand['user'], 'uid': cand.get('uid')})[fmt] = cand['path']
            continue
        try:
            _gather_file(document, cand, context, toolbox, max_file_bytes)
        except Exception as exc:  # pylint: disable=broad-except
            # one odd file must not lose the rest of the inventory
            _unparsable(document, client_of(fmt), cand['path'], 'internal error while reading: %s' % type(exc).__name__)
    for folder, item in sorted(profiles.items()):
        try:
            _tb.gather_profile(inv, document, folder, item, policies, toolbox, max_file_bytes)
        except Exception as exc:  # pylint: disable=broad-except
            _unparsable(document, 'thunderbird', folder, 'internal error while reading: %s' % type(exc).__name__)
    if script_paths:
        scan_scripts(document, script_paths, max_file_bytes=max_file_bytes)
    return document


def _parse_safely(fmt, text, context):
    try:
        return cl.parse(fmt, text, context), None
    except RecursionError:
        return None, 'nested too deeply to be read'


def _gather_file(document, cand, context, toolbox, max_file_bytes):
    fmt = cand['format']
    client = client_of(fmt)
    path = cand['path']
    text, result = _read_text(path, max_file_bytes, _as_uid(cand))
    if text is None:
        if result.status != 'missing':
            _unparsable(document, client, path, '%s: %s' % (result.status, result.error))
        return
    parsed, why = _parse_safely(fmt, text, context)
    if parsed is None or not parsed.ok:
        _unparsable(document, client, path, why or '; '.join(parsed.errors))
        return
    if fmt == 'thunderbird_policies':
        _tb.gather_policies(sys.modules[__name__], document, cand, parsed, toolbox)
        return
    entry_keys(parsed.entries)
    options = _options(context=context)
    for entry in parsed.entries:
        if not is_client_entry(fmt, entry):
            continue
        info = toolbox.info(client)
        extra = {}
        if fmt == 'fetchmail':
            extra['file_mode'] = '%04o' % stat.S_IMODE(result.stat.st_mode)
        if result.target != path and result.link_stat is not None:
            extra['link_target'] = result.target
        decision = entry_decision(document, entry, info.get('library'), path)
        record = build_client(document, client, cand['user'], path, entry, info, extra, decision)
        record['plan'] = entry_plan(parsed, entry['key'], options, path) if decision['change'] else {'change': False, 'files': [], 'note': None}
        document['clients'].append(record)
        client_findings(document, record, entry)


# ---------------------------------------------------------------------------
# remediation planning (used by the mail_client_tls module)
# ---------------------------------------------------------------------------

def file_decisions(document, fmt, parsed, path, context, toolbox, minimum, policies=None):
    """entry key -> change? for every entry of a parsed file, by the same rule as the posture (None: the file is not one entry-based)."""
    client = client_of(fmt)
    info = toolbox.info(client)
    entry_keys(parsed.entries)
    decisions = {}
    for entry in parsed.entries:
        decisions[entry['key']] = is_client_entry(fmt, entry) and entry_decision(document, entry, info.get('library'), path, minimum)['change']
    return decisions


def plan_file(path, fmt, options, context, max_file_bytes=DEFAULT_MAX_FILE_BYTES, document=None, toolbox=None, as_uid=None):
    """Plan one file: the posture's decision, then the client's planner.

    Returns a dict with status, changes, the bytes before and after, the redacted texts, ``write_path`` (the
    file to replace: a symlink's target) and ``link``.  status: changed, unchanged, unparsable, unreadable,
    missing, unknown_format, not_editable, special, link_refused, too_large.
    """
    toolbox = toolbox or Toolbox()
    document = document if document is not None else {'stacks': [], 'clients': [], 'findings': []}
    item = {'path': path, 'format': fmt, 'status': None, 'changes': [], 'msg': None}
    if os.path.basename(os.path.dirname(path)) == BACKUP_DIR:
        item['status'] = 'not_editable'
        item['msg'] = 'a backup made by mail_client_tls; left untouched'
        return item
    result = read_client_file(path, max_file_bytes, as_uid=as_uid)
    if result.data is None:
        item['status'] = result.status if result.status in ('missing', 'special', 'link_refused', 'too_large') else 'unreadable'
        item['msg'] = result.error
        return item
    if fmt is None:
        fmt = detect_format(path, result.data)
        item['format'] = fmt
    if fmt is None:
        item['status'] = 'unknown_format'
        item['msg'] = 'not a configuration file of a supported mail client; left untouched'
        return item
    if fmt not in cl.EDITABLE:
        item['status'] = 'not_editable'
        item['msg'] = '%s files hold no TLS settings' % fmt
        return item
    text = cl.decode(result.data)
    opts = ChainMap(dict(options), context)
    parsed, why = _parse_safely(fmt, text, context)
    if parsed is None or not parsed.ok:
        item['status'] = 'unparsable'
        item['msg'] = '%s; left untouched' % (why or '; '.join(parsed.errors))
        return item
    file_change = None
    if fmt in ('thunderbird_prefs', 'thunderbird_user', 'thunderbird_policies'):
        file_change = _tb.file_change(sys.modules[__name__], document, path, fmt, parsed, toolbox, max_file_bytes, opts['min_protocol'])
        decisions = {}
    else:
        decisions = file_decisions(document, fmt, parsed, path, context, toolbox, opts['min_protocol'])
    edits, new_text = plan_parsed(parsed, decisions, opts, file_change)
    after, why = _parse_safely(fmt, new_text, context)
    if after is None or not after.ok:
        item['status'] = 'unparsable'
        item['msg'] = 'the planned edit would not parse (%s); left untouched' % (why or '; '.join(after.errors))
        return item
    item['before'] = result.data
    item['after'] = cl.encode(new_text)
    item['sha256'] = sha256_bytes(result.data)
    item['mode'] = '%04o' % stat.S_IMODE(result.stat.st_mode)
    item['changes'] = _change_lines(edits)
    item['before_redacted'] = cl.redact(text, secret_spans(parsed, text))
    item['after_redacted'] = cl.redact(new_text, secret_spans(after, new_text))
    item['status'] = 'changed' if item['after'] != item['before'] else 'unchanged'
    item['link'] = path if result.link_stat is not None else None
    write_path, why_not = edit_target(result)
    item['write_path'] = write_path
    item['stat'] = result.stat
    if item['status'] == 'changed' and write_path is None:
        item['status'] = 'link_refused'
        item['msg'] = why_not
    desc = cl.descriptor_for(fmt)
    if item['status'] == 'changed' and getattr(desc, 'validate', None) is not None:
        # the program's own check on the candidate (postfix check, exim -bV) before the change counts
        ok, message = desc.validate(write_path or path, new_text, opts)
        item['validation'] = message
        if not ok:
            item['status'] = 'invalid'
            item['msg'] = 'the candidate was rejected (%s); left untouched' % message
    if item['status'] == 'changed' and getattr(desc, 'restart', None):
        item['restart_needed'] = list(desc.restart)
    if fmt == 'thunderbird_prefs':
        folder = os.path.dirname(path)
        if os.path.lexists(os.path.join(folder, 'lock')) or os.path.lexists(os.path.join(folder, '.parentlock')):
            item['warning'] = 'Thunderbird may be running with this profile; it rewrites prefs.js on exit, so close it first'
    return item


# ---------------------------------------------------------------------------
# ---------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------

WINDOWS_RAW_SHAPE = """
{
  "mail_handlers": {"default": "Microsoft Outlook", "names": ["Microsoft Outlook", "Mozilla Thunderbird"]},
  "user_mail_handlers": [{"user": "DOMAIN\\\\alice", "default": "Mozilla Thunderbird"}],
  "outlook": [{"version": "16.0.17928.20114", "bitness": "x64", "source": "ClickToRun", "path": "C:\\\\...\\\\OUTLOOK.EXE",
               "product_ids": "O365ProPlusRetail"}],
  "outlook_accounts": [{"user": "alice", "profile": "Outlook", "account": "alice@contoso.com",
                        "imap_server": "imap-legacy.office365.com", "pop3_server": null, "smtp_server": "smtp.office365.com",
                        "imap_port": 993, "pop3_port": null, "smtp_port": 587}],
  "thunderbird": {"installs": [{"path": "C:\\\\Program Files\\\\Mozilla Thunderbird\\\\thunderbird.exe", "version": "115.9.0", "bitness": "x64"}],
                  "policy_files": [{"path": "...\\\\distribution\\\\policies.json", "content": "{...}"}],
                  "policy_registry": {"SSLVersionMin": "tls1.2", "SSLVersionMax": null}},
  "thunderbird_profiles": [{"user": "alice", "profiles_ini": "C:\\\\Users\\\\alice\\\\AppData\\\\Roaming\\\\Thunderbird\\\\profiles.ini",
                            "profile": "C:\\\\...\\\\Profiles\\\\abcd.default-release", "name": "default-release",
                            "prefs_js": "<text of prefs.js or null>", "user_js": "<text of user.js or null>",
                            "compatibility_version": "115.9.0", "locked": false}]
}
"""


def clients_from_windows_raw(raw, document=None):
    """Interpret the Windows mail client inventory (shape: WINDOWS_RAW_SHAPE).

    Returns the list of client records; when ``document`` is given they are
    appended to it with their findings (Outlook is judged by the ``schannel``
    stack of the same document, Thunderbird by its own preferences).
    """
    raw = raw or {}
    doc = document if document is not None else {'stacks': [], 'clients': [], 'findings': []}
    records = []
    handlers = raw.get('mail_handlers') or {}
    handler_names = list(handlers.get('names') or [])
    schannel = _library_stack(doc, 'schannel')
    for index, outlook in enumerate(raw.get('outlook') or []):
        entry = cl.new_entry('Outlook', None)
        for proto in cl.PROTOS:
            entry['versions'][proto] = ('lib', 'Outlook leaves the TLS versions to SCHANNEL', [])
        entry['auth'] = None
        for acct in raw.get('outlook_accounts') or []:
            for service, key in (('imap', 'imap_server'), ('pop3', 'pop3_server'), ('smtp', 'smtp_server')):
                host = acct.get(key)
                if host:
                    port = acct.get(service + '_port')
                    entry['servers'].append(cl.server(host, port if isinstance(port, int) else None, service, None, None))
        info = {'library': 'schannel', 'library_source': 'Outlook uses SCHANNEL'}
        settings = {'version': outlook.get('version'), 'bitness': outlook.get('bitness'), 'source': outlook.get('source'),
                    'default_handler': handlers.get('default') == 'Microsoft Outlook'}
        record = build_client(doc, 'outlook', None, outlook.get('path') or 'Outlook', entry, info, settings)
        record['id'] = 'outlook:%d' % index
        if schannel is None:
            record['protocols'] = _decide.decide(entry, 'schannel', None, record['path'])['protocols']
        records.append((record, entry))
    tb = raw.get('thunderbird') or {}
    policies = {}
    for pol in tb.get('policy_files') or []:
        parsed = cl.parse_policies(pol.get('content') or '')
        if parsed.ok:
            for key in ('min', 'max'):
                if parsed.extra['range'].get(key) and key not in policies:
                    policies[key] = parsed.extra['range'][key]
    reg = tb.get('policy_registry') or {}
    for key, name in (('min', 'SSLVersionMin'), ('max', 'SSLVersionMax')):
        value = cl.POLICY_VERSIONS.get(str(reg.get(name) or '').lower())
        if value:
            policies[key] = value  # registry policy wins over policies.json
    nss = _posture.stack_by_id(doc, 'nss')
    for index, prof in enumerate(raw.get('thunderbird_profiles') or []):
        prefs = cl.parse_prefs(prof.get('prefs_js') or '', 'thunderbird_prefs') if prof.get('prefs_js') is not None else None
        user = cl.parse_prefs(prof.get('user_js') or '', 'thunderbird_user') if prof.get('user_js') is not None else None
        version = _version_tuple(prof.get('compatibility_version') or '')
        entries, rng = cl.thunderbird_entries(prefs if prefs is not None and prefs.ok else None, user if user is not None and user.ok else None,
                                              policies, version)
        low, high, why = rng
        entry = cl.new_entry('profile', None)
        entry['bounds'] = 'own'
        for proto in cl.PROTOS:
            entry['versions'][proto] = ('on' if cl.rank(low) <= cl.rank(proto) <= cl.rank(high) else 'off', why, [])
        for one in entries:
            entry['servers'].extend(one['servers'])
        info = {'library': 'nss', 'library_source': 'Thunderbird bundles NSS'}
        path = (prof.get('profile') or 'profile') + '\\prefs.js'
        record = build_client(doc, 'thunderbird', prof.get('user'), path, entry, info, {'profile_name': prof.get('name'), 'locked': prof.get('locked')})
        record['id'] = 'thunderbird:%s:%d' % (prof.get('user') or '', index)
        if nss is None:
            record['protocols'] = _decide.decide(entry, 'nss', None, path)['protocols']
            for proto in cl.PROTOS:
                if entry['versions'][proto][0] == 'on':
                    record['protocols'][proto] = _posture.decision('allowed', why, [_posture.evidence('file', path=path, note=why)])
        records.append((record, entry))
        for one in entries:
            if one['auth'] == 'password':
                records.append((dict(record, servers=_public_servers(one), _findings_only=True), dict(one, passwords=[])))
    for install in tb.get('installs') or []:
        if not raw.get('thunderbird_profiles'):
            entry = cl.new_entry('Thunderbird', None)
            info = {'library': 'nss', 'library_source': 'Thunderbird bundles NSS'}
            record = build_client(doc, 'thunderbird', None, install.get('path') or 'thunderbird.exe', entry, info,
                                  {'version': install.get('version'), 'bitness': install.get('bitness'), 'note': 'installed, no profile found'})
            records.append((record, entry))
    out = []
    for record, entry in records:
        findings_only = record.pop('_findings_only', False)
        if not findings_only:
            record['settings']['mail_handlers'] = handler_names
            out.append(record)
            if document is not None:
                document['clients'].append(record)
        if document is not None:
            client_findings(document, record, entry)
    return out
