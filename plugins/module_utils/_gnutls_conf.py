# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE module_util: GnuTLS system-wide configuration (/etc/gnutls/config).

Not a public API of the collection; used by ``tls_facts`` and ``system_tls``.
Standard library only, Python 3.8+.

The file is ini-like (GnuTLS reads it with the inih parser):

* ``[global]`` with ``override-mode = blocklist|allowlist`` (default blocklist),
* ``[priorities]`` with named priority strings (``SYSTEM = ...``),
* ``[overrides]`` with repeatable keys such as ``disabled-version = tls1.0``
  (blocklist mode) or ``enabled-version = tls1.2`` (allowlist mode).

Lines starting with ``#`` or ``;`` are comments; ``=`` or ``:`` separate key
and value; keys and version names are case-insensitive. GnuTLS skips
unknown keys and unknown values unless ``GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1``
is set, which makes the library exit instead: ``validation_env()`` builds that
environment so a candidate file can be tested before it is installed.

``parse()`` is lossless (``render()`` gives back the input byte for byte via
the surrogateescape helpers of ``_openssl_conf``). ``read_versions()`` says
which versions the file disables or enables, with evidence and issues.
``plan_policy()`` returns byte-preserving edits; lines that must go are
commented out (``# `` prefix), never deleted.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils._openssl_conf import (
    read_bytes_lossless,
)

DEFAULT_PATH = '/etc/gnutls/config'

VERSION_IDS = {
    'ssl3.0': 'ssl3', 'tls1.0': 'tls1_0', 'tls1.1': 'tls1_1', 'tls1.2': 'tls1_2', 'tls1.3': 'tls1_3',
    'dtls0.9': 'dtls0_9', 'dtls1.0': 'dtls1_0', 'dtls1.2': 'dtls1_2',
}
ID_TO_VERSION = dict((v, k) for k, v in VERSION_IDS.items())
TLS_ORDER = ('ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3')
_RANK = dict((name, idx) for idx, name in enumerate(TLS_ORDER))

KNOWN_KEYS = {
    'global': ('override-mode', 'ktls'),
    'overrides': (
        'insecure-hash', 'insecure-sig', 'insecure-sig-for-cert', 'secure-hash', 'secure-sig', 'secure-sig-for-cert',
        'disabled-version', 'enabled-version', 'disabled-curve', 'enabled-curve', 'min-verification-profile',
        'tls-disabled-cipher', 'tls-enabled-cipher', 'tls-disabled-mac', 'tls-enabled-mac', 'tls-disabled-group',
        'tls-enabled-group', 'tls-disabled-kx', 'tls-enabled-kx', 'tls-session-hash', 'default-priority-string',
        'allow-rsa-pkcs1-encrypt', 'cert-compression-alg', 'disabled-sig', 'enabled-sig',
    ),
}
BLOCKLIST_ONLY = ('insecure-hash', 'insecure-sig', 'insecure-sig-for-cert', 'disabled-version', 'disabled-curve',
                  'tls-disabled-cipher', 'tls-disabled-mac', 'tls-disabled-group', 'tls-disabled-kx')
ALLOWLIST_ONLY = ('secure-hash', 'secure-sig', 'secure-sig-for-cert', 'enabled-version', 'enabled-curve',
                  'tls-enabled-cipher', 'tls-enabled-mac', 'tls-enabled-group', 'tls-enabled-kx')
_WS = ' \t\r\n\x0b\x0c'


class GnuTLSConfError(Exception):
    """Raised by the planner when it refuses to edit."""

    def __init__(self, message, code='refused'):
        super(GnuTLSConfError, self).__init__(message)
        self.message = message
        self.code = code


class Line(object):
    """One physical line. kind: blank, comment, section, kv, continuation, error."""

    __slots__ = ('kind', 'raw', 'lineno', 'section', 'key', 'value', 'vstart', 'vend', 'error')

    def __init__(self, raw, lineno):
        self.raw = raw
        self.lineno = lineno
        self.kind = 'blank'
        self.section = ''
        self.key = None
        self.value = None
        self.vstart = None
        self.vend = None
        self.error = None


class GnuTLSDocument(object):
    def __init__(self, path, lines, newline):
        self.path = path
        self.lines = lines
        self.newline = newline

    def render(self):
        return ''.join(line.raw for line in self.lines)

    def entries(self, section=None, key=None):
        return [ln for ln in self.lines if ln.kind == 'kv' and (section is None or ln.section == section)
                and (key is None or ln.key.lower() == key)]


def _strip_inline_comment(text):
    """inih drops '; comment' when ';' follows whitespace."""
    for idx, char in enumerate(text):
        if char == ';' and idx > 0 and text[idx - 1] in ' \t':
            return text[:idx]
    return text


def parse(text, path=''):
    text = read_bytes_lossless(text)
    raws = []
    start = 0
    while start < len(text):
        end = text.find('\n', start)
        if end < 0:
            raws.append(text[start:])
            break
        raws.append(text[start:end + 1])
        start = end + 1
    nl_at = text.find('\n')
    newline = '\r\n' if nl_at > 0 and text[nl_at - 1] == '\r' else '\n'
    lines = []
    section = ''
    previous_kv = False  # inih keeps the previous key until the next section header
    for number, raw in enumerate(raws, 1):
        line = Line(raw, number)
        content = raw.rstrip('\r\n')
        if number == 1 and content.startswith('\ufeff'):
            content = content[1:]
        stripped = content.strip(_WS)
        lead = len(content) - len(content.lstrip(_WS))
        if not stripped:
            line.kind = 'blank'
        elif stripped[0] in '#;':
            line.kind = 'comment'
        elif previous_kv and lead > 0:
            line.kind = 'continuation'
            line.value = _strip_inline_comment(stripped).strip(_WS)
        elif stripped[0] == '[':
            close = _strip_inline_comment(stripped).find(']')
            if close < 0:
                line.kind = 'error'
                line.error = "missing ']'"
            else:
                line.kind = 'section'
                section = stripped[1:close].lower()
                previous_kv = False
        else:
            body = _strip_inline_comment(content)
            cut = [pos for pos in (body.find('='), body.find(':')) if pos >= 0]
            if not cut:
                line.kind = 'error'
                line.error = "no '=' or ':' separator"
            else:
                sep = min(cut)
                line.kind = 'kv'
                line.key = body[:sep].strip(_WS)
                vstart = sep + 1
                while vstart < len(body) and body[vstart] in _WS:
                    vstart += 1
                value = body[vstart:].rstrip(_WS)
                line.value = value
                line.vstart = vstart + (len(raw.rstrip('\r\n')) - len(content))
                line.vend = line.vstart + len(value)
                previous_kv = True
        line.section = section
        lines.append(line)
    return GnuTLSDocument(path, lines, newline)


def _issue(issues, code, message, line=None, path=None):
    issues.append({'code': code, 'message': message, 'path': path, 'line': line.lineno if line else None,
                   'section': line.section if line else None, 'key': line.key if line else None,
                   'value': line.value if line else None})


def _evidence(doc, line):
    return {'path': doc.path, 'line': line.lineno, 'section': line.section, 'key': line.key, 'value': line.value}


def read_versions(doc):
    """What the file says about protocol versions.

    Returns a dict: mode, mode_evidence, disabled {id: [evidence]}, enabled
    {id: [evidence]}, tls_allowed_by_config {id: bool}, system_priority,
    issues.
    """
    if not isinstance(doc, GnuTLSDocument):
        doc = parse(doc)
    issues = []
    mode = 'blocklist'
    mode_evidence = None
    for line in doc.lines:
        if line.kind == 'kv' and line.section == 'global' and line.key.lower() == 'override-mode':
            val = line.value.lower()
            if val in ('blocklist', 'allowlist'):
                mode = val
                mode_evidence = _evidence(doc, line)
            else:
                _issue(issues, 'invalid_value', 'override-mode = %s is not blocklist or allowlist; GnuTLS skips it' % line.value, line, doc.path)
    disabled = {}
    enabled = {}
    system_priority = None
    for line in doc.lines:
        if line.kind == 'error':
            _issue(issues, 'syntax_error', 'line %d: %s; GnuTLS reports a parse error for the file (with '
                   'GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1 applications exit)' % (line.lineno, line.error), line, doc.path)
            continue
        if line.kind == 'continuation':
            _issue(issues, 'indented_continuation', 'line %d is indented right after a key: GnuTLS (inih) reads it as a continuation of '
                   'the previous value, not as its own setting' % line.lineno, line, doc.path)
            continue
        if line.kind != 'kv':
            continue
        key = line.key.lower()
        if line.section == 'priorities':
            if key == 'system':
                system_priority = _evidence(doc, line)
            continue
        if line.section not in KNOWN_KEYS:
            _issue(issues, 'unknown_section', 'section [%s] is unknown; GnuTLS skips it unless GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1'
                   % line.section, line, doc.path)
            continue
        if key not in KNOWN_KEYS[line.section]:
            _issue(issues, 'unknown_key', '%s in [%s] is unknown; GnuTLS skips it unless GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1'
                   % (line.key, line.section), line, doc.path)
            continue
        if (mode == 'allowlist' and key in BLOCKLIST_ONLY) or (mode == 'blocklist' and key in ALLOWLIST_ONLY):
            _issue(issues, 'key_ignored_in_mode', '%s has no effect in %s mode' % (line.key, mode), line, doc.path)
            continue
        if key in ('disabled-version', 'enabled-version'):
            vid = VERSION_IDS.get(line.value.lower())
            if vid is None:
                _issue(issues, 'unknown_version', '%s = %s: unknown version name (known: %s); GnuTLS skips it unless '
                       'GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1' % (line.key, line.value, ', '.join(sorted(VERSION_IDS))), line, doc.path)
                continue
            target = disabled if key == 'disabled-version' else enabled
            target.setdefault(vid, []).append(_evidence(doc, line))
    allowed = {}
    for vid in TLS_ORDER:
        allowed[vid] = (vid in enabled) if mode == 'allowlist' else (vid not in disabled)
    if not any(allowed[v] for v in ('tls1_2', 'tls1_3')):
        _issue(issues, 'no_modern_version', 'the file leaves neither TLS 1.2 nor TLS 1.3 usable', None, doc.path)
    return {'path': doc.path, 'mode': mode, 'mode_evidence': mode_evidence, 'disabled': disabled, 'enabled': enabled,
            'tls_allowed_by_config': allowed, 'system_priority': system_priority, 'issues': issues}


def validation_env(candidate_path, base_env=None):
    """Environment that makes GnuTLS read candidate_path and fail on invalid entries."""
    env = dict(base_env or {})
    env['GNUTLS_SYSTEM_PRIORITY_FILE'] = candidate_path
    env['GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID'] = '1'
    return env


class _Plan(object):
    def __init__(self, doc):
        self.doc = doc
        self.replace = {}
        self.after = {}
        self.tail = []

    def comment_out(self, line):
        self.replace[line.lineno] = '# ' + line.raw

    def add_override(self, text):
        anchor = None
        header = None
        for line in self.doc.lines:
            if line.kind == 'section' and line.section == 'overrides':
                header = line
                anchor = None
            elif line.section == 'overrides' and line.kind in ('kv', 'continuation') and header is not None:
                anchor = line
        if header is None:
            self.tail.append(text)
            return
        target = anchor or header
        self.after.setdefault(target.lineno, []).append(text)

    def render(self):
        nl = self.doc.newline
        out = []
        for line in self.doc.lines:
            raw = self.replace.get(line.lineno, line.raw)
            extra = self.after.get(line.lineno)
            if extra and not raw.endswith('\n'):
                raw += nl
            out.append(raw)
            if extra:
                out.extend(text + nl for text in extra)
        text = ''.join(out)
        if self.tail:
            if text and not text.endswith('\n'):
                text += nl
            if text.strip(_WS) and not text.endswith(nl + nl):
                text += nl
            text += '[overrides]' + nl + ''.join(t + nl for t in self.tail)
        return text


def plan_policy(text, path=DEFAULT_PATH, mode='enforce_minimum', min_protocol='tls1_2', include_ssl3=True):
    """Plan the edit of one GnuTLS config file.

    ``text`` is the current content (str/bytes) or None when the file does
    not exist. Returns [] or [(path, old_text_or_None, new_text)].
    Modes: ``enforce_minimum`` disables every version below min_protocol
    (blocklist: add ``disabled-version`` lines; allowlist: add
    ``enabled-version`` for min_protocol and newer, comment out older ones);
    ``ensure_tls12`` only makes TLS 1.2 usable (blocklist: comment out
    ``disabled-version = tls1.2``; allowlist: add ``enabled-version = tls1.2``).
    """
    if mode not in ('enforce_minimum', 'ensure_tls12'):
        raise GnuTLSConfError('unknown mode %r' % (mode,), code='invalid_argument')
    if min_protocol not in ('tls1_0', 'tls1_1', 'tls1_2', 'tls1_3'):
        raise GnuTLSConfError('min_protocol must be tls1_0..tls1_3, not %r' % (min_protocol,), code='invalid_argument')
    if '/crypto-policies/' in (path or ''):
        raise GnuTLSConfError('refusing to edit %s: it is generated by crypto-policies; use update-crypto-policies' % path,
                              code='crypto_policies')
    old = None if text is None else read_bytes_lossless(text)
    doc = parse(old or '', path)
    errors = [ln for ln in doc.lines if ln.kind == 'error']
    if errors:
        raise GnuTLSConfError('refusing to edit %s: line %d: %s' % (path, errors[0].lineno, errors[0].error), code='syntax_error')
    info = read_versions(doc)
    plan = _Plan(doc)
    mode_name = info['mode']
    if mode == 'ensure_tls12':
        if mode_name == 'blocklist':
            for evidence in info['disabled'].get('tls1_2', []):
                plan.comment_out(doc.lines[evidence['line'] - 1])
        elif 'tls1_2' not in info['enabled']:
            plan.add_override('enabled-version = tls1.2')
    else:
        legacy = [v for v in TLS_ORDER if _RANK[v] < _RANK[min_protocol] and (include_ssl3 or v != 'ssl3')]
        modern = [v for v in TLS_ORDER if _RANK[v] >= _RANK[min_protocol]]
        if mode_name == 'blocklist':
            for vid in legacy:
                if vid not in info['disabled']:
                    plan.add_override('disabled-version = %s' % ID_TO_VERSION[vid])
            if all(v in info['disabled'] for v in modern):
                for evidence in info['disabled'][min_protocol]:
                    plan.comment_out(doc.lines[evidence['line'] - 1])
        else:
            for vid in TLS_ORDER:
                if _RANK[vid] < _RANK[min_protocol]:
                    for evidence in info['enabled'].get(vid, []):
                        plan.comment_out(doc.lines[evidence['line'] - 1])
            for vid in modern:
                if vid not in info['enabled']:
                    plan.add_override('enabled-version = %s' % ID_TO_VERSION[vid])
    new = plan.render()
    if new == (old or ''):
        return []
    return [(path, old, new)]
