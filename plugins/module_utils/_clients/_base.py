# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what every mail client module shares, and the descriptor interface.

Each client lives in one module of this package and exports one ``DESCRIPTOR``
(an instance of :class:`Descriptor`).  ``_clients/__init__.py`` lists the
modules; everything else (inventory, posture, ``mail_client_tls``, the
prediction API) only talks to descriptors.  Adding a client means adding one
module and its tests, and its name to ``CLIENT_MODULES``.

The descriptor interface (stable; other modules build on it)
-------------------------------------------------------------

``name``
    client id used in results and in the ``clients`` option (``fetchmail``).
``formats``
    ``{format: parse}``: the file formats the client reads.  ``parse(text,
    context)`` returns a :class:`Parsed` (lossless: spans of the tokens it
    understood, ``entries``, ``secrets``, ``errors``).  A format belongs to one
    descriptor.
``editable``
    the formats ``mail_client_tls`` may change (a subset of ``formats``).
``user_files`` / ``system_files``
    ``((format, pattern), ...)``: paths relative to a home directory, and
    absolute paths; glob patterns allowed.  A pattern must never match a
    backup made by this collection (backups live in a ``.mailtls-backup``
    directory, see :func:`backup_dir_for`).
``binaries``
    program names searched on ``PATH``.
``library``
    the TLS library of the distribution build (``openssl``, ``gnutls``, ``nss``).
``inspect(binary, run)``
    optional: ``{'library': ..., 'library_source': ..., 'version': (1, 2)}``
    from the installed program (``run(argv)`` returns its output or None);
    when it returns no library, ``ldd`` decides.
``secret_keys``
    names of the keys whose values are secrets.  Their values are masked in
    diffs and results, also on commented-out lines (:func:`secret_line_spans`).
``bounds``
    how the program bounds the protocol version, per entry (``entry['bounds']``
    set by ``parse``): ``own`` when the program sets its own minimum/maximum in
    code (OpenSSL ``SSL_CTX_set_min_proto_version``, a fixed-version method, a
    GnuTLS priority string of its own), which overrides the system
    ``MinProtocol``/``MaxProtocol`` or GnuTLS default priority; ``library`` when
    it leaves them to the library policy (its own settings can only remove
    versions).  ``bounds_doc`` says in words what the real program does.
``decide(entry, context)``
    optional hook run after parse; the shared decision is :func:`decide` (the
    one used by the posture, the plan and the prediction).
``plan(parsed, options)``
    the edits (:class:`Edit`) that make the file negotiate
    ``options['min_protocol']`` or newer; it acts only on entries whose shared
    decision (``options['decisions'][entry_key]``, see :func:`needs_change`)
    says a change is needed.
``detect(path, text)``
    optional: the format of an explicitly named file, from its name or content.
``context(toolbox)``
    optional: facts about the installed program that parse needs (version).
``oauth_help`` / ``password_help``
    remediation text for findings.

The MTA modules (``postfix``, ``exim``, ``relays``) use the same interface.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import hashlib
import os
import re

from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import unique_stamp
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re

PROTOS = ('ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3')
LABELS = {'ssl3': 'SSL 3.0', 'tls1_0': 'TLS 1.0', 'tls1_1': 'TLS 1.1', 'tls1_2': 'TLS 1.2', 'tls1_3': 'TLS 1.3'}
MASK = '********'
MARKER = 'mailtls.remediation'
_DEFAULT_PORTS = {('imap', True): 993, ('imap', False): 143, ('pop3', True): 995, ('pop3', False): 110, ('smtp', True): 465, ('smtp', False): 25}

EXO_HOSTS = ('outlook.office365.com', 'outlook.office.com', 'smtp.office365.com')
LEGACY_RE = lazy_re(r'^[a-z0-9]+-legacy\.office365\.com$')
LEGACY_TARGETS = {'smtp-legacy.office365.com': 'smtp.office365.com'}
LEGACY_DEFAULT_TARGET = 'outlook.office365.com'


def rank(proto):
    return PROTOS.index(proto)


def below(proto, minimum):
    return rank(proto) < rank(minimum)


def is_legacy_endpoint(host):
    return bool(host) and bool(LEGACY_RE.match(host.strip().lower().rstrip('.')))


def is_exchange_online(host):
    if not host:
        return False
    name = host.strip().lower().rstrip('.')
    return name in EXO_HOSTS or name.endswith('.outlook.com') or name.endswith('.office365.com') or is_legacy_endpoint(name)


def legacy_target(host):
    return LEGACY_TARGETS.get(host.strip().lower().rstrip('.'), LEGACY_DEFAULT_TARGET)


def decode(data):
    return data.decode('utf-8', 'surrogateescape')


def encode(text):
    return text.encode('utf-8', 'surrogateescape')


class Parsed(object):
    """What a reader understood of one file."""

    def __init__(self, fmt, text):
        self.fmt = fmt
        self.text = text
        self.entries = []
        self.secrets = []
        self.errors = []
        self.extra = {}
        self._starts = None

    def line_of(self, offset):
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer('\n', self.text)]
        return bisect.bisect_right(self._starts, offset)

    def render(self):
        return self.text

    @property
    def ok(self):
        return not self.errors


class Edit(object):
    def __init__(self, start, end, new, line, description):
        self.start = start
        self.end = end
        self.new = new
        self.line = line
        self.description = description

    def __repr__(self):
        return 'Edit(%d, %d, %r, line %s: %s)' % (self.start, self.end, self.new, self.line, self.description)


def apply_edits(text, edits):
    """Apply non-overlapping edits; identical duplicates are applied once."""
    unique = []
    seen = set()
    for edit in edits:
        key = (edit.start, edit.end, edit.new)
        if key not in seen:
            seen.add(key)
            unique.append(edit)
    unique.sort(key=lambda e: (e.start, e.end))
    for first, second in zip(unique, unique[1:]):
        if second.start < first.end or (second.start == first.start and first.start != first.end):
            raise ValueError('overlapping edits at offset %d' % second.start)
    out = []
    pos = 0
    for edit in unique:
        out.append(text[pos:edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(text[pos:])
    return ''.join(out)


def redact(text, spans):
    """Replace every secret span with a fixed mask (for diffs and messages)."""
    if not spans:
        return text
    out = []
    pos = 0
    for start, end in sorted(set(spans)):
        if start < pos:
            start = pos
        if end <= start:
            continue
        out.append(text[pos:start])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return ''.join(out)


def new_entry(name, line):
    return {
        'name': name,
        'line': line,
        'servers': [],
        'settings': {},
        'versions': dict((p, ('lib', 'not restricted by the client; its TLS library decides', [])) for p in PROTOS),
        'passwords': [],
        'auth': None,
        'plain': False,
        'notes': [],
    }


def server(host, port=None, service=None, mode=None, line=None, span=None):
    item = {'host': host, 'port': port, 'service': service, 'mode': mode, 'line': line,
            'exchange_online': is_exchange_online(host), 'legacy_endpoint': is_legacy_endpoint(host)}
    if span is not None:
        item['span'] = span
    return item


def set_versions(entry, states, reason, ev):
    for proto, state in states.items():
        entry['versions'][proto] = (state, reason, list(ev))


def versions_from_range(low, high, state='on'):
    """``on`` for low..high inclusive, ``off`` elsewhere."""
    states = {}
    for proto in PROTOS:
        states[proto] = state if rank(low) <= rank(proto) <= rank(high) else 'off'
    return states


def fin(evidence_line, key, value, path_note=None):
    item = {'line': evidence_line, 'key': key}
    if value is not None:
        item['value'] = value
    if path_note:
        item['note'] = path_note
    return item


def _line_end(text, pos):
    end = text.find('\n', pos)
    return len(text) if end < 0 else end


def _line_start(text, pos):
    return text.rfind('\n', 0, pos) + 1


def _newline_of(text):
    return '\r\n' if '\r\n' in text else '\n'


def _append_block(text, lines):
    """Edit that appends lines at the end, adding a newline first when needed."""
    nl = _newline_of(text)
    prefix = '' if (not text or text.endswith('\n')) else nl
    return Edit(len(text), len(text), prefix + nl.join(lines) + nl, None, 'append')


def _insert_line_after(text, pos, line_text):
    """Edit inserting a full line after the line that holds ``pos``, copying its indentation."""
    start = _line_start(text, pos)
    end = _line_end(text, pos)
    indent = re.match(r'[ \t]*', text[start:end]).group(0)
    nl = _newline_of(text)
    if end >= len(text):
        return Edit(end, end, nl + indent + line_text, None, 'insert')
    if text[end - 1:end] == '\r':
        end -= 1
    return Edit(end, end, nl + indent + line_text, None, 'insert')


def _requote(original, value):
    """Write ``value`` with the same quoting style as ``original``."""
    if original[:1] in ('"', "'") and original[-1:] == original[:1]:
        return original[0] + value + original[0]
    return value


def _endpoint_edits(parsed, entry, label, requote=False):
    """Edits that move the entry's legacy Exchange Online server names to the current one.

    ``label`` names the setting in the edit description; with ``requote`` the new
    name keeps the quotes of the old one.
    """
    edits = []
    for srv in entry['servers']:
        if srv['legacy_endpoint'] and 'span' in srv:
            start, end = srv['span']
            new = legacy_target(srv['host'])
            text = _requote(parsed.text[start:end], new) if requote else new
            edits.append(Edit(start, end, text, srv['line'], '%s %s -> %s' % (label, srv['host'], new)))
    return edits


def _split_lines(text):
    """(start, end_without_newline) for each line."""
    out = []
    pos = 0
    while pos <= len(text):
        end = text.find('\n', pos)
        if end < 0:
            if pos < len(text):
                out.append((pos, len(text)))
            break
        out.append((pos, end))
        pos = end + 1
    return out


_INI_SECTION = lazy_re(r'^[ \t]*\[([^\]\n]*)\][ \t]*(?:[#;][^\n]*)?\r?$')
_INI_KV = lazy_re(r'^([A-Za-z0-9_.\-]+)[ \t]*[=:][ \t]*(.*?)[ \t]*\r?$')


def parse_ini(parsed, secret_keys):
    """Sections -> {name, line, keys: {key: [{value, span, line, key_raw}]}}; continuation lines are skipped."""
    sections = []
    current = None
    text = parsed.text
    for start, end in _split_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped or stripped[0] in '#;':
            continue
        if raw[:1] in ' \t' and current is not None and current.get('lastkey'):
            continue  # continuation of a multi-line value
        match = _INI_SECTION.match(raw)
        if match:
            current = {'name': match.group(1).strip(), 'line': parsed.line_of(start), 'keys': {}, 'last': end}
            sections.append(current)
            continue
        match = _INI_KV.match(raw)
        if not match or current is None:
            parsed.errors.append('line %d: not a [section] or key = value line' % parsed.line_of(start))
            return sections
        key = match.group(1).lower()
        vstart = start + match.start(2)
        vend = start + match.end(2)
        current['keys'].setdefault(key, []).append({'value': match.group(2), 'span': (vstart, vend), 'line': parsed.line_of(start), 'key_raw': match.group(1)})
        current['last'] = end
        current['lastkey'] = key
        if key in secret_keys and vend > vstart:
            parsed.secrets.append((vstart, vend))
    return sections


def _ini_get(sec, key):
    items = sec['keys'].get(key)
    return items[-1] if items else None


# ---------------------------------------------------------------------------
# the descriptor
# ---------------------------------------------------------------------------

class Descriptor(object):
    """Everything the collection knows about one client (see the module docstring)."""

    def __init__(self, name, formats, user_files=(), system_files=(), binaries=(), library=None, inspect=None,
                 secret_keys=(), bounds_doc='', plan=None, detect=None, context=None, editable=None,
                 oauth_help=None, password_help=None, decide=None, report_only=False):
        self.name = name
        self.formats = dict(formats)
        self.editable = tuple(editable if editable is not None else self.formats)
        self.user_files = tuple(user_files)
        self.system_files = tuple(system_files)
        self.binaries = tuple(binaries)
        self.library = library
        self.inspect = inspect
        self.secret_keys = tuple(secret_keys)
        self.bounds_doc = bounds_doc
        self.plan = plan
        self.detect = detect
        self.context = context
        self.oauth_help = oauth_help
        self.password_help = password_help
        self.decide = decide
        self.report_only = report_only

    def parse(self, fmt, text, context=None):
        return self.formats[fmt](text, context or {})

    def __repr__(self):
        return 'Descriptor(%s)' % self.name


# ---------------------------------------------------------------------------
# stable ids, secrets on any line, backups
# ---------------------------------------------------------------------------

def entry_keys(entries):
    """A key per entry that survives edits: its name, numbered when a name repeats."""
    seen = {}
    for entry in entries:
        name = str(entry.get('key_name') or entry.get('name'))
        seen[name] = seen.get(name, 0) + 1
        entry['key'] = name if seen[name] == 1 else '%s#%d' % (name, seen[name])
    return entries


def client_id(client, user, path, key):
    digest = hashlib.sha256(('%s\0%s\0%s' % (client, path, key)).encode('utf-8', 'surrogateescape')).hexdigest()[:12]
    return '%s:%s:%s' % (client, user or 'system', digest)


# Any line, commented out or not, whose key names a credential gets its value masked
# (a "# password old" line is still a secret).  ``secret_keys`` of the descriptors add to the names.
_CREDENTIAL_WORDS = (r'(?:pass|passwd|password|passwordeval|passcmd|pass_?cmd|secret|client_secret|token|refresh_token|oauth2?_[\w]*'
                     r'|esmtppassword|remotepass\w*)')
_CREDENTIAL_LINE = lazy_re(
    r'(?im)^[ \t]*(?:[#;!%"/*-]+[ \t]*)*(?:(?:set|local|export)[ \t]+)?(?:--?)?'
    r'(?:[\w.-]*[_.-])?' + _CREDENTIAL_WORDS +
    r'\b[ \t]*(?:=|:|[ \t])[ \t]*(\S[^\r\n]*)')
# key "value" pairs anywhere on a line (fetchmail: poll x user "a" password "s")
_CREDENTIAL_PAIR = lazy_re(r'(?i)\b(?:pass|password|passwd|esmtppassword|remotepass)\b[ \t]*[=:]?[ \t]*("(?:\\.|[^"\\\n])*"?|\'[^\'\n]*\'?|[^\s;,]+)')
# user:password pairs of curl (-u / --user / user =), live or commented out
_CREDENTIAL_USERPASS = lazy_re(r'(?im)^[ \t]*(?:#+[ \t]*)*(?:--?)?(?:user|u|proxy-user|U|oauth2-bearer)(?:[ \t]*[=:][ \t]*|[ \t]+)'
                               r'("(?:\\.|[^"\\\n])*"?|\S+)')
# Thunderbird and other prefs: a pref whose name holds a credential word
_CREDENTIAL_PREF = lazy_re(r'''(?i)pref\(\s*"[^"\n]*(?:password|passwd|secret|token|pass)[^"\n]*"\s*,\s*("(?:\\.|[^"\\\n])*"?|[^)\n]+)''')


_KEY_LINES = {}


def secret_key_spans(text, keys):
    """Values of the descriptor's ``secret_keys`` on any line, live or commented out (``# Pass x``, ``-- password = 'x'``)."""
    if not keys:
        return []
    regex = _KEY_LINES.get(keys)
    if regex is None:
        names = '|'.join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
        regex = _KEY_LINES[keys] = re.compile(
            r'(?im)(?:^|[\s{,;(])[#;!/*-]*[ \t]*(?:set[ \t]+)?(?:--?)?(?:%s)\b[ \t]*(?:=|:|[ \t])[ \t]*'
            r'("(?:\\.|[^"\\\n])*"?|\'[^\'\n]*\'?|[^\s;,}]+)' % names)
    return [m.span(1) for m in regex.finditer(text or '')]


def secret_line_spans(text):
    """Spans of values that look like credentials on any line, live or commented out."""
    text = text or ''
    spans = [m.span(1) for m in _CREDENTIAL_LINE.finditer(text)]
    spans.extend(m.span(1) for m in _CREDENTIAL_PAIR.finditer(text))
    spans.extend(m.span(1) for m in _CREDENTIAL_PREF.finditer(text))
    spans.extend(m.span(1) for m in _CREDENTIAL_USERPASS.finditer(text) if ':' in m.group(1) or 'bearer' in m.group(0).lower())
    return spans


BACKUP_DIR = '.mailtls-backup'


def backup_dir_for(path):
    """Backups of a file live in a ``.mailtls-backup`` directory next to it: no client file pattern matches there."""
    return os.path.join(os.path.dirname(path), BACKUP_DIR)


def backup_name(path):
    """A backup name unique per change (see _atomic.unique_stamp), in the backup directory next to ``path``."""
    return os.path.join(backup_dir_for(path), '%s.%s' % (os.path.basename(path), unique_stamp()))
