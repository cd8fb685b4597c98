# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: scripts that pin legacy TLS in code (report only): the scanner behind tls_facts script_paths.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import bisect
import os

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import _decide
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Descriptor,
    LABELS,
    PROTOS,
    decode,
    fin,
    new_entry,
    set_versions,
    versions_from_range)
from ansible_collections.mailtls.remediation.plugins.module_utils._lazy_re import lazy_re


DEFAULT_MAX_FILE_BYTES = 1024 * 1024
SCRIPT_MAX_FILES = 20000
SCRIPT_EXTENSIONS = ('.py', '.sh', '.bash', '.zsh', '.ksh', '.php', '.java', '.properties', '.pl', '.pm', '.rb', '.ps1', '.psm1',
                     '.js', '.ts', '.go', '.c', '.cs', '.vbs', '.cfg', '.conf', '.ini', '.xml', '.yml', '.yaml', '.groovy', '.kt')
_SCRIPT_RULES = (
    ('pin', lazy_re(r'\bPROTOCOL_(TLSv1|TLSv1_1|SSLv3)\b'), 'Python ssl.PROTOCOL_{0}',
     'Use ssl.create_default_context() with minimum_version = ssl.TLSVersion.TLSv1_2.'),
    ('pin', lazy_re(r'maximum_version\s*=\s*ssl\.TLSVersion\.(TLSv1|TLSv1_1|SSLv3)\b'), 'Python maximum_version {0}', 'Remove the maximum_version limit.'),
    ('allow', lazy_re(r'minimum_version\s*=\s*ssl\.TLSVersion\.(TLSv1|TLSv1_1|SSLv3|MINIMUM_SUPPORTED)\b'), 'Python minimum_version {0}',
     'Set minimum_version = ssl.TLSVersion.TLSv1_2.'),
    ('pin', lazy_re(r'--tls-max[ =]+[\'"]?(1\.0|1\.1)\b'), 'curl --tls-max {0}', 'Drop --tls-max or set it to 1.3; use --tlsv1.2.'),
    ('allow', lazy_re(r'(?<![\w-])--(tlsv1(?:\.0|\.1)?)(?![\w.])'), 'curl --{0} (minimum below TLS 1.2)', 'Use --tlsv1.2.'),
    ('pin', lazy_re(r'imap_open\s*\([^;]*?\{[^}\n]*/tls\b'), 'PHP imap_open with /tls (c-client uses TLS 1.0 only)',
     'Use /ssl on port 993 with an OpenSSL-1.1-aware c-client, or move to a maintained IMAP library.'),
    ('pin', lazy_re(r'\bSTREAM_CRYPTO_METHOD_(TLSv1_0|TLSv1_1|SSLv3)_CLIENT\b'), 'PHP STREAM_CRYPTO_METHOD_{0}_CLIENT',
     'Use STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT | STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT.'),
    ('allow', lazy_re(r'\bSTREAM_CRYPTO_METHOD_TLS_CLIENT\b'), 'PHP STREAM_CRYPTO_METHOD_TLS_CLIENT (TLS 1.0 only in PHP 5.6.7 to 7.1)',
     'Use STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT.'),
    ('pin', lazy_re(r'''mail\.(?:imaps?|pop3s?|smtps?)\.ssl\.protocols['"]?\s*[=:,]\s*['"]?((?:\s*(?:TLSv1(?:\.1)?|SSLv3)\b)+)['"]?(?!\s*TLSv1\.[23])'''),
     'JavaMail ssl.protocols {0}', 'Set mail.<protocol>.ssl.protocols to "TLSv1.2 TLSv1.3".'),
    ('pin', lazy_re(r'jdk\.tls\.client\.protocols\s*=\s*["\']?((?:TLSv1(?:\.1)?|SSLv3)(?:,(?:TLSv1(?:\.1)?|SSLv3))*)\b(?![.,]\d|,TLSv1\.[23])'),
     'Java jdk.tls.client.protocols={0}', 'Use -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3.'),
    ('pin', lazy_re(r'\b(TLSv1_client_method|TLSv1_1_client_method|SSLv3_client_method)\b'), 'OpenSSL {0}()',
     'Use TLS_client_method() with a TLS 1.2 minimum.'),
    ('pin', lazy_re(r'\bs_client\b[^\n]*\s(-tls1|-tls1_1|-ssl3)\b'), 'openssl s_client {0}', 'Use -tls1_2 or no version option.'),
    ('pin', lazy_re(r'SecurityProtocolType\]::(Tls|Tls11|Ssl3)\b(?![^\n]*Tls1[23])'), '.NET SecurityProtocolType::{0}',
     'Use [Net.SecurityProtocolType]::Tls12 (or leave the OS default with SystemDefault).'),
)
_SCRIPT_ENDPOINT = lazy_re(r'\b([a-z0-9]+-legacy\.office365\.com)\b', re.I)


def _script_candidates(paths, limit=SCRIPT_MAX_FILES):
    count = 0
    for root in paths:
        if os.path.isfile(root):
            yield root
            count += 1
            continue
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in ('.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', '.tox'))
            for name in sorted(files):
                path = os.path.join(folder, name)
                if os.path.islink(path):
                    continue
                if not name.lower().endswith(SCRIPT_EXTENSIONS) and '.' in name:
                    continue
                count += 1
                if count > limit:
                    return
                yield path


def scan_text_for_pins(text):
    """[(kind, line, label, fix)] for legacy TLS pins found in source text; labels carry no surrounding code."""
    hits = []
    starts = [0] + [m.end() for m in re.finditer('\n', text)]

    def line_of(pos):
        return bisect.bisect_right(starts, pos)

    for kind, regex, label, fix in _SCRIPT_RULES:
        for match in regex.finditer(text):
            value = re.sub(r'\s+', ' ', match.group(1).strip()) if match.groups() and match.group(1) else ''
            hits.append((kind, line_of(match.start()), label.format(value), fix))
    for match in _SCRIPT_ENDPOINT.finditer(text):
        hits.append(('endpoint', line_of(match.start()), match.group(1).lower(), None))
    return hits


def scan_scripts(document, paths, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
    """Report-only scan: one finding per file and kind, evidence per line; returns the hit count."""
    total = 0
    for path in _script_candidates(paths):
        result = read_file(path, max_bytes=max_file_bytes)
        if result.data is None or b'\x00' in result.data[:4096]:
            continue
        base = os.path.basename(path)
        text = decode(result.data)
        if '.' not in base and not text.startswith('#!'):
            continue
        hits = scan_text_for_pins(text)
        entry = python_tls_entry(text) if path.endswith('.py') or text.startswith('#!') and 'python' in text.split('\n', 1)[0] else None
        if not hits and entry is None:
            continue
        total += len(hits)
        subject = 'script:%s' % path
        record = {'id': 'script:%s' % path, 'client': 'script', 'user': None, 'path': path, 'line': hits[0][1] if hits else entry['line'],
                  'library': None, 'servers': [], 'settings': {'pins': ['line %d: %s' % (h[1], h[2]) for h in hits][:50]}, 'report_only': True}
        if entry is not None:
            stack = _posture.stack_by_id(document, 'openssl')
            decision = _decide.decide(entry, 'openssl', stack, path)
            record.update({'library': 'openssl', 'bounds': decision['bounds'], 'protocols': decision['protocols'],
                           'plan': {'change': decision['change'], 'files': [],
                                    'note': 'report only: mail_client_tls never edits code' if decision['change'] else None}})
            record['settings']['program'] = 'python'
            if decision['conditions']:
                record['conditions'] = decision['conditions']
        document['clients'].append(record)
        for kind, line, label, fix in hits:
            ev = [_posture.evidence('file', path=path, line=line, note=label)]
            if kind == 'endpoint':
                _posture.add_finding(document, _posture.make_finding('script_legacy_endpoint', subject + ':' + label, ev, host=label))
            elif kind == 'pin':
                _posture.add_finding(document, _posture.make_finding('script_pins_legacy_tls', subject, ev, what=label, fix=fix))
            else:
                _posture.add_finding(document, _posture.make_finding('script_allows_legacy_tls', subject, ev, what=label, fix=fix))
    return total


# Python's ssl module: a fixed-version protocol constant or minimum_version/maximum_version set the bounds in code
# (measured: ssl.SSLContext(ssl.PROTOCOL_TLSv1) still reaches a TLS 1.0 server with RSA key exchange after
# MinProtocol = TLSv1.2); create_default_context() / PROTOCOL_TLS_CLIENT alone leave them to the OpenSSL policy
# (Debian builds Python with the OpenSSL default cipher suites and no minimum of its own).
_PY_MAIL = lazy_re(r'\b(?:IMAP4_SSL|POP3_SSL|SMTP_SSL|starttls|stls)\s*\(|\bssl\.(?:create_default_context|SSLContext|wrap_socket)\b')
_PY_FIXED = lazy_re(r'\bPROTOCOL_(TLSv1_2|TLSv1_1|TLSv1|SSLv3)\b')
_PY_MIN = lazy_re(r'\bminimum_version\s*=\s*ssl\.TLSVersion\.(TLSv1_3|TLSv1_2|TLSv1_1|TLSv1|SSLv3|MINIMUM_SUPPORTED)\b')
_PY_MAX = lazy_re(r'\bmaximum_version\s*=\s*ssl\.TLSVersion\.(TLSv1_3|TLSv1_2|TLSv1_1|TLSv1|SSLv3|MAXIMUM_SUPPORTED)\b')
_PY_VERSIONS = {'SSLv3': 'ssl3', 'TLSv1': 'tls1_0', 'TLSv1_1': 'tls1_1', 'TLSv1_2': 'tls1_2', 'TLSv1_3': 'tls1_3',
                'MINIMUM_SUPPORTED': 'tls1_0', 'MAXIMUM_SUPPORTED': 'tls1_3'}


def python_tls_entry(text):
    """The TLS client a Python script makes (ssl module), as one entry; None when it makes none."""
    first = _PY_MAIL.search(text)
    if first is None:
        return None
    starts = [0] + [m.end() for m in re.finditer('\n', text)]

    def line_of(pos):
        return bisect.bisect_right(starts, pos)

    entry = new_entry('python ssl', line_of(first.start()))
    entry['program'] = 'the script'
    fixed = _PY_FIXED.search(text)
    low = _PY_MIN.search(text)
    high = _PY_MAX.search(text)
    if fixed:
        proto = _PY_VERSIONS[fixed.group(1)]
        entry['bounds'] = 'own'
        set_versions(entry, versions_from_range(proto, proto), 'ssl.PROTOCOL_%s: a fixed-version method, exactly %s' % (fixed.group(1), LABELS[proto]),
                     [fin(line_of(fixed.start()), 'PROTOCOL_%s' % fixed.group(1), None)])
        return entry
    if low or high:
        lo = _PY_VERSIONS[low.group(1)] if low else 'tls1_0'
        hi = _PY_VERSIONS[high.group(1)] if high else 'tls1_3'
        entry['bounds'] = 'own' if low else 'library'
        ev = [fin(line_of(m.start()), key, m.group(1)) for m, key in ((low, 'minimum_version'), (high, 'maximum_version')) if m]
        states = versions_from_range(lo, hi)
        if not low:
            states = dict((p, 'lib' if v == 'on' else v) for p, v in states.items())
            states['ssl3'] = 'off'
        named = (('minimum_version', low and low.group(1)), ('maximum_version', high and high.group(1)))
        set_versions(entry, states, 'the script sets %s' % ' and '.join('%s %s' % (k, v) for k, v in named if v), ev)
        return entry
    entry['bounds'] = 'library'
    set_versions(entry, dict((p, 'off' if p == 'ssl3' else 'lib') for p in PROTOS),
                 'no version set in the code: Python ssl and the OpenSSL system policy decide', [fin(line_of(first.start()), 'ssl', None)])
    return entry


DESCRIPTOR = Descriptor(
    name='script',
    formats={},
    editable=(),
    secret_keys=(),
    bounds_doc='Scripts that pin a version in code (ssl.PROTOCOL_TLSv1, curl --tlsv1.0 --tls-max 1.0, ...) override the system '
               'policy; they are reported by location, never edited.',
    report_only=True,
)
