# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: which TLS cipher suites each Exchange Online endpoint family accepts, and which
suites Windows' SChannel offers per build, as data.

TLS 1.2 being on is not enough: a client with no cipher suite in common with the server fails
the handshake.  This module is data plus two small functions, standard library only, so it ships
to Linux targets (tls_facts) and serves the controller-side Windows brain alike.

How to update: change the lists, set ``retrieved`` to the day you read the source, keep the
source URL.  Names are the IANA names (``TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384``); OpenSSL prints
them with ``openssl ciphers -stdname``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Microsoft's list of the TLS 1.2 suites Microsoft 365 / Office 365 supports, in its order of
# preference ("Technical reference details about encryption", TLS cipher suites section).
M365_ENCRYPTION_DOC = 'https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption'
M365_TLS12 = (
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA256',
    'TLS_RSA_WITH_AES_128_CBC_SHA256',
)
# The TLS 1.3 suites every TLS 1.3 implementation has (RFC 8446 section 9.1). The page as read
# said TLS 1.3 was not supported yet, so ``tls13_accepted`` is False: a host whose only common
# ground is TLS 1.3 is reported as failing.  Set it to True once the source lists TLS 1.3.
TLS13_SUITES = ('TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256')

# Endpoint families. ``hosts`` per service; ``tls12``/``tls13`` the suites the family accepts;
# ``tls13_accepted`` whether the family is documented to take TLS 1.3;
# ``source``/``retrieved`` where the entry comes from and when it was read; ``confidence``:
# 'documented' when the source names this family, 'same_as_worldwide' when Microsoft documents one
# list for every cloud and the family is assumed to follow it.
PROFILES = {
    'exo_worldwide': {
        'label': 'Exchange Online (worldwide, GCC)',
        'hosts': {'imap': ['outlook.office365.com'], 'pop3': ['outlook.office365.com'], 'smtp': ['smtp.office365.com'],
                  'powershell': ['outlook.office365.com']},
        'tls12': M365_TLS12, 'tls13': TLS13_SUITES, 'tls13_accepted': False,
        'source': M365_ENCRYPTION_DOC, 'retrieved': '2026-12-02', 'confidence': 'documented',
    },
    'exo_gcc_high': {
        'label': 'Exchange Online GCC High',
        'hosts': {'imap': ['outlook.office365.us'], 'pop3': ['outlook.office365.us'], 'smtp': ['smtp.office365.us'],
                  'powershell': ['outlook.office365.us']},
        'tls12': M365_TLS12, 'tls13': TLS13_SUITES, 'tls13_accepted': False,
        'source': M365_ENCRYPTION_DOC, 'retrieved': '2026-12-02', 'confidence': 'same_as_worldwide',
    },
    'exo_dod': {
        'label': 'Exchange Online DoD',
        'hosts': {'imap': ['outlook-dod.office365.us'], 'pop3': ['outlook-dod.office365.us'], 'smtp': ['smtp.office365.us'],
                  'powershell': ['webmail.apps.mil']},
        'tls12': M365_TLS12, 'tls13': TLS13_SUITES, 'tls13_accepted': False,
        'source': M365_ENCRYPTION_DOC, 'retrieved': '2026-12-02', 'confidence': 'same_as_worldwide',
    },
    'exo_21vianet': {
        'label': 'Exchange Online operated by 21Vianet',
        'hosts': {'imap': ['partner.outlook.cn'], 'pop3': ['partner.outlook.cn'], 'smtp': ['smtp.partner.outlook.cn'],
                  'powershell': ['partner.outlook.cn']},
        'tls12': M365_TLS12, 'tls13': TLS13_SUITES, 'tls13_accepted': False,
        'source': M365_ENCRYPTION_DOC, 'retrieved': '2026-12-02', 'confidence': 'same_as_worldwide',
    },
}
DEFAULT_PROFILE = 'exo_worldwide'

# OpenSSL's names for the IANA ones above (``openssl ciphers -stdname`` prints both; a test
# compares this table with the real program).
OPENSSL_NAMES = {
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384': 'ECDHE-ECDSA-AES256-GCM-SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256': 'ECDHE-ECDSA-AES128-GCM-SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384': 'ECDHE-RSA-AES256-GCM-SHA384',
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256': 'ECDHE-RSA-AES128-GCM-SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384': 'ECDHE-ECDSA-AES256-SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256': 'ECDHE-ECDSA-AES128-SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384': 'ECDHE-RSA-AES256-SHA384',
    'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256': 'ECDHE-RSA-AES128-SHA256',
    'TLS_RSA_WITH_AES_256_GCM_SHA384': 'AES256-GCM-SHA384',
    'TLS_RSA_WITH_AES_128_GCM_SHA256': 'AES128-GCM-SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA256': 'AES256-SHA256',
    'TLS_RSA_WITH_AES_128_CBC_SHA256': 'AES128-SHA256',
}


def openssl_cipher_list(profile_id=DEFAULT_PROFILE):
    """An OpenSSL cipher list (``-cipher``) with exactly the profile's TLS 1.2 suites."""
    return ':'.join(OPENSSL_NAMES[name] for name in PROFILES[profile_id]['tls12'])


# SChannel's default TLS 1.2/1.3 suites per build, from Microsoft's per-version pages
# ("TLS Cipher Suites in Windows 7 / 8 / 8.1 / 10 v1607 / 10 v22H2 / 11 / Server 2022"), index at
# https://learn.microsoft.com/en-us/windows/win32/secauthn/cipher-suites-in-schannel ; only suites
# usable with TLS 1.2 or 1.3 are kept, curve suffixes (_P256/_P384) are dropped.
# 7 / 2008 R2 / 8 / 2012 (with security advisory 3042058's order): no TLS_ECDHE_RSA_*_GCM_*.
WIN7_TLS12 = (
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
    'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
    'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
)
# 8.1 / 2012 R2 with update 2919355: the same families; TLS_ECDHE_RSA_*_GCM_* only arrive with a
# later update, so they are 'with_update' here and count only when a policy or local order names them.
WIN81_TLS12 = WIN7_TLS12
WIN81_WITH_UPDATE = ('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')
WIN10_TLS12 = (
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
    'TLS_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA',
    'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
)
WINDOWS_SOURCE = 'https://learn.microsoft.com/en-us/windows/win32/secauthn/cipher-suites-in-schannel'


def windows_defaults(major, minor, build):
    """{'tls12': (...), 'tls13': (...), 'supported': set, 'note': str} for a Windows build, or None."""
    if major is None or minor is None or build is None:
        return None
    ver = (major, minor)
    if ver < (6, 1):
        return {'tls12': (), 'tls13': (), 'supported': set(), 'note': 'no TLS 1.2 cipher suite before Windows 7 / 2008 R2 (2008 SP2: KB4019276)'}
    if ver < (6, 3):
        return {'tls12': WIN7_TLS12, 'tls13': (), 'supported': set(WIN7_TLS12), 'note': 'Windows 7 / 2008 R2 / 8 / 2012 default order'}
    if ver == (6, 3):
        return {'tls12': WIN81_TLS12, 'tls13': (), 'supported': set(WIN81_TLS12) | set(WIN81_WITH_UPDATE),
                'note': 'Windows 8.1 / 2012 R2 default order (TLS_ECDHE_RSA_*_GCM_* only with a later update)'}
    tls13 = TLS13_SUITES if build >= 20348 else ()
    return {'tls12': WIN10_TLS12, 'tls13': tls13, 'supported': set(WIN10_TLS12) | set(tls13), 'note': 'Windows 10 / Server 2016 and later default order'}


def normalise(name):
    """IANA form of a suite name as Windows writes it (drops the _P256/_P384/_P521 curve suffix)."""
    text = str(name or '').strip()
    for suffix in ('_P256', '_P384', '_P521'):
        if text.upper().endswith(suffix):
            return text[:-len(suffix)]
    return text


def split_order(value):
    """The suites of a registry order value: REG_SZ comma list (the policy) or REG_MULTI_SZ (local)."""
    if value is None:
        return None
    items = value if isinstance(value, list) else str(value).split(',')
    out = []
    for item in items:
        name = normalise(item)
        if name and name not in out:
            out.append(name)
    return out


def in_common(offered, profile_id=DEFAULT_PROFILE):
    """{'tls12': [...], 'tls13': [...]} of the offered suites the endpoint family accepts, in the
    client's order."""
    profile = PROFILES[profile_id]
    offered = [normalise(s) for s in offered or ()]
    return {
        'tls12': [s for s in offered if s in profile['tls12']],
        'tls13': [s for s in offered if s in profile['tls13']],
    }


# GnuTLS: the Exchange Online suites its NORMAL priority contains (``gnutls-cli -l --priority
# NORMAL`` lists no CBC suite with SHA-256/384, so only the GCM ones), by GnuTLS's names for
# key exchange, cipher and MAC, which the [overrides] section of the system configuration can
# disable (blocklist mode) or must enable (allowlist mode).  A test compares this with gnutls-cli.
GNUTLS_NORMAL = {
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384': ('ECDHE-ECDSA', 'AES-256-GCM', 'AEAD'),
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256': ('ECDHE-ECDSA', 'AES-128-GCM', 'AEAD'),
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384': ('ECDHE-RSA', 'AES-256-GCM', 'AEAD'),
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256': ('ECDHE-RSA', 'AES-128-GCM', 'AEAD'),
    'TLS_RSA_WITH_AES_256_GCM_SHA384': ('RSA', 'AES-256-GCM', 'AEAD'),
    'TLS_RSA_WITH_AES_128_GCM_SHA256': ('RSA', 'AES-128-GCM', 'AEAD'),
}


def gnutls_exo_suites(mode, listed):
    """The Exchange Online suites GnuTLS still offers under its system configuration.

    ``mode`` is 'blocklist' or 'allowlist'; ``listed`` maps 'kx', 'cipher', 'mac' to the names the
    [overrides] section disables (blocklist: tls-disabled-*) or enables (allowlist: tls-enabled-*)."""
    names = dict((dim, set(str(v).upper() for v in (listed.get(dim) or ()))) for dim in ('kx', 'cipher', 'mac'))
    out = []
    for suite, parts in GNUTLS_NORMAL.items():
        hits = [part.upper() in names[dim] for dim, part in zip(('kx', 'cipher', 'mac'), parts)]
        if (mode == 'allowlist' and all(hits)) or (mode != 'allowlist' and not any(hits)):
            out.append(suite)
    return out
