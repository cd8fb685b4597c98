# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side engine that finds Exchange Online Remote PowerShell (RPS) usage in PowerShell
scripts and rewrites it to the ExchangeOnlineManagement V3 module.

Public interface (plain dicts and lists, JSON-serialisable):

- ``decode_script(data) -> (text, encoding)`` and ``encode_script(text, encoding) -> bytes``
- ``prefilter_patterns() -> list[str]`` and ``prefilter_match(text_or_bytes) -> bool``
- ``scan(text, path='') -> dict``
- ``migrate(text, path='', auth='keep_credential', options=None) -> dict``

Positions: ``line`` and ``column`` are 1-based, columns count Unicode code points, and
``end_line``/``end_column`` point just past the last character (the SARIF convention).
``offset``/``end_offset`` are 0-based character offsets into the text that was passed in.
The rules are described in docs/exo-migration-rules.md.
"""

import re

from ._ast import Budget, Overrun
from ._catalog import CATALOG, make
from ._engine import AUTH_MODES, REQUIRES_LINE, Analysis
from ._migrate import AUTH_LIMITS
from ._migrate import migrate as _run_migrate
from ._text import decode_script, encode_script, normalise

ENGINE_VERSION = '1.0.0'

__all__ = ['AUTH_LIMITS', 'AUTH_MODES', 'CATALOG', 'ENGINE_VERSION', 'LIMITS', 'REQUIRES_LINE', 'decode_script', 'encode_script', 'migrate',
           'normalise', 'prefilter_match', 'prefilter_patterns', 'scan']

_DASH = '[-\\u2013\\u2014\\u2015]'

# Case-insensitive regular expressions in the common subset of Python ``re`` and .NET regex syntax.
_PREFILTER = (
    'Microsoft\\.Exchange',
    'powershell-liveid',
    'outlook\\.office365\\.(com|us)',
    'ps\\.outlook\\.com',
    'ps\\.compliance\\.protection',
    'ps\\.protection\\.',
    'compliance\\.protection',
    'compliance\\.dod\\.microsoft',
    'outlook-dod\\.office365',
    'webmail\\.apps\\.mil',
    'partner\\.outlook\\.cn',
    'outlook\\.office\\.de',
    'Connect' + _DASH + 'EXOPSSession',
    'New' + _DASH + 'ExoPSSession',
    'UseRPSSession',
    'Import' + _DASH + 'PSSession',
    'CreateExoPSSession',
    'ExoPowershellModule',
    'DelegatedOrg=',
    'pod\\d+psh\\.outlook\\.com',
    'winrm/config/client/auth',
    'Invoke' + _DASH + 'Command\\b[^\\r\\n]*' + _DASH + 'Session\\b',
)


def prefilter_patterns():
    """Case-insensitive regular expressions; a file that matches none of them has nothing for the engine.

    They apply to decoded text (decode UTF-16 files first). False positives are expected, misses are not.
    """
    return list(_PREFILTER)


_PREFILTER_RE = re.compile('|'.join('(?:%s)' % p for p in _PREFILTER), re.I)


def prefilter_match(data):
    """True when ``data`` (text, or bytes decoded with :func:`decode_script`) matches a prefilter pattern."""
    if isinstance(data, (bytes, bytearray)):
        data = decode_script(bytes(data))[0]
    return _PREFILTER_RE.search(data) is not None


# Per-file bounds: beyond them a file gets finding EXO032 instead of an analysis (never a stall).
LIMITS = {'max_chars': 4 * 1024 * 1024, 'max_seconds': 20.0}


def _limits(limits):
    out = dict(LIMITS)
    out.update({k: v for k, v in (limits or {}).items() if v is not None})
    return out


def _bounded(text, path, message):
    """The result for a file that was not analysed: one finding, and fail closed when it looks legacy."""
    item = make('EXO032', {'line': 1, 'column': 1, 'end_line': 1, 'end_column': 1}, '', None, False, message)
    item['offset'] = item['end_offset'] = 0
    return {'path': path or '', 'findings': [item], 'connections': [], 'parse_errors': [],
            'legacy_remaining': 1 if prefilter_match(text) else 0}


def _size_problem(text, limit):
    if limit['max_chars'] and len(text) > limit['max_chars']:
        return 'Not analysed: %d characters is more than the bound of %d per file' % (len(text), limit['max_chars'])
    return None


def scan(text, path='', limits=None):
    """Find legacy Exchange Online / Security & Compliance connections and related patterns in ``text``.

    Returns ``{'path', 'findings', 'connections', 'parse_errors', 'legacy_remaining'}``. ``limits``
    (``max_chars``, ``max_seconds``; defaults in ``LIMITS``) bound the work per file: past them the
    result holds finding EXO032 and, when the text matches the prefilter, ``legacy_remaining`` 1.
    """
    limit = _limits(limits)
    problem = _size_problem(text, limit)
    if problem:
        return _bounded(text, path, problem)
    try:
        return Analysis(text, path, Budget(limit['max_seconds'])).result()
    except Overrun as exc:
        return _bounded(text, path, 'Not analysed: %s (bound per file)' % exc)


def migrate(text, path='', auth='keep_credential', options=None, limits=None):
    """Rewrite legacy RPS usage in ``text`` to the ExchangeOnlineManagement V3 module.

    ``auth``: keep_credential, interactive, certificate or managed_identity. ``options``: app_id,
    organization, certificate_thumbprint, certificate_file_path, certificate_password_variable,
    platform (windows or linux), managed_identity_account_id, add_requires (default True),
    show_banner (default False: generated connects get -ShowBanner:$false). ``limits`` as for scan().

    Returns ``{'text', 'changed', 'edits', 'findings', 'connections', 'parse_errors_after',
    'legacy_remaining', 'auth_limits'}``; ``text`` is the very object passed in when nothing changes.
    """
    limit = _limits(limits)
    problem = _size_problem(text, limit)
    try:
        if not problem:
            return _run_migrate(text, path, auth, options, Budget(limit['max_seconds']))
    except Overrun as exc:
        problem = 'Not analysed: %s (bound per file)' % exc
    if auth not in AUTH_MODES:
        raise ValueError('auth must be one of %s' % ', '.join(AUTH_MODES))
    bounded = _bounded(text, path, problem)
    return {'text': text, 'changed': False, 'edits': [], 'findings': bounded['findings'], 'connections': [],
            'parse_errors_after': [], 'legacy_remaining': bounded['legacy_remaining'], 'auth_limits': AUTH_LIMITS[auth]}
