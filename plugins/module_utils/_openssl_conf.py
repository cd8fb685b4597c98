# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE module_util: OpenSSL configuration (openssl.cnf) reader and editor.

Not a public API of the collection; used by ``tls_facts`` and ``system_tls``.
Standard library only, Python 3.8+.

Three layers:

``parse(text, path)``
    A lossless document model. ``Document.render()`` returns the input
    exactly. Every physical line belongs to exactly one ``Item``; backslash
    continuations make one item of several physical lines. The syntax follows
    OpenSSL 3.x ``crypto/conf/conf_def.c`` (comments, quotes, escapes,
    ``[ section ]``, ``sect::key = value``, ``.include``, ``.pragma``).

``load_config(main_path, ...)`` / ``resolve_system_default(...)``
    Replays what OpenSSL does when an application initialises libssl: loads
    the main file with its includes, expands variables, follows
    ``openssl_conf`` -> init section -> ``ssl_conf`` -> ssl section ->
    ``system_default`` -> settings section, and evaluates the TLS settings.
    Problems become ``issues`` (stable codes), never exceptions.

``plan_policy(config, min_protocol, mode)``
    Computes byte-preserving edits that make the settings section enforce a
    minimum version (``enforce_minimum``) or only make sure TLS 1.2 is not
    disabled (``ensure_tls12``). Refuses with ``OpenSSLConfError``.

Semantics worth knowing (all reproduced here):

* A syntax error anywhere (main file or an included file), or a reference
  to an undefined ``$variable``, makes OpenSSL drop the whole configuration.
  TLS clients then run without any system policy (fails open).
* Within one section a repeated key name replaces the earlier entry (last one
  wins). ``TLS.MinProtocol`` and ``MinProtocol`` are different names but the
  same SSL_CONF command: both are applied, in order.
* Before an SSL_CONF command everything up to and including the first dot is
  dropped. ``DTLS.MinProtocol = DTLSv1.2`` is ignored by TLS contexts because
  its *value* is a DTLS version, not because of the prefix.
* ``MinProtocol``/``MaxProtocol`` values are case sensitive; ``TLS1.2`` or
  ``tlsv1.2`` are rejected by OpenSSL and silently ignored (fails open).
* A missing ``.include`` target is silently skipped by OpenSSL.
* A directory include reads ``*.cnf``/``*.conf`` (no recursion). OpenSSL uses
  the directory order of the file system; this module reads the files sorted
  by name and notes the ambiguity when more than one file matches.
* An empty or missing section referenced from the ssl section makes OpenSSL
  drop the whole ssl module (no ``system_default`` at all).

Planner choices (documented for ``system_tls``):

* ``enforce_minimum`` never lowers a stricter existing minimum. A
  ``MaxProtocol`` below the minimum is rewritten to ``None`` (no upper
  limit; valid on every OpenSSL that knows MinProtocol). A ``Protocol`` line
  that disables a version at or above the minimum is commented out (the
  minimum already removes older versions). ``@SECLEVEL=0`` in a
  ``CipherString`` is raised to ``raise_seclevel0_to`` (default 2, the
  Debian/Ubuntu/RHEL default); other cipher settings are left alone.
* ``ensure_tls12`` changes only what blocks TLS 1.2: ``MaxProtocol`` below
  TLSv1.2 becomes ``TLSv1.2`` (the smallest change), ``MinProtocol`` above
  TLSv1.2 becomes ``TLSv1.2``, ``Protocol`` lines lose the tokens that turn
  TLSv1.2 off (or get ``TLSv1.2`` appended after ``-ALL``).
* Earlier duplicates of an edited key are rewritten to the same value, so no
  stale value is left behind.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import hashlib
import os
import re
import stat

try:
    from collections import OrderedDict
except ImportError:  # pragma: no cover
    OrderedDict = dict


class OpenSSLConfError(Exception):
    """Raised by the planner when it refuses to edit (message says why)."""

    def __init__(self, message, code='refused', path=None, line=None):
        super(OpenSSLConfError, self).__init__(message)
        self.message = message
        self.code = code
        self.path = path
        self.line = line


# --------------------------------------------------------------------------
# bytes <-> text

def read_bytes_lossless(data):
    """Decode bytes so that every byte survives a round trip."""
    if isinstance(data, str):
        return data
    return data.decode('utf-8', 'surrogateescape')


def encode_lossless(text):
    """Inverse of read_bytes_lossless."""
    if isinstance(text, bytes):
        return text
    return text.encode('utf-8', 'surrogateescape')


def is_utf8(data):
    try:
        data.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------------
# protocol names

TLS_PROTOCOLS = ('SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3')
DTLS_PROTOCOLS = ('DTLSv1', 'DTLSv1.2')
_RANK = dict((name, idx) for idx, name in enumerate(TLS_PROTOCOLS))
_NAME_TO_ID = {'SSLv3': 'ssl3', 'TLSv1': 'tls1_0', 'TLSv1.1': 'tls1_1', 'TLSv1.2': 'tls1_2', 'TLSv1.3': 'tls1_3'}
_ID_TO_NAME = dict((v, k) for k, v in _NAME_TO_ID.items())


def openssl_name_to_id(value):
    """'TLSv1.2' -> 'tls1_2'. None for 'None', DTLS names and invalid values.

    The match is case sensitive, as OpenSSL's MinProtocol parser is.
    """
    return _NAME_TO_ID.get(value)


def id_to_openssl_name(protocol_id):
    return _ID_TO_NAME.get(protocol_id)


def protocol_rank(value):
    """Order of a TLS protocol name (SSLv3=0 .. TLSv1.3=4), None otherwise."""
    return _RANK.get(value)


def classify_protocol_value(value):
    """'tls', 'none', 'dtls' or 'invalid' for a Min/MaxProtocol value."""
    if value in _RANK:
        return 'tls'
    if value == 'None':
        return 'none'
    if value in DTLS_PROTOCOLS:
        return 'dtls'
    return 'invalid'


def parse_openssl_version(text):
    """Version tuple from ``openssl version`` output, None if not OpenSSL.

    'OpenSSL 1.0.2k-fips  26 Jan 2017' -> (1, 0, 2); LibreSSL -> None.
    """
    match = re.search(r'\bOpenSSL\s+(\d+)\.(\d+)\.(\d+)', text or '')
    if not match:
        return None
    return tuple(int(x) for x in match.groups())


def min_protocol_supported(version):
    """MinProtocol/MaxProtocol and system_default exist from OpenSSL 1.1.0."""
    return bool(version) and tuple(version[:3]) >= (1, 1, 0)


def tls12_supported(version):
    return bool(version) and tuple(version[:3]) >= (1, 0, 1)


def tls13_supported(version):
    return bool(version) and tuple(version[:3]) >= (1, 1, 1)


def pragma_supported(version):
    return bool(version) and tuple(version[:3]) >= (3, 0, 0)


# --------------------------------------------------------------------------
# character classes of the default CONF method

_WS = ' \t\r\n'
_ALNUM = frozenset('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_')
_ALNUM_PUNCT = _ALNUM | frozenset('!.%&*+,/;?@^~|-')
_QUOTES = '"\'`'
MAX_VALUE_LENGTH = 65536


def _scan_quote(s, i):
    quote = s[i]
    i += 1
    n = len(s)
    while i < n and s[i] != quote:
        if s[i] == '\\':
            i += 1
            if i >= n:
                return i
        i += 1
    if i < n and s[i] == quote:
        i += 1
    return i


def _scan_esc(s, i):
    if i + 1 >= len(s):
        return i + 1
    return i + 2


def _comment_start(s):
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == '#':
            return i
        if c in _QUOTES:
            i = _scan_quote(s, i)
        elif c == '\\':
            i = _scan_esc(s, i)
        else:
            i += 1
    return n


def _eat_ws(s, i):
    n = len(s)
    while i < n and s[i] in _WS:
        i += 1
    return i


def _eat_name(s, i):
    n = len(s)
    while i < n:
        c = s[i]
        if c == '\\':
            i = _scan_esc(s, i)
            continue
        if c not in _ALNUM_PUNCT:
            return i
        i += 1
    return min(i, n)


def _rtrim(s):
    return s.rstrip(_WS)


class ConfSyntaxError(Exception):
    pass


def expand_value(raw, section, lookup, dollarid=False):
    """Decode a raw value like OpenSSL's str_copy().

    Quotes are removed, escapes processed and ``$name``, ``${name}``,
    ``$(name)``, ``$sect::name`` expanded with ``lookup(section, name)``
    (return None when undefined). Raises ConfSyntaxError like OpenSSL.
    """
    out = []
    i = 0
    n = len(raw)
    length = 0
    while i < n:
        c = raw[i]
        if c in _QUOTES:
            i += 1
            while i < n and raw[i] != c:
                if raw[i] == '\\':
                    i += 1
                    if i >= n:
                        break
                out.append(raw[i])
                i += 1
            if i < n and raw[i] == c:
                i += 1
        elif c == '\\':
            i += 1
            if i >= n:
                break
            out.append({'r': '\r', 'n': '\n', 'b': '\b', 't': '\t'}.get(raw[i], raw[i]))
            i += 1
        elif c == '$' and (not dollarid or raw[i + 1:i + 2] in ('{', '(')):
            j = i + 1
            close = None
            if raw[j:j + 1] == '{':
                close = '}'
                j += 1
            elif raw[j:j + 1] == '(':
                close = ')'
                j += 1
            sect = section
            e = j
            while e < n and raw[e] in _ALNUM:
                e += 1
            name = raw[j:e]
            if raw[e:e + 2] == '::':
                sect = name
                e += 2
                k = e
                while e < n and raw[e] in _ALNUM:
                    e += 1
                name = raw[k:e]
            if close:
                if e >= n or raw[e] != close:
                    raise ConfSyntaxError('no close brace in variable reference %r' % raw[i:e])
                e += 1
            val = lookup(sect, name)
            if val is None:
                raise ConfSyntaxError('variable has no value: %s' % raw[i:e])
            length += len(val)
            if length > MAX_VALUE_LENGTH:
                raise ConfSyntaxError('variable expansion too long')
            out.append(val)
            i = e
        else:
            out.append(c)
            i += 1
    return ''.join(out)


# --------------------------------------------------------------------------
# lossless document model

class Item(object):
    """One logical line (one or more physical lines) of a config file.

    kind: 'blank', 'comment', 'section', 'kv', 'include', 'pragma', 'error'.
    ``raw`` holds the exact text including line endings.
    """

    __slots__ = ('kind', 'raw', 'lineno', 'nlines', 'logical', 'name', 'key', 'psection',
                 'value', 'vstart', 'vend', 'error', 'section')

    def __init__(self, raw, lineno, nlines, logical):
        self.kind = 'blank'
        self.raw = raw
        self.lineno = lineno
        self.nlines = nlines
        self.logical = logical
        self.name = None      # section name for 'section'
        self.key = None       # raw key for 'kv'
        self.psection = None  # 'sect' of 'sect::key = value'
        self.value = None     # raw value (after '=', trimmed, comment removed)
        self.vstart = None    # offsets of value inside logical (== raw when nlines == 1)
        self.vend = None
        self.error = None
        self.section = None   # section in effect, counted from the start of this file

    def to_dict(self):
        return dict((k, getattr(self, k)) for k in ('kind', 'lineno', 'nlines', 'name', 'key', 'psection', 'value', 'error', 'section'))


def _split_physical(text):
    """Split into physical lines, each keeping its '\\n' (OpenSSL reads by LF)."""
    lines = []
    start = 0
    n = len(text)
    while start < n:
        end = text.find('\n', start)
        if end < 0:
            lines.append(text[start:])
            break
        lines.append(text[start:end + 1])
        start = end + 1
    return lines


def _content(physical):
    i = len(physical)
    while i > 0 and physical[i - 1] in '\r\n':
        i -= 1
    return physical[:i]


def _classify(item):
    logical = item.logical
    body = logical[:_comment_start(logical)]
    i = _eat_ws(body, 0)
    n = len(body)
    if i >= n:
        item.kind = 'comment' if logical.strip(_WS) else 'blank'
        return
    if body[i] == '[':
        start = _eat_ws(body, i + 1)
        scan = start
        while True:
            end = _eat_name(body, scan)
            p = _eat_ws(body, end)
            if p >= n or body[p] != ']':
                if p < n and scan != p:
                    scan = p
                    continue
                item.kind = 'error'
                item.error = 'missing close square bracket'
                return
            break
        item.kind = 'section'
        try:
            item.name = expand_value(body[start:end], None, lambda s, k: None)
        except ConfSyntaxError as exc:
            item.kind = 'error'
            item.error = str(exc)
        return
    pname = i
    end = _eat_name(body, i)
    if body[end:end + 2] == '::':
        item.psection = body[pname:end]
        pname = end + 2
        end = _eat_name(body, pname)
    p = _eat_ws(body, end)
    for directive, size in (('.include', 8), ('.pragma', 7)):
        if body[pname:pname + size] == directive and (p != pname + size or body[p:p + 1] == '='):
            if body[p:p + 1] == '=':
                p = _eat_ws(body, p + 1)
            arg = _rtrim(body[p:])
            item.kind = directive[1:]
            item.key = directive
            item.value = arg
            item.vstart = p
            item.vend = p + len(arg)
            return
    if body[p:p + 1] != '=':
        item.kind = 'error'
        item.error = 'missing equal sign'
        return
    start = _eat_ws(body, p + 1)
    value = _rtrim(body[start:])
    item.kind = 'kv'
    item.key = body[pname:end]
    item.value = value
    item.vstart = start
    item.vend = start + len(value)


class Document(object):
    """Lossless model of one OpenSSL config file."""

    def __init__(self, path, items, text):
        self.path = path
        self.items = items
        self.newline = _detect_newline(text)
        self.ends_with_newline = text.endswith('\n') or not text

    def render(self):
        return ''.join(item.raw for item in self.items)

    def errors(self):
        return [item for item in self.items if item.kind == 'error']

    def sections(self):
        """Section names in order of first appearance (this file only)."""
        seen = OrderedDict()
        seen['default'] = True
        for item in self.items:
            if item.kind == 'section':
                seen[item.name] = True
        return list(seen)

    def entries(self, section):
        """kv items of a section (this file only, no includes)."""
        return [item for item in self.items if item.kind == 'kv' and (item.psection or item.section) == section]

    def get(self, section, key, expand=True):
        """Last value of key in section within this file, with simple variable expansion."""
        found = None
        for item in self.entries(section):
            if item.key == key:
                found = item
        if found is None:
            return None
        if not expand:
            return found.value

        def lookup(sect, name):
            for candidate in (sect, 'default'):
                val = None
                for other in self.entries(candidate):
                    if other.key == name and other.lineno < found.lineno:
                        val = other.value
                if val is not None:
                    return expand_value(val, candidate, lambda s, k: '')
            return None
        try:
            return expand_value(found.value, section, lookup)
        except ConfSyntaxError:
            return found.value


def _detect_newline(text):
    idx = text.find('\n')
    if idx > 0 and text[idx - 1] == '\r':
        return '\r\n'
    return '\n'


def parse(text, path=''):
    """Parse text (str, or bytes decoded losslessly) into a Document."""
    text = read_bytes_lossless(text)
    physical = _split_physical(text)
    items = []
    idx = 0
    section = 'default'
    while idx < len(physical):
        start = idx
        buf = _content(physical[idx])
        idx += 1
        # OpenSSL: a trailing backslash not preceded by another joins the next line
        while buf.endswith('\\') and not buf.endswith('\\\\') and idx < len(physical):
            buf = buf[:-1] + _content(physical[idx])
            idx += 1
        if buf.endswith('\\') and not buf.endswith('\\\\') and idx >= len(physical):
            buf = buf[:-1]
        item = Item(''.join(physical[start:idx]), start + 1, idx - start, buf)
        _classify(item)
        if item.kind == 'section':
            section = item.name
        item.section = section
        items.append(item)
    return Document(path, items, text)


# --------------------------------------------------------------------------
# file system access (injectable for tests and for candidate validation)

class NotRegularFile(OSError):
    """A FIFO, device, socket or directory where a config file is expected; never opened for reading."""

    def __init__(self, path, kind):
        super(NotRegularFile, self).__init__(errno.EINVAL, 'is %s, not a regular file' % kind, path)
        self.kind = kind


_KINDS = ((stat.S_ISFIFO, 'a FIFO (named pipe)'), (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
          (stat.S_ISSOCK, 'a socket'), (stat.S_ISDIR, 'a directory'))


def _kind(mode):
    if stat.S_ISREG(mode):
        return None
    return next((label for test, label in _KINDS if test(mode)), 'not a regular file')


class LocalFS(object):
    """Reads the real file system; read() returns at most limit+1 bytes.

    A path is opened only when lstat (and stat, through a symlink) says it is a
    regular file, with O_NONBLOCK and a second check on the descriptor, so a
    FIFO or a device anywhere in the chain gives NotRegularFile, never a hang.
    """

    def read(self, path, limit=None):
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise OSError(errno.EISDIR, 'Is a directory', path)
        kind = _kind(st.st_mode)
        if kind:
            raise NotRegularFile(path, kind)
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOCTTY', 0))
        try:
            kind = _kind(os.fstat(fd).st_mode)
            if kind:
                raise NotRegularFile(path, kind)
            handle = os.fdopen(fd, 'rb')
        except BaseException:
            os.close(fd)
            raise
        with handle:
            if limit is None:
                return handle.read()
            return handle.read(limit + 1)

    def listdir(self, path):
        return os.listdir(path)

    def isdir(self, path):
        return os.path.isdir(path)


class MemoryFS(object):
    """Files from a dict {path: bytes|str}; directories are implied by paths.

    A value of None marks an unreadable file (permission denied). With
    ``base`` the dict is an overlay over another file system.
    """

    def __init__(self, files, base=None):
        self.files = dict(files)
        self.base = base

    def read(self, path, limit=None):
        if path in self.files:
            data = self.files[path]
            if data is None:
                raise OSError(errno.EACCES, 'Permission denied', path)
            return encode_lossless(data)
        if self._own_dir(path):
            raise OSError(errno.EISDIR, 'Is a directory', path)
        if self.base is not None:
            return self.base.read(path, limit)
        raise OSError(errno.ENOENT, 'No such file or directory', path)

    def _own_dir(self, path):
        prefix = path.rstrip('/') + '/'
        return any(name.startswith(prefix) for name in self.files)

    def isdir(self, path):
        if path in self.files:
            return False
        if self._own_dir(path):
            return True
        return self.base.isdir(path) if self.base is not None else False

    def listdir(self, path):
        prefix = path.rstrip('/') + '/'
        names = set()
        for name in self.files:
            if name.startswith(prefix):
                names.add(name[len(prefix):].split('/', 1)[0])
        if self.base is not None:
            try:
                names.update(self.base.listdir(path))
            except OSError:
                if not names:
                    raise
        if not names:
            if path in self.files:
                raise OSError(errno.ENOTDIR, 'Not a directory', path)
            raise OSError(errno.ENOENT, 'No such file or directory', path)
        return sorted(names)


# --------------------------------------------------------------------------
# loading (what OpenSSL sees)

KNOWN_COMMANDS = dict((name.lower(), name) for name in (
    'SignatureAlgorithms', 'ClientSignatureAlgorithms', 'Curves', 'Groups', 'ECDHParameters',
    'CipherString', 'Ciphersuites', 'Protocol', 'MinProtocol', 'MaxProtocol', 'Options',
    'VerifyMode', 'Certificate', 'PrivateKey', 'ServerInfoFile', 'ChainCAPath', 'ChainCAFile',
    'ChainCAStore', 'VerifyCAPath', 'VerifyCAFile', 'VerifyCAStore', 'RequestCAFile',
    'ClientCAFile', 'RequestCAPath', 'ClientCAPath', 'RequestCAStore', 'ClientCAStore',
    'DHParameters', 'RecordPadding', 'NumTickets'))
SETTING_NAMES = ('MinProtocol', 'MaxProtocol', 'CipherString', 'Ciphersuites', 'Protocol', 'Options',
                 'SignatureAlgorithms', 'Groups')
CRYPTO_POLICIES_MARK = '/crypto-policies/'
_SEVERITY = {
    'syntax_error': 'error', 'missing_section': 'error', 'empty_section': 'error',
    'invalid_protocol_value': 'error', 'max_below_min': 'error', 'file_unreadable': 'error',
    'file_too_large': 'error', 'file_not_regular': 'error', 'include_cycle': 'error', 'include_depth': 'error',
    'openssl_conf_not_in_default_section': 'warning', 'duplicate_openssl_conf': 'warning',
    'duplicate_key': 'warning', 'protocol_option_deprecated': 'warning', 'max_blocks_tls13': 'warning',
    'include_missing': 'warning', 'include_nested_dir': 'warning', 'dtls_prefix_tls_value': 'warning',
    'env_reference_unknown': 'warning', 'config_missing': 'info', 'file_not_utf8': 'info',
    'include_relative': 'info', 'include_dir_order': 'info', 'unknown_setting': 'warning',
}


def split_command(key):
    """('TLS', 'MinProtocol') for 'TLS.MinProtocol'; ('', key) without a dot."""
    if '.' in key:
        prefix, cmd = key.split('.', 1)
        return prefix, cmd
    return '', key


def _module_name(key):
    return key.rsplit('.', 1)[0] if '.' in key else key


def seclevel_of(cipher_string):
    """The last @SECLEVEL=N of a cipher string as int, None if absent."""
    found = re.findall(r'@SECLEVEL=(\d+)', cipher_string or '')
    return int(found[-1]) if found else None


def _protocol_tokens(value):
    return [tok.strip() for tok in (value or '').split(',') if tok.strip()]


_PROTO_OPTION_NAMES = dict((name.lower(), name) for name in ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'DTLSv1', 'DTLSv1.2'))


def apply_protocol_option(enabled, value):
    """Fold one 'Protocol = ...' value over a set of enabled TLS names."""
    enabled = set(enabled)
    for tok in _protocol_tokens(value):
        on = True
        name = tok
        if tok[0] in '+-':
            on = tok[0] == '+'
            name = tok[1:]
        lname = name.lower()
        if lname == 'all':
            targets = list(TLS_PROTOCOLS)
        elif lname in _PROTO_OPTION_NAMES and _PROTO_OPTION_NAMES[lname] in _RANK:
            targets = [_PROTO_OPTION_NAMES[lname]]
        else:
            continue
        for target in targets:
            if on:
                enabled.add(target)
            else:
                enabled.discard(target)
    return enabled


class LoadedConfig(object):
    """Everything learnt from loading one main config file."""

    def __init__(self, main_path, fs, env, max_bytes, max_depth, cwd):
        self.main_path = main_path
        self.fs = fs
        self.env = env
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.cwd = cwd
        self.documents = OrderedDict()
        self.raw_bytes = {}
        self.trace = []        # (path, index, section) in load order
        self.sections = OrderedDict([('default', [])])  # name -> entries, OpenSSL view
        self.all_entries = []  # every kv in load order, duplicates included
        self.issues = []
        self.files = []
        self.failed = None     # issue dict of the syntax error that kills the load
        self.complete = True
        self.main_missing = False
        self.result = None

    # -- helpers
    def issue(self, code, message, path=None, line=None, section=None, key=None, value=None):
        entry = {'code': code, 'severity': _SEVERITY.get(code, 'warning'), 'message': message,
                 'path': path, 'line': line, 'section': section, 'key': key, 'value': value}
        self.issues.append(entry)
        return entry

    def _lookup_factory(self):
        def lookup(section, name):
            if section is not None:
                for entry in self.sections.get(section, []):
                    if entry['key'] == name:
                        return entry['value']
                if section == 'ENV':
                    if self.env is None:
                        if not any(e['key'] == name for e in self.sections.get('default', [])):
                            self.issue('env_reference_unknown', 'value refers to $ENV::%s; the environment of the applications is not known here, '
                                       'OpenSSL fails to load the whole file if it is unset' % name, key=name)
                            return ''
                    elif name in self.env:
                        return self.env[name]
            for entry in self.sections.get('default', []):
                if entry['key'] == name:
                    return entry['value']
            return None
        return lookup

    def _add_entry(self, section, key, value, raw_value, path, item, index):
        entry = {'path': path, 'line': item.lineno, 'section': section, 'key': key, 'value': value,
                 'raw_value': raw_value, 'index': index}
        bucket = self.sections.setdefault(section, [])
        for old in list(bucket):
            if old['key'] == key:
                bucket.remove(old)
        bucket.append(entry)
        self.all_entries.append(entry)

    def _fail(self, path, item, message):
        self.failed = self.issue(
            'syntax_error', '%s at %s line %d; OpenSSL then ignores the whole configuration (no system policy applies, fails open)'
            % (message, path, item.lineno), path=path, line=item.lineno, section=None, key=item.key, value=item.value)

    # -- loading
    def load(self):
        state = {'section': 'default', 'dollarid': False, 'abspath': False, 'includedir': None, 'in_dir': False}
        self._load_file(self.main_path, 0, [], state, main=True)
        self._evaluate()
        return self

    def _read(self, path, main, include_line):
        where = include_line or {}
        try:
            data = self.fs.read(path, self.max_bytes)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                if main:
                    self.main_missing = True
                    self.issue('config_missing', 'main configuration file %s does not exist; OpenSSL runs with built-in defaults' % path, path=path)
                else:
                    self.issue('include_missing', '.include target %s does not exist; OpenSSL skips it silently' % path, **where)
            elif isinstance(exc, NotRegularFile):
                self.complete = False
                self.issue('file_not_regular', '%s is %s, not a regular file: it was not read, and an application that loads this '
                           'configuration may block on it or read garbage' % (path, exc.kind), path=path,
                           line=where.get('line'), section=where.get('section'))
            else:
                self.complete = False
                self.issue('file_unreadable', 'cannot read %s: %s' % (path, exc.strerror or exc), path=path,
                           line=where.get('line'), section=where.get('section'))
            return None
        if len(data) > self.max_bytes:
            self.complete = False
            self.issue('file_too_large', '%s is larger than %d bytes; not read' % (path, self.max_bytes), path=path,
                       line=where.get('line'), section=where.get('section'))
            return None
        return data

    def _load_file(self, path, depth, stack, state, main=False, include_line=None):
        if path in stack:
            self.complete = False
            self.issue('include_cycle', '%s includes itself (via %s); skipped' % (path, ' -> '.join(stack)), **(include_line or {'path': path}))
            return
        if depth > self.max_depth:
            self.complete = False
            self.issue('include_depth', 'include depth above %d at %s; skipped' % (self.max_depth, path), **(include_line or {'path': path}))
            return
        data = self._read(path, main, include_line)
        if data is None:
            return
        if path not in self.documents:
            if not is_utf8(data):
                self.issue('file_not_utf8', '%s is not valid UTF-8 (bytes kept as they are)' % path, path=path)
            self.documents[path] = parse(read_bytes_lossless(data), path)
            self.raw_bytes[path] = data
            self.files.append({'path': path, 'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()})
        doc = self.documents[path]
        lookup = self._lookup_factory()
        for index, item in enumerate(doc.items):
            if self.failed:
                return
            self.trace.append((path, index, state['section']))
            if item.kind == 'error':
                self._fail(path, item, item.error)
                return
            if item.kind == 'section':
                state['section'] = item.name
                self.sections.setdefault(item.name, [])
                self.trace[-1] = (path, index, item.name)
            elif item.kind == 'kv':
                section = item.psection or state['section']
                try:
                    value = expand_value(item.value, section, lookup, state['dollarid'])
                except ConfSyntaxError as exc:
                    self._fail(path, item, str(exc))
                    return
                self._add_entry(section, item.key, value, item.value, path, item, index)
            elif item.kind == 'pragma':
                if not self._pragma(path, item, state, lookup):
                    return
            elif item.kind == 'include':
                self._include(path, item, depth, stack, state, lookup)

    def _pragma(self, path, item, state, lookup):
        arg = item.value
        if ':' not in arg or arg.startswith(':') or arg.endswith(':'):
            self._fail(path, item, 'invalid pragma %r' % arg)
            return False
        name, val = arg.split(':', 1)
        name = _rtrim(name)
        val = val.strip(_WS)
        if name in ('dollarid', 'abspath'):
            if val not in ('on', 'true', 'off', 'false'):
                self._fail(path, item, 'invalid pragma value %r' % arg)
                return False
            state[name] = val in ('on', 'true')
        elif name == 'includedir':
            try:
                state['includedir'] = expand_value(val, state['section'], lookup, state['dollarid'])
            except ConfSyntaxError as exc:
                self._fail(path, item, str(exc))
                return False
        return True

    def _include(self, path, item, depth, stack, state, lookup):
        where = {'path': path, 'line': item.lineno, 'section': state['section'], 'key': '.include', 'value': item.value}
        try:
            target = expand_value(item.value, item.psection or state['section'], lookup, state['dollarid'])
        except ConfSyntaxError as exc:
            self._fail(path, item, str(exc))
            return
        prefix = (self.env or {}).get('OPENSSL_CONF_INCLUDE') or state['includedir']
        if prefix and not target.startswith('/'):
            target = prefix.rstrip('/') + '/' + target
        if state['abspath'] and not target.startswith('/'):
            self._fail(path, item, 'relative .include path %r while abspath pragma is on' % target)
            return
        if target and not target.startswith('/'):
            self.issue('include_relative', '.include %s is relative: OpenSSL resolves it from the working directory of each application'
                       % target, **where)
            if self.cwd:
                target = os.path.join(self.cwd, target)
        if not target:
            self.issue('include_missing', '.include without a usable path; OpenSSL skips it', **where)
            return
        is_dir = False
        try:
            is_dir = self.fs.isdir(target)
        except OSError:
            is_dir = False
        if not is_dir:
            self._load_file(target, depth + 1, stack + [path], state, include_line=where)
            return
        if state['in_dir']:
            self.issue('include_nested_dir', 'directory %s is included from a file that itself came from a directory include; '
                       'OpenSSL refuses that and skips it' % target, **where)
            return
        try:
            names = self.fs.listdir(target)
        except OSError as exc:
            self.complete = False
            self.issue('file_unreadable', 'cannot list %s: %s' % (target, exc.strerror or exc), **where)
            return
        picked = []
        for name in sorted(names):
            low = name.lower()
            if (len(low) > 4 and low.endswith('.cnf')) or (len(low) > 5 and low.endswith('.conf')):
                full = target.rstrip('/') + '/' + name
                if not self.fs.isdir(full):
                    picked.append(full)
        if len(picked) > 1:
            self.issue('include_dir_order', 'directory %s holds %d config files; OpenSSL reads them in file-system order, '
                       'this reader sorts them by name' % (target, len(picked)), **where)
        state['in_dir'] = True
        try:
            for full in picked:
                self._load_file(full, depth + 1, stack + [path], state, include_line=where)
                if self.failed:
                    return
        finally:
            state['in_dir'] = False

    # -- evaluation
    def _evaluate(self):
        res = OrderedDict()
        res['main_path'] = self.main_path
        res['files'] = self.files
        res['complete'] = self.complete
        res['status'] = None
        res['applies'] = False
        res['chain'] = []
        res['init_section'] = None
        res['ssl_section'] = None
        res['settings_section'] = None
        res['settings'] = OrderedDict((name, None) for name in SETTING_NAMES)
        res['min_protocol'] = None
        res['max_protocol'] = None
        res['seclevel'] = None
        res['protocols_disabled'] = []
        res['crypto_policies'] = any(CRYPTO_POLICIES_MARK in f['path'] for f in self.files)
        res['config_diagnostics'] = None
        res['issues'] = self.issues
        self.result = res
        if self.failed:
            res['status'] = 'syntax_error'
            return
        if self.main_missing:
            res['status'] = 'no_config'
            return
        for entry in self.sections.get('default', []):
            if entry['key'] == 'config_diagnostics':
                res['config_diagnostics'] = entry['value']
        # openssl_conf
        occurrences = [e for e in self.all_entries if e['key'] == 'openssl_conf']
        in_default = [e for e in occurrences if e['section'] == 'default']
        for entry in occurrences:
            if entry['section'] != 'default':
                self.issue('openssl_conf_not_in_default_section',
                           'openssl_conf at %s line %d sits in section [%s], not in the default section before the first header; OpenSSL ignores it'
                           % (entry['path'], entry['line'], entry['section']), **_where(entry))
        if len(in_default) > 1:
            last = in_default[-1]
            for entry in in_default[:-1]:
                self.issue('duplicate_openssl_conf', 'openssl_conf = %s at %s line %d is ignored: a later openssl_conf = %s at %s line %d wins'
                           % (entry['value'], entry['path'], entry['line'], last['value'], last['path'], last['line']), **_where(entry))
        if not in_default:
            res['status'] = 'no_openssl_conf'
            return
        link = in_default[-1]
        res['chain'].append(_link('openssl_conf', link))
        init = link['value']
        res['init_section'] = init
        if init not in self.sections:
            res['status'] = 'missing_init_section'
            self.issue('missing_section', 'openssl_conf points to section [%s] which does not exist; OpenSSL loads no modules' % init, **_where(link))
            return
        ssl_links = [e for e in self.sections[init] if _module_name(e['key']) == 'ssl_conf']
        if not ssl_links:
            res['status'] = 'no_ssl_conf'
            return
        link = ssl_links[-1]
        res['chain'].append(_link('ssl_conf', link))
        ssl_name = link['value']
        res['ssl_section'] = ssl_name
        if ssl_name not in self.sections:
            res['status'] = 'missing_ssl_section'
            self.issue('missing_section', 'ssl_conf points to section [%s] which does not exist; OpenSSL applies no TLS settings' % ssl_name, **_where(link))
            return
        if not self.sections[ssl_name]:
            res['status'] = 'empty_ssl_section'
            self.issue('empty_section', 'ssl section [%s] is empty; OpenSSL rejects the ssl module' % ssl_name, **_where(link))
            return
        broken = False
        for entry in self.sections[ssl_name]:
            target = entry['value']
            if target not in self.sections:
                broken = True
                self.issue('missing_section', '%s = %s in [%s] names a section that does not exist; OpenSSL then drops the whole ssl module, '
                           'system_default included' % (entry['key'], target, ssl_name), **_where(entry))
            elif not self.sections[target]:
                broken = True
                self.issue('empty_section', '%s = %s in [%s] names an empty section; OpenSSL then drops the whole ssl module'
                           % (entry['key'], target, ssl_name), **_where(entry))
        sd_links = [e for e in self.sections[ssl_name] if e['key'] == 'system_default']
        if sd_links:
            res['chain'].append(_link('system_default', sd_links[-1]))
            res['settings_section'] = sd_links[-1]['value']
        if broken:
            res['status'] = 'broken_ssl_section'
            return
        if not sd_links:
            res['status'] = 'no_system_default'
            return
        self._evaluate_settings(res, res['settings_section'])
        res['status'] = 'complete'
        res['applies'] = bool(self.complete)

    def _evaluate_settings(self, res, name):
        stack = self.sections.get(name, [])
        everything = [e for e in self.all_entries if e['section'] == name]
        groups = OrderedDict()
        for entry in everything:
            prefix, cmd = split_command(entry['key'])
            lcmd = cmd.lower()
            if lcmd not in KNOWN_COMMANDS:
                continue
            if lcmd in ('minprotocol', 'maxprotocol') and classify_protocol_value(entry['value']) == 'dtls':
                continue
            cls = 'dtls' if prefix.lower() == 'dtls' else 'tls'
            groups.setdefault((cls, lcmd), []).append(entry)
        for (cls, lcmd), members in groups.items():
            if len(members) > 1:
                last = members[-1]
                for entry in members[:-1]:
                    self.issue('duplicate_key', '%s is set again at %s line %d (%s = %s); the last one wins'
                               % (entry['key'], last['path'], last['line'], last['key'], last['value']), **_where(entry))
        settings = res['settings']
        current = {}
        for entry in stack:
            prefix, cmd = split_command(entry['key'])
            lcmd = cmd.lower()
            canonical = KNOWN_COMMANDS.get(lcmd)
            if canonical is None:
                self.issue('unknown_setting', '%s is not an SSL_CONF command OpenSSL knows; it is rejected' % entry['key'], **_where(entry))
                continue
            if canonical == 'Curves':
                canonical = 'Groups'
            record = {'path': entry['path'], 'line': entry['line'], 'section': entry['section'], 'key': entry['key'], 'value': entry['value']}
            if canonical in ('MinProtocol', 'MaxProtocol'):
                kind = classify_protocol_value(entry['value'])
                if kind == 'dtls':
                    continue
                if kind == 'invalid':
                    self.issue('invalid_protocol_value', '%s = %s is not a value OpenSSL accepts (valid: None, %s; case matters); OpenSSL '
                               'ignores the line, so no limit comes from it (fails open)' % (entry['key'], entry['value'], ', '.join(TLS_PROTOCOLS)),
                               **_where(entry))
                    continue
                if prefix.lower() == 'dtls':
                    self.issue('dtls_prefix_tls_value', '%s = %s: OpenSSL drops the prefix, so this TLS value applies to TLS too'
                               % (entry['key'], entry['value']), **_where(entry))
            if canonical == 'Protocol':
                self.issue('protocol_option_deprecated', 'Protocol = %s is fragile and deprecated; use MinProtocol/MaxProtocol' % entry['value'],
                           **_where(entry))
            current[canonical] = record
        for canonical in SETTING_NAMES:
            if canonical in current:
                settings[canonical] = current[canonical]
        min_rec = current.get('MinProtocol')
        max_rec = current.get('MaxProtocol')
        min_val = min_rec['value'] if min_rec and min_rec['value'] != 'None' else None
        max_val = max_rec['value'] if max_rec and max_rec['value'] != 'None' else None
        res['min_protocol'] = openssl_name_to_id(min_val)
        res['max_protocol'] = openssl_name_to_id(max_val)
        if current.get('CipherString'):
            res['seclevel'] = seclevel_of(current['CipherString']['value'])
        enabled = set(TLS_PROTOCOLS)
        for entry in stack:
            if split_command(entry['key'])[1].lower() == 'protocol':
                enabled = apply_protocol_option(enabled, entry['value'])
        res['protocols_disabled'] = [openssl_name_to_id(p) for p in TLS_PROTOCOLS if p not in enabled]
        if min_val and max_val and _RANK[max_val] < _RANK[min_val]:
            self.issue('max_below_min', 'MaxProtocol %s is below MinProtocol %s: no protocol version is left, every TLS connection fails'
                       % (max_val, min_val), **_where(max_rec))
        if max_val and _RANK[max_val] < _RANK['TLSv1.3']:
            self.issue('max_blocks_tls13', 'MaxProtocol = %s keeps TLS 1.3 off' % max_val, **_where(max_rec))

    def to_dict(self):
        return self.result


def _where(entry):
    return {'path': entry.get('path'), 'line': entry.get('line'), 'section': entry.get('section'), 'key': entry.get('key'),
            'value': entry.get('value')}


def _link(name, entry):
    data = _where(entry)
    data['link'] = name
    return data


def load_config(main_path, read=None, env=None, max_bytes=1048576, max_depth=8, fs=None, cwd=None):
    """Load main_path like OpenSSL does and evaluate it; returns LoadedConfig.

    ``read(path)`` may replace file reading (no directory support then);
    ``fs`` (LocalFS/MemoryFS-like) gives full control. ``env`` is the
    environment of the applications (OPENSSL_CONF_INCLUDE, $ENV::x); None
    means unknown.
    """
    if fs is None:
        if read is not None:
            fs = _ReadOnlyFS(read)
        else:
            fs = LocalFS()
    return LoadedConfig(main_path, fs, env, max_bytes, max_depth, cwd).load()


class _ReadOnlyFS(object):
    def __init__(self, read):
        self._read = read

    def read(self, path, limit=None):
        return encode_lossless(self._read(path))

    def isdir(self, path):
        return False

    def listdir(self, path):
        raise OSError(errno.ENOTDIR, 'Not a directory', path)


def resolve_system_default(main_path, read=None, env=None, max_bytes=1048576, max_depth=8, fs=None, cwd=None):
    """Plain-dict result of load_config (see module docstring)."""
    return load_config(main_path, read=read, env=env, max_bytes=max_bytes, max_depth=max_depth, fs=fs, cwd=cwd).to_dict()


def chain_applies(result):
    """True when OpenSSL really applies a system_default section."""
    if isinstance(result, LoadedConfig):
        result = result.result
    return bool(result and result.get('applies') and result.get('complete') and result.get('status') == 'complete')


def issue_codes(result):
    if isinstance(result, LoadedConfig):
        result = result.result
    return [issue['code'] for issue in result.get('issues', [])]


# --------------------------------------------------------------------------
# editing

class _Edits(object):
    """Pending byte-preserving edits on the loaded documents."""

    def __init__(self, config):
        self.config = config
        self.replace = {}   # (path, index) -> new raw
        self.after = {}     # (path, index) -> [lines]
        self.append = OrderedDict()  # section name -> [lines] (new sections at the end of main)
        self.append_order = []

    def doc(self, path):
        return self.config.documents[path]

    def set_value(self, path, index, new_value):
        item = self.doc(path).items[index]
        raw = self.replace.get((path, index), item.raw)
        if item.nlines == 1 and raw == item.raw:
            new_raw = raw[:item.vstart] + new_value + raw[item.vend:]
        else:
            indent = item.logical[:len(item.logical) - len(item.logical.lstrip(_WS))]
            ending = raw[len(raw.rstrip('\r\n')):]
            new_raw = '%s%s = %s%s' % (indent, item.key, new_value, ending)
        self.replace[(path, index)] = new_raw

    def comment_out(self, path, index):
        item = self.doc(path).items[index]
        self.replace[(path, index)] = ''.join('# ' + line for line in _split_physical(item.raw))

    def insert_after(self, path, index, line):
        self.after.setdefault((path, index), []).append(line)

    def new_section_line(self, section, line):
        if section not in self.append:
            self.append[section] = []
        self.append[section].append(line)

    def render_all(self):
        changed = OrderedDict()
        paths = set(p for p, _i in self.replace) | set(p for p, _i in self.after)
        if self.append:
            paths.add(self.config.main_path)
        for path in self.config.documents:
            if path not in paths:
                continue
            doc = self.doc(path)
            nl = doc.newline
            out = []
            if (path, -1) in self.after:
                out.extend(line + nl for line in self.after[(path, -1)])
            for index, item in enumerate(doc.items):
                raw = self.replace.get((path, index), item.raw)
                extra = self.after.get((path, index))
                if extra and not raw.endswith('\n'):
                    raw += nl
                out.append(raw)
                if extra:
                    out.extend(line + nl for line in extra)
            if path == self.config.main_path and self.append:
                out.append(self._tail(''.join(out), nl))
            changed[path] = ''.join(out)
        main = self.config.main_path
        if main not in self.config.documents and (self.append or (main, -1) in self.after):
            head = ''.join(line + '\n' for line in self.after.get((main, -1), []))
            changed[main] = head + self._tail(head, '\n')
        return changed

    def _tail(self, text, nl):
        parts = []
        if text and not text.endswith('\n'):
            parts.append(nl)
        if text and not text.endswith(nl + nl) and text.strip():
            parts.append(nl)
        first = True
        for section, lines in self.append.items():
            if not first:
                parts.append(nl)
            first = False
            parts.append('[%s]%s' % (section, nl))
            parts.extend(line + nl for line in lines)
        return ''.join(parts)


def _items_in_section(config, name, kinds=('kv',)):
    return [(path, index) for path, index, section in config.trace
            if section == name and config.documents[path].items[index].kind in kinds]


def _header_of(config, name):
    found = None
    for path, index, section in config.trace:
        item = config.documents[path].items[index]
        if item.kind == 'section' and item.name == name:
            found = (path, index)
    return found


def _ensure_kv(edits, section, key, value):
    line = '%s = %s' % (key, value)
    if section in edits.append:
        edits.new_section_line(section, line)
        return
    members = _items_in_section(edits.config, section, ('kv', 'include'))
    if members:
        path, index = members[-1]
    else:
        header = _header_of(edits.config, section)
        if header is None:
            edits.new_section_line(section, line)
            return
        path, index = header
    edits.insert_after(path, index, line)


def _insert_default(edits, line):
    config = edits.config
    main = config.main_path
    doc = config.documents.get(main)
    if doc is None:
        edits.insert_after(main, -1, line)
        return
    last_kv = None
    first_header = None
    for index, item in enumerate(doc.items):
        if item.kind == 'section':
            first_header = index
            break
        if item.kind in ('kv', 'include', 'pragma') and not item.psection:
            last_kv = index
    if last_kv is not None:
        edits.insert_after(main, last_kv, line)
        return
    if first_header is None:
        edits.insert_after(main, len(doc.items) - 1, line)
        return
    # before the comment block that introduces the first header
    pos = first_header
    while pos > 0 and doc.items[pos - 1].kind == 'comment':
        pos -= 1
    edits.insert_after(main, pos - 1, line)
    edits.insert_after(main, pos - 1, '')


def _tls_entries(config, section, lcmd):
    found = []
    for entry in config.all_entries:
        if entry['section'] != section:
            continue
        if split_command(entry['key'])[1].lower() != lcmd:
            continue
        if lcmd in ('minprotocol', 'maxprotocol') and classify_protocol_value(entry['value']) == 'dtls':
            continue
        found.append(entry)
    return found


def _protocol_disables(value, names):
    enabled = apply_protocol_option(set(TLS_PROTOCOLS), value)
    return [name for name in names if name not in enabled]


def _fix_protocol_for_tls12(value):
    tokens = _protocol_tokens(value)
    kept = [tok for tok in tokens if tok.lower() != '-tlsv1.2']
    if 'TLSv1.2' not in apply_protocol_option(set(TLS_PROTOCOLS), ','.join(kept)):
        kept.append('TLSv1.2')
    return ','.join(kept)


def _cipher_string_without_ciphers(raw_value):
    """A CipherString that adds no suite (``None``) leaves TLS 1.2 and below without ciphers: the replacement
    value (``DEFAULT`` plus the directives it held), or None when the value does select suites."""
    tokens = [t for t in re.split(r'[:, ]+', (raw_value or '').strip()) if t]
    added = [t for t in tokens if t[0] not in '!-+@']
    if not added or any(t.lower() != 'none' for t in added):
        return None
    return ':'.join(['DEFAULT'] + [t for t in tokens if t[0] == '@'])


def _plan_settings(edits, sd, target, mode, raise_seclevel0_to):
    """Edits inside the settings section. Returns True if anything changed."""
    config = edits.config
    changed = False
    for entry in _tls_entries(config, sd, 'cipherstring'):
        replacement = _cipher_string_without_ciphers(entry['raw_value'])
        if replacement is not None:
            if mode == 'enforce_minimum' and raise_seclevel0_to is not None:
                replacement = re.sub(r'@SECLEVEL=0(?!\d)', '@SECLEVEL=%d' % int(raise_seclevel0_to), replacement)
            edits.set_value(entry['path'], entry['index'], replacement)
            changed = True
    if mode == 'enforce_minimum':
        mins = _tls_entries(config, sd, 'minprotocol')
        eff = None
        for entry in config.sections.get(sd, []):
            if split_command(entry['key'])[1].lower() == 'minprotocol' and classify_protocol_value(entry['value']) in ('tls', 'none'):
                eff = entry['value']
        want = target
        if eff in _RANK and _RANK[eff] > _RANK[target]:
            want = eff
        if not mins:
            _ensure_kv(edits, sd, 'MinProtocol', want)
            changed = True
        for entry in mins:
            if entry['value'] != want:
                edits.set_value(entry['path'], entry['index'], want)
                changed = True
        for entry in _tls_entries(config, sd, 'maxprotocol'):
            if entry['value'] in _RANK and _RANK[entry['value']] < _RANK[want]:
                edits.set_value(entry['path'], entry['index'], 'None')
                changed = True
        keep = [name for name in TLS_PROTOCOLS if _RANK[name] >= _RANK[want]]
        for entry in _tls_entries(config, sd, 'protocol'):
            if _protocol_disables(entry['value'], keep):
                edits.comment_out(entry['path'], entry['index'])
                changed = True
        if raise_seclevel0_to is not None:
            for entry in _tls_entries(config, sd, 'cipherstring'):
                if re.search(r'@SECLEVEL=0(?!\d)', entry['raw_value']) and _cipher_string_without_ciphers(entry['raw_value']) is None:
                    new = re.sub(r'@SECLEVEL=0(?!\d)', '@SECLEVEL=%d' % int(raise_seclevel0_to), entry['raw_value'])
                    edits.set_value(entry['path'], entry['index'], new)
                    changed = True
    else:
        for entry in _tls_entries(config, sd, 'maxprotocol'):
            if entry['value'] in _RANK and _RANK[entry['value']] < _RANK['TLSv1.2']:
                edits.set_value(entry['path'], entry['index'], 'TLSv1.2')
                changed = True
        for entry in _tls_entries(config, sd, 'minprotocol'):
            if entry['value'] in _RANK and _RANK[entry['value']] > _RANK['TLSv1.2']:
                edits.set_value(entry['path'], entry['index'], 'TLSv1.2')
                changed = True
        for entry in _tls_entries(config, sd, 'protocol'):
            if _protocol_disables(entry['value'], ['TLSv1.2']):
                edits.set_value(entry['path'], entry['index'], _fix_protocol_for_tls12(entry['value']))
                changed = True
    return changed


def _refuse_if_unsafe(config):
    if config.failed:
        issue = config.failed
        raise OpenSSLConfError('refusing to edit: %s. Fix the file by hand first.' % issue['message'], code='syntax_error',
                               path=issue['path'], line=issue['line'])
    if not config.complete:
        unsafe = ('file_unreadable', 'file_not_regular', 'file_too_large', 'include_cycle', 'include_depth')
        bad = [i for i in config.issues if i['code'] in unsafe]
        detail = '; '.join(i['message'] for i in bad) or 'configuration could not be read completely'
        raise OpenSSLConfError('refusing to edit: %s' % detail, code='incomplete')
    env_issues = [i for i in config.issues if i['code'] == 'env_reference_unknown']
    if env_issues:
        raise OpenSSLConfError('refusing to edit: the configuration depends on environment variables (%s)' % env_issues[0]['message'],
                               code='environment')


def _crypto_policies_paths(config):
    paths = [f['path'] for f in config.files if CRYPTO_POLICIES_MARK in f['path']]
    for path, index, _section in config.trace:
        item = config.documents[path].items[index]
        if item.kind == 'include' and 'crypto-policies' in item.value:
            paths.append(item.value)
    return paths


def plan_policy(config, min_protocol='TLSv1.2', mode='enforce_minimum', main_path=None, env=None,
                raise_seclevel0_to=2, names=None, max_bytes=1048576):
    """Plan edits; returns [(path, old_text_or_None, new_text)] for changed files only.

    ``config`` is a LoadedConfig, or a dict {path: text|bytes} together with
    ``main_path``. ``names`` may override the section names used when the
    chain must be created: {'init': 'openssl_init', 'ssl': 'ssl_sect',
    'settings': 'system_default_sect'}. Raises OpenSSLConfError on refusal.
    """
    if mode not in ('enforce_minimum', 'ensure_tls12'):
        raise OpenSSLConfError('unknown mode %r (enforce_minimum or ensure_tls12)' % mode, code='invalid_argument')
    if mode == 'enforce_minimum' and min_protocol not in ('TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'):
        raise OpenSSLConfError('min_protocol must be one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, not %r' % (min_protocol,), code='invalid_argument')
    if isinstance(config, dict):
        if not main_path:
            raise OpenSSLConfError('main_path is needed with a dict of documents', code='invalid_argument')
        config = load_config(main_path, fs=MemoryFS(config), env=env, max_bytes=max_bytes)
    chosen = {'init': 'openssl_init', 'ssl': 'ssl_sect', 'settings': 'system_default_sect'}
    chosen.update(names or {})
    _refuse_if_unsafe(config)
    res = config.result
    edits = _Edits(config)
    if mode == 'ensure_tls12':
        if res['status'] != 'complete':
            return []
        changed = _plan_settings(edits, res['settings_section'], 'TLSv1.2', mode, None)
    else:
        changed = _plan_chain(edits, config, chosen, min_protocol, raise_seclevel0_to)
    if not changed:
        return []
    cp_paths = _crypto_policies_paths(config)
    if cp_paths:
        raise OpenSSLConfError('refusing to edit: the TLS settings come from crypto-policies (%s). Change the policy with '
                               'update-crypto-policies (for example --set DEFAULT) instead of editing its back-end files.'
                               % ', '.join(sorted(set(cp_paths))), code='crypto_policies')
    texts = edits.render_all()
    plan = []
    for path, new_text in texts.items():
        old = read_bytes_lossless(config.raw_bytes[path]) if path in config.raw_bytes else None
        if old != new_text:
            plan.append((path, old, new_text))
    _verify_plan(config, plan, min_protocol, mode)
    return plan


def _plan_chain(edits, config, chosen, min_protocol, raise_seclevel0_to):
    """Make sure openssl_conf -> init -> ssl_conf -> ssl -> system_default exists, reusing names."""
    res = config.result
    sections = config.sections
    changed = False
    init = res['init_section']
    if res['status'] in ('no_openssl_conf', 'no_config'):
        misplaced = [e for e in config.all_entries if e['key'] == 'openssl_conf' and e['section'] != 'default']
        init = chosen['init']
        if misplaced and misplaced[-1]['value'] in sections:
            init = misplaced[-1]['value']
        for entry in misplaced:
            edits.comment_out(entry['path'], entry['index'])
        _insert_default(edits, 'openssl_conf = %s' % init)
        changed = True
    ssl_links = [e for e in sections.get(init, []) if _module_name(e['key']) == 'ssl_conf']
    if ssl_links:
        ssl_name = ssl_links[-1]['value']
    else:
        ssl_name = chosen['ssl']
        _ensure_kv(edits, init, 'ssl_conf', ssl_name)
        changed = True
    for entry in sections.get(ssl_name, []):
        if entry['key'] != 'system_default' and (entry['value'] not in sections or not sections[entry['value']]):
            msg = ('refusing to edit: %s = %s in [%s] (%s line %d) names a missing or empty section, so OpenSSL drops '
                   'the whole ssl module; fix that entry by hand first') % (entry['key'], entry['value'], ssl_name, entry['path'], entry['line'])
            raise OpenSSLConfError(msg, code='broken_chain', path=entry['path'], line=entry['line'])
    sd_links = [e for e in sections.get(ssl_name, []) if e['key'] == 'system_default']
    if sd_links:
        settings = sd_links[-1]['value']
    else:
        settings = chosen['settings']
        _ensure_kv(edits, ssl_name, 'system_default', settings)
        changed = True
    if _plan_settings(edits, settings, min_protocol, 'enforce_minimum', raise_seclevel0_to):
        changed = True
    return changed


def _verify_plan(config, plan, min_protocol, mode):
    overlay = dict((path, new) for path, _old, new in plan)
    fs = MemoryFS(overlay, base=config.fs)
    check = load_config(config.main_path, fs=fs, env=config.env, max_bytes=max(config.max_bytes, 2 * config.max_bytes),
                        max_depth=config.max_depth, cwd=config.cwd)
    res = check.result
    if check.failed or res['status'] != 'complete':
        raise OpenSSLConfError('internal check failed: the planned file does not load as a complete chain (%s)' % res['status'], code='internal')
    if mode == 'enforce_minimum':
        got = (res['settings'].get('MinProtocol') or {}).get('value')
        if got not in _RANK or _RANK[got] < _RANK[min_protocol]:
            raise OpenSSLConfError('internal check failed: planned MinProtocol is %r' % (got,), code='internal')
    else:
        maxv = (res['settings'].get('MaxProtocol') or {}).get('value')
        minv = (res['settings'].get('MinProtocol') or {}).get('value')
        if (maxv in _RANK and _RANK[maxv] < _RANK['TLSv1.2']) or (minv in _RANK and _RANK[minv] > _RANK['TLSv1.2']) \
                or 'tls1_2' in res['protocols_disabled']:
            raise OpenSSLConfError('internal check failed: TLS 1.2 is still blocked', code='internal')
