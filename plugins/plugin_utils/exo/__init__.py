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

from ._catalog import CATALOG
from ._engine import AUTH_MODES, REQUIRES_LINE, Analysis
from ._migrate import AUTH_LIMITS
from ._migrate import migrate as _run_migrate
from ._text import decode_script, encode_script, normalise

ENGINE_VERSION = '1.0.0'

__all__ = ['AUTH_LIMITS', 'AUTH_MODES', 'CATALOG', 'ENGINE_VERSION', 'REQUIRES_LINE', 'decode_script', 'encode_script', 'migrate',
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


def scan(text, path=''):
    """Find legacy Exchange Online / Security & Compliance connections and related patterns in ``text``.

    Returns ``{'path', 'findings', 'connections', 'parse_errors', 'legacy_remaining'}``.
    """
    return Analysis(text, path).result()


def migrate(text, path='', auth='keep_credential', options=None):
    """Rewrite legacy RPS usage in ``text`` to the ExchangeOnlineManagement V3 module.

    ``auth``: keep_credential, interactive, certificate or managed_identity. ``options``: app_id,
    organization, certificate_thumbprint, certificate_file_path, certificate_password_variable,
    platform (windows or linux), managed_identity_account_id, add_requires (default True),
    show_banner (default False: generated connects get -ShowBanner:$false).

    Returns ``{'text', 'changed', 'edits', 'findings', 'connections', 'parse_errors_after',
    'legacy_remaining', 'auth_limits'}``; ``text`` is the very object passed in when nothing changes.
    """
    return _run_migrate(text, path, auth, options)
