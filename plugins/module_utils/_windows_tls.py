# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the Windows brain of mailtls.remediation.

The PowerShell modules only read and write registry values.  This module turns
their raw read into the posture document (``posture_from_raw``), plans the exact
registry writes of ``system_tls`` (``plan_system_tls``) with the lockout guards,
and plans a rollback from a backup (``plan_rollback``).

Raw read format (what ``system_tls.ps1``/``tls_facts.ps1`` return as ``raw``)::

    {"format": 1,
     "os": {"product_name", "edition_id", "installation_type", "major", "minor",
            "build", "ubr", "display_version", "service_pack", "is_64bit"},
     "registry": {"HKLM\\<path>": {"exists": bool,
                                   "values": {"<name>": {"type": "DWord"|"String"|...|"absent",
                                                         "value": ...}}}},
     "dotnet": {"v4_release": int|None, "v35_installed": bool},
     "hotfixes": ["KB3140245", ...],
     "powershell": {...}, "pending_reboot": {"pending": bool, "reasons": [...]},
     "winrm": {"listeners": [{"transport": "HTTPS", "port": 5986, ...}]},
     "internet_explorer": {"version", "svc_version"},
     "wininet_users": [{"sid", "user", "values": {"SecureProtocols": item}, "policy": {...}}],
     "rdp": {"deny_connections", "security_layer", "user_authentication"},
     "sql_server": {"instances": [{"name", "id", "version", "patch_level", "current_version", ...}]},
     "cipher_suites": {"policy": item, "local": item},
     "errors": [{"what": str, "where": str, "message": str}]}

The parts after ``winrm`` are newer: a read without them (an older reader) counts as "not read".

A value missing from ``values`` counts as absent.  Type names are the names of
``Microsoft.Win32.RegistryValueKind``.  DWORDs are unsigned (a -1 is accepted
and read as 0xffffffff).

Standard library only (Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.mailtls.remediation.plugins.module_utils import _cipher_profiles as C
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P

HKLM = 'HKLM'
SCHANNEL_BASE = 'SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols'
SCHANNEL_PROTOCOLS = ('SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3', 'DTLS 1.0', 'DTLS 1.2')
SCHANNEL_ROLES = ('Client', 'Server')
SCHANNEL_VALUES = ('Enabled', 'DisabledByDefault')
# SCHANNEL key name -> posture protocol id (SSL 2.0 and DTLS only appear in details).
SCHANNEL_TO_ID = {'SSL 3.0': 'ssl3', 'TLS 1.0': 'tls1_0', 'TLS 1.1': 'tls1_1', 'TLS 1.2': 'tls1_2', 'TLS 1.3': 'tls1_3'}
ID_TO_SCHANNEL = dict((v, k) for k, v in SCHANNEL_TO_ID.items())

DOTNET_VERSIONS = ('v4.0.30319', 'v2.0.50727')
DOTNET_VALUES = ('SchUseStrongCrypto', 'SystemDefaultTlsVersions')
NATIVE = 'SOFTWARE\\Microsoft'
WOW = 'SOFTWARE\\Wow6432Node\\Microsoft'
WINHTTP_SUFFIX = 'Windows\\CurrentVersion\\Internet Settings\\WinHttp'
WININET_MACHINE = 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'
WININET_POLICY = 'SOFTWARE\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'

# WinHTTP / WinINet protocol bits (KB3140245).
BIT_SSL2 = 0x8
BIT = {'ssl3': 0x20, 'tls1_0': 0x80, 'tls1_1': 0x200, 'tls1_2': 0x800, 'tls1_3': 0x2000}
KNOWN_BITS = BIT_SSL2 | 0x20 | 0x80 | 0x200 | 0x800 | 0x2000

# .NET Framework 4.x release numbers (NDP\v4\Full\Release), lowest per version.
NET_45 = 378389
NET_462 = 394802
NET_47 = 460798
NET_48 = 528040

# Public Microsoft documents behind the facts below (cited next to each rule; the posture's
# evidence names them too, so a reader can check a prediction without the code).
DOC_SCHANNEL_PROTOCOLS = 'https://learn.microsoft.com/en-us/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-'
DOC_TLS_REGISTRY = 'https://learn.microsoft.com/en-us/windows-server/security/tls/tls-registry-settings'
DOC_WINHTTP_FLAGS = 'https://learn.microsoft.com/en-us/windows/win32/winhttp/option-flags'
DOC_KB3140245 = 'https://support.microsoft.com/help/3140245'
DOC_KB4019276 = 'https://support.microsoft.com/help/4019276'
DOC_DOTNET_TLS = 'https://learn.microsoft.com/en-us/dotnet/framework/network-programming/tls'
DOC_SCHANNEL_CRED = 'https://learn.microsoft.com/en-us/windows/win32/api/schannel/ns-schannel-schannel_cred'
DOC_KB3080079 = 'https://support.microsoft.com/help/3080079'
DOC_SQL_TLS12 = 'https://learn.microsoft.com/en-us/troubleshoot/sql/database-engine/connect/tls-1-2-support-microsoft-sql-server'
# Certificate authentication to WinRM fails over TLS 1.3 (post-handshake authentication); the known
# workaround is TLS 1.3 Server off: https://github.com/ansible/ansible/issues/77768 (and #81197).
DOC_WINRM_CERT_TLS13 = 'https://github.com/ansible/ansible/issues/77768'
DOC_NDP_RELEASES = 'https://learn.microsoft.com/en-us/dotnet/framework/migration-guide/how-to-determine-which-versions-are-installed'

KB_WINHTTP = 'KB3140245'        # WinHTTP DefaultSecureProtocols on 7 SP1, 2008 R2 SP1 and 2012 only (DOC_KB3140245)
KB_2008_TLS12 = 'KB4019276'     # SChannel TLS 1.1/1.2 on 2008 SP2 (DOC_KB4019276)
# KB3140245 does not apply to 2008 SP2: there KB4019276 brings TLS 1.1/1.2 to SChannel, and WinHTTP
# needs its own later update (named in KB4019276's article, not pinned here).
KB_RDP_TLS12 = 'KB3080079'      # RDP (and CredSSP) over TLS 1.1/1.2 on 7 / 2008 R2 (DOC_KB3080079)
# .NET Framework 3.5 honours SystemDefaultTlsVersions only with these updates (DOC_DOTNET_TLS,
# "for .NET Framework 3.5"): the KB3154518 family, one per OS.  Monthly rollups since then contain them.
KB_DOTNET35 = {(6, 0): 'KB3154517', (6, 1): 'KB3154518', (6, 2): 'KB3154519', (6, 3): 'KB3154520'}


def schannel_path(protocol, role):
    return '%s\\%s\\%s' % (SCHANNEL_BASE, protocol, role)


def dotnet_path(version, wow):
    return '%s\\.NETFramework\\%s' % (WOW if wow else NATIVE, version)


def winhttp_path(wow):
    return '%s\\%s' % (WOW if wow else NATIVE, WINHTTP_SUFFIX)


def read_spec():
    """Every (path, [value names]) under HKLM the PowerShell reader must return."""
    spec = []
    for proto in SCHANNEL_PROTOCOLS:
        for role in SCHANNEL_ROLES:
            spec.append((schannel_path(proto, role), list(SCHANNEL_VALUES)))
    for wow in (False, True):
        for version in DOTNET_VERSIONS:
            spec.append((dotnet_path(version, wow), list(DOTNET_VALUES)))
        spec.append((winhttp_path(wow), ['DefaultSecureProtocols']))
    spec.append((WININET_MACHINE, ['SecureProtocols']))
    spec.append((WININET_POLICY, ['SecureProtocols']))
    return spec


class LockoutGuardError(Exception):
    """A lockout guard refused the plan; ``guard_id`` names it, the message says how to override."""

    def __init__(self, guard_id, message, guards=None):
        super(LockoutGuardError, self).__init__(message)
        self.guard_id = guard_id
        self.message = message
        self.guards = guards or []


# ---------------------------------------------------------------------------
# Findings of the Windows gatherer (the generic rules live in _posture).

WINDOWS_FINDINGS = {
    'win_value_not_0_or_1': {
        # SChannel reads any non-zero Enabled as enabled (DOC_TLS_REGISTRY); the value is only non-standard.
        'severity': 'low', 'effect': 'none',
        'title': '{what} is {value}, not 0 or 1',
        'remediation': 'Write 1 (on) or 0 (off) as REG_DWORD; mailtls.remediation.system_tls writes only 0 and 1. '
                       'Old hardening tools wrote 0xffffffff, which compliance checks reject.',
    },
    'win_value_wrong_type': {
        'severity': 'medium', 'effect': 'unknown',
        'title': '{what} has type {type}, expected DWord',
        'remediation': 'Delete the value and write it as REG_DWORD (mailtls.remediation.system_tls does this).',
    },
    'win_value_undefined': {
        'severity': 'low', 'effect': 'none',
        'title': '{stack}: {count} values are not defined, the OS default applies',
        'remediation': 'Define the values explicitly for consistent results (mailtls.remediation.system_tls).',
    },
    'win_schannel_half_disabled': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': 'SCHANNEL {protocol} {role} is half disabled (Enabled={enabled}, DisabledByDefault={dbd})',
        'remediation': 'Write Enabled=1 with DisabledByDefault=0, or Enabled=0 with DisabledByDefault=1.',
    },
    'win_schannel_client_server_mismatch': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': 'SCHANNEL client and server differ for {protocol} (client {client}, server {server})',
        'remediation': 'Set Client and Server to the same state; the host can be both a TLS client and a TLS server.',
    },
    'win_legacy_off_dotnet_weak': {
        'severity': 'high', 'effect': 'will_fail',
        'title': 'TLS 1.0/1.1 are disabled in SCHANNEL but {stack} still asks only for legacy protocols',
        'remediation': 'Set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 for .NET Framework in both registry views '
                       '(mailtls.remediation.system_tls with dotnet=true).',
    },
    'win_dotnet_strong_crypto_not_set': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{stack}: SchUseStrongCrypto/SystemDefaultTlsVersions are not 1',
        'remediation': 'Set both values to 1 (mailtls.remediation.system_tls with dotnet=true); '
                       'Windows PowerShell 5.1 and older .NET apps otherwise offer SSL 3.0/TLS 1.0 only.',
    },
    'win_winhttp_tls12_bit_missing': {
        'severity': 'high', 'effect': 'will_fail',
        'title': '{stack}: DefaultSecureProtocols does not include TLS 1.2 on {os}',
        'remediation': 'Set DefaultSecureProtocols with the 0x800 bit in both WinHttp keys (mailtls.remediation.system_tls with winhttp=true), '
                       'then reboot.',
    },
    'win_tls12_update_missing': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': '{component} needs {kb} for TLS 1.2 on {os}',
        'remediation': 'Install {kb} (or a later rollup that contains it), then run mailtls.remediation.system_tls.',
    },
    'win_os_tls12_unsupported': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': '{os} cannot negotiate TLS 1.2',
        'remediation': 'Upgrade the operating system; no registry setting adds TLS 1.2 to this build.',
    },
    'win_dependant_needs_tls10': {
        'severity': 'medium', 'effect': 'none',
        'title': '{what} can only use TLS 1.0 on this host; disabling TLS 1.0 would break it',
        'remediation': '{fix}; mailtls.remediation.system_tls refuses to disable TLS 1.0 until then (guard {guard}).',
    },
    'win_no_common_cipher_suite': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': 'SChannel offers no cipher suite that {profile} accepts ({source})',
        'remediation': 'Put TLS 1.2 suites that {profile} accepts (for example TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 or '
                       'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384) back into {where}, then reboot.',
    },
    'win_tls13_without_cipher_suites': {
        'severity': 'high', 'effect': 'at_risk',
        'title': 'SChannel has TLS 1.3 on but {source} offers no TLS 1.3 cipher suite',
        'remediation': 'Put TLS_AES_256_GCM_SHA384 and TLS_AES_128_GCM_SHA256 back into the order, or turn TLS 1.3 off: '
                       'a TLS 1.3 handshake without a suite fails, which breaks WinRM over HTTPS '
                       '(https://github.com/diyan/pywinrm/issues/363).',
    },
    'win_reboot_pending': {
        'severity': 'info', 'effect': 'none',
        'title': 'A reboot is pending ({reasons}); running processes may not use the registry values yet',
        'remediation': 'Reboot the host, then gather the posture again.',
    },
}
P.register_findings(WINDOWS_FINDINGS)


# ---------------------------------------------------------------------------
# The operating system and its documented defaults.

def os_info(raw):
    """Normalise the OS part of the raw read and derive what the build can do."""
    src = _dict(raw.get('os'))
    major = _int(src.get('major'))
    minor = _int(src.get('minor'))
    build = _int(src.get('build'))
    ubr = _int(src.get('ubr'))
    server = 'server' in str(src.get('installation_type') or '').lower() or 'server' in str(src.get('product_name') or '').lower()
    hotfixes = raw.get('hotfixes') if isinstance(raw.get('hotfixes'), list) else []
    hotfixes = set(str(h).upper() for h in hotfixes)
    info = {
        'major': major, 'minor': minor, 'build': build, 'ubr': ubr, 'server': server,
        'product_name': src.get('product_name'), 'is_64bit': bool(src.get('is_64bit', True)),
        'known': major is not None and minor is not None and build is not None,
        'hotfixes': hotfixes,
    }
    info['label'] = _os_label(info)
    ver = (major or 0, minor or 0)
    info['family'] = _family(ver, build or 0, server)
    # TLS 1.1/1.2 in SChannel: 2008 SP2 only with KB4019276; nothing older.
    if not info['known']:
        info['tls12'] = None
    elif ver < (6, 0) or (ver == (6, 0) and (build or 0) < 6002):
        info['tls12'] = False
    elif ver == (6, 0):
        info['tls12'] = KB_2008_TLS12 in hotfixes
    else:
        info['tls12'] = True
    info['tls13'] = bool(info['known'] and ver >= (10, 0) and build >= 20348)
    info['legacy_default_unverified'] = bool(info['known'] and ver >= (10, 0) and build >= 26100)
    # WinHTTP reads DefaultSecureProtocols natively from 8.1/2012 R2; 7 SP1, 2008 R2 SP1 and 2012
    # need KB3140245 (DOC_KB3140245, "Applies to").  2008 SP2 is not in that list: there the update
    # that matters first is KB4019276 (DOC_KB4019276), WinHTTP then needs its own update.
    info['winhttp_needs_kb'] = bool(info['known'] and (6, 0) <= ver < (6, 3))
    info['winhttp_kb_name'] = KB_2008_TLS12 if ver == (6, 0) else KB_WINHTTP
    info['winhttp_kb'] = info['winhttp_kb_name'] in hotfixes
    # RDP and CredSSP speak TLS 1.1/1.2 on 7 / 2008 R2 only with KB3080079 (DOC_KB3080079); 2012 and
    # newer do natively.  2008 SP2 has no such update: its RDP stays on TLS 1.0.
    if not info['known'] or ver >= (6, 2):
        info['rdp_tls12'] = None if not info['known'] else True
    elif ver == (6, 1):
        info['rdp_tls12'] = KB_RDP_TLS12 in hotfixes
    else:
        info['rdp_tls12'] = False
    # .NET 3.5 honours SystemDefaultTlsVersions only with the KB3154518 family (DOC_DOTNET_TLS);
    # Windows 10 and later ship it.  Monthly rollups contain it without listing the KB, so a
    # missing KB is "not confirmed", never "missing".
    kb35 = KB_DOTNET35.get(ver)
    info['dotnet35_kb_name'] = kb35
    info['dotnet35_tls_update'] = True if ver >= (10, 0) else (True if kb35 in hotfixes else None)
    return info


def _family(ver, build, server):
    if ver < (6, 0):
        return 'pre-vista'
    if ver == (6, 0):
        return '2008' if server else 'vista'
    if ver == (6, 1):
        return '2008r2' if server else 'win7'
    if ver == (6, 2):
        return '2012' if server else 'win8'
    if ver == (6, 3):
        return '2012r2' if server else 'win8.1'
    if server:
        for limit, name in ((26100, '2025'), (20348, '2022'), (17763, '2019'), (14393, '2016')):
            if build >= limit:
                return name
        return 'server-10'
    return 'win11' if build >= 22000 else 'win10'


_LABELS = {
    'pre-vista': 'Windows before Vista/2008', 'vista': 'Windows Vista', '2008': 'Windows Server 2008',
    'win7': 'Windows 7', '2008r2': 'Windows Server 2008 R2', 'win8': 'Windows 8', '2012': 'Windows Server 2012',
    'win8.1': 'Windows 8.1', '2012r2': 'Windows Server 2012 R2', 'win10': 'Windows 10', 'win11': 'Windows 11',
    'server-10': 'Windows Server (10.0)', '2016': 'Windows Server 2016', '2019': 'Windows Server 2019',
    '2022': 'Windows Server 2022', '2025': 'Windows Server 2025',
}


def _os_label(info):
    if not info['known']:
        return 'unknown Windows build'
    family = _family((info['major'], info['minor']), info['build'], info['server'])
    return '%s (build %s.%s)' % (_LABELS[family], info['build'], info['ubr'] if info['ubr'] is not None else 0)


def schannel_default(info, protocol, role):
    """The documented OS default: (supported, enabled, disabled_by_default, note)."""
    if not info['known']:
        return (None, None, None, 'unknown build')
    ver = (info['major'], info['minor'])
    build = info['build']
    label = info['label']
    if protocol == 'SSL 2.0':
        if ver >= (10, 0) and build >= 14393:
            return (False, False, True, 'SSL 2.0 is removed from %s' % label)
        if ver >= (6, 2) or role == 'Client':
            return (True, False, True, 'SSL 2.0 is disabled by default on %s' % label)
        return (True, True, False, 'SSL 2.0 server is enabled by default on %s' % label)
    if protocol == 'SSL 3.0':
        if ver >= (10, 0) and build >= 14393:
            return (True, False, True, 'SSL 3.0 is disabled by default from Windows 10 1607 / Server 2016')
        return (True, True, False, 'SSL 3.0 is enabled by default on %s' % label)
    if protocol == 'TLS 1.0' or protocol == 'DTLS 1.0' and ver >= (6, 1):
        note = '%s is enabled by default on %s' % (protocol, label)
        if info['legacy_default_unverified'] and protocol == 'TLS 1.0':
            note += ' (assumed: Microsoft announced TLS 1.0/1.1 off by default for releases after September 2023; not verified for this build)'
        return (True, True, False, note)
    if protocol in ('TLS 1.1', 'TLS 1.2'):
        if ver < (6, 0) or (ver == (6, 0) and not info['tls12']):
            return (False, False, True, '%s is not supported on %s%s' % (
                protocol, label, ' without %s' % KB_2008_TLS12 if ver == (6, 0) and build >= 6002 else ''))
        if ver < (6, 2):
            if role == 'Client':
                return (True, True, True, '%s client is supported but disabled by default on %s (used only when an application asks for it)'
                        % (protocol, label))
            return (True, False, True, '%s server is disabled by default on %s' % (protocol, label))
        note = '%s is enabled by default on %s' % (protocol, label)
        if info['legacy_default_unverified'] and protocol == 'TLS 1.1':
            note += ' (assumed: Microsoft announced TLS 1.0/1.1 off by default for releases after September 2023; not verified for this build)'
        return (True, True, False, note)
    if protocol == 'TLS 1.3':
        if info['tls13']:
            return (True, True, False, 'TLS 1.3 is enabled by default on %s' % label)
        return (False, False, True, 'TLS 1.3 is not supported by SChannel on %s' % label)
    if protocol == 'DTLS 1.0':
        return (False, False, True, 'DTLS 1.0 is not supported on %s' % label)
    if protocol == 'DTLS 1.2':
        if ver >= (10, 0) and build >= 14393:
            return (True, True, False, 'DTLS 1.2 is enabled by default on %s' % label)
        return (False, False, True, 'DTLS 1.2 is not supported on %s' % label)
    raise ValueError('unknown SCHANNEL protocol %s' % protocol)


def winhttp_default_mask(info):
    """WINHTTP_FLAG_SECURE_PROTOCOL_DEFAULT per build (DOC_WINHTTP_FLAGS): SSL 3.0 and TLS 1.0 on
    Windows 7 / 8 (2008 R2 / 2012), SSL 3.0 to TLS 1.2 (0xAA0) from 8.1 / 2012 R2 and on Windows 10.
    The page says nothing of TLS 1.3; where SChannel has it (2022 / 11) the bit is assumed and the
    stack says so.  SChannel's own switches still apply on top (SSL 3.0 is off in SChannel from 1607)."""
    if not info['known']:
        return None
    if (info['major'], info['minor']) < (6, 3):
        return BIT['ssl3'] | BIT['tls1_0']
    mask = BIT['ssl3'] | BIT['tls1_0'] | BIT['tls1_1'] | BIT['tls1_2']
    return mask | BIT['tls1_3'] if info['tls13'] else mask


# Internet Explorer's "Use TLS" defaults, which WinINet follows: IE 8-10 offer SSL 3.0 and TLS 1.0;
# IE 11 (the only IE from 8.1 / 2012 R2 on, an update on 7 / 2008 R2 / 2012) offers TLS 1.0-1.2 with
# SSL 3.0 off since April 2015 (Microsoft Security Advisory 3009008:
# https://learn.microsoft.com/en-us/security-updates/securityadvisories/2015/3009008).
IE11_MASK = BIT['tls1_0'] | BIT['tls1_1'] | BIT['tls1_2']
IE_OLD_MASK = BIT['ssl3'] | BIT['tls1_0']


def ie_major(raw):
    """Internet Explorer's major version from the raw read (svcVersion wins over Version, which IE 10+
    leaves at 9.x), or None."""
    ie = _dict(raw.get('internet_explorer'))
    for key in ('svc_version', 'version'):
        text = str(ie.get(key) or '')
        head = text.split('.', 1)[0]
        if head.isdigit():
            return int(head)
    return None


def wininet_default_mask(info, raw=None):
    """(mask or None, why) WinINet uses when no SecureProtocols value applies."""
    if not info['known']:
        return None, 'unknown build'
    ver = (info['major'], info['minor'])
    if ver >= (6, 3):
        mask = IE11_MASK
        why = 'Internet Explorer 11 / WinINet default'
    else:
        major = ie_major(raw or {})
        if major is None:
            return IE_OLD_MASK, 'Internet Explorer version not read; %s shipped IE 8-10 (SSL 3.0 + TLS 1.0)' % info['label']
        if major >= 11:
            mask = IE11_MASK
            why = 'Internet Explorer 11 default'
        else:
            return IE_OLD_MASK, 'Internet Explorer %d default (SSL 3.0 + TLS 1.0)' % major
    return (mask | BIT['tls1_3'] if info['tls13'] else mask), why


# ---------------------------------------------------------------------------
# Reading raw values.

def _dict(value):
    return value if isinstance(value, dict) else {}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def reg_value(raw, path, name):
    """(key_exists, {'exists', 'type', 'value'}) for one value of the raw read."""
    registry = raw.get('registry') if isinstance(raw.get('registry'), dict) else {}
    key = registry.get('%s\\%s' % (HKLM, path))
    key = key if isinstance(key, dict) else {}
    values = key.get('values') if isinstance(key.get('values'), dict) else {}
    item = values.get(name)
    if not isinstance(item, dict) or item.get('type') in (None, 'absent', 'Absent'):
        return bool(key.get('exists')), {'exists': False, 'type': None, 'value': None}
    vtype = str(item.get('type'))
    value = item.get('value')
    if vtype == 'DWord' and isinstance(value, int) and not isinstance(value, bool):
        value = value & 0xffffffff
    return True, {'exists': True, 'type': vtype, 'value': value}


def fmt_value(item):
    if not item['exists']:
        return '(absent)'
    if item['type'] == 'DWord' and isinstance(item['value'], int):
        return '0x%08x (%d, REG_DWORD)' % (item['value'], item['value'])
    return '%r (%s)' % (item['value'], item['type'])


def _ev(path, name, item):
    return P.evidence('registry', path='%s\\%s' % (HKLM, path), key=name,
                      value=item['value'] if item['exists'] else None,
                      note=fmt_value(item))


def _classify_flag(item):
    """REG_DWORD 0/1 flag: returns (bool or None, problem) where problem is None, 'type' or 'range'."""
    if not item['exists']:
        return None, None
    if item['type'] != 'DWord' or not isinstance(item['value'], int):
        return None, 'type'
    if item['value'] in (0, 1):
        return bool(item['value']), None
    return True, 'range'


# ---------------------------------------------------------------------------
# SChannel.

def schannel_state(raw, info, protocol, role):
    """Effective state of one SCHANNEL protocol for one role, with evidence and problems."""
    path = schannel_path(protocol, role)
    dummy, en_item = reg_value(raw, path, 'Enabled')
    dummy, dbd_item = reg_value(raw, path, 'DisabledByDefault')
    supported, def_en, def_dbd, note = schannel_default(info, protocol, role)
    en, en_problem = _classify_flag(en_item)
    dbd, dbd_problem = _classify_flag(dbd_item)
    evidence = [_ev(path, 'Enabled', en_item), _ev(path, 'DisabledByDefault', dbd_item)]
    problems = []
    for name, item, problem in (('Enabled', en_item, en_problem), ('DisabledByDefault', dbd_item, dbd_problem)):
        if problem:
            problems.append((name, item, problem))
    result = {
        'protocol': protocol, 'role': role, 'path': path, 'supported': supported,
        'values': {'Enabled': en_item, 'DisabledByDefault': dbd_item},
        'problems': problems, 'evidence': evidence, 'default_note': note,
    }
    if en_problem == 'type':
        enabled = None
    elif en is None:
        enabled = def_en
        evidence.append(P.evidence('default', key='Enabled', note=note))
    else:
        enabled = en
    if dbd_problem == 'type':
        disabled_by_default = None
    elif dbd is None:
        disabled_by_default = def_dbd
        evidence.append(P.evidence('default', key='DisabledByDefault', note=note))
    else:
        disabled_by_default = dbd
    result['enabled'] = enabled
    result['disabled_by_default'] = disabled_by_default
    if supported is False:
        result['usable'] = 'refused'
        result['default_on'] = 'refused'
        result['reason'] = note
        return result
    if protocol == 'TLS 1.3' and enabled and disabled_by_default:
        # DisabledByDefault can only be overridden through the deprecated SCHANNEL_CRED structure
        # (DOC_SCHANNEL_CRED), which has no TLS 1.3: no application can ask for it explicitly.
        result['usable'] = 'refused'
        result['default_on'] = 'refused'
        result['reason'] = ('%s %s: DisabledByDefault=1; only the deprecated SCHANNEL_CRED can override it, '
                            'and SCHANNEL_CRED cannot negotiate %s' % (protocol, role, protocol))
        return result
    if supported is None or enabled is None:
        result['usable'] = 'unknown'
        result['default_on'] = 'unknown'
        result['reason'] = 'Enabled has an unreadable type' if en_problem == 'type' else note
        return result
    result['usable'] = 'allowed' if enabled else 'refused'
    if not enabled:
        result['default_on'] = 'refused'
        result['reason'] = '%s %s: Enabled=0%s' % (protocol, role, '' if en is not None else ' (OS default)')
    elif disabled_by_default is None:
        result['default_on'] = 'unknown'
        result['reason'] = 'DisabledByDefault has an unreadable type'
    elif disabled_by_default:
        result['default_on'] = 'refused'
        result['reason'] = '%s %s: enabled but DisabledByDefault=1%s; used only when an application asks for it' % (
            protocol, role, '' if dbd is not None else ' (OS default)')
    else:
        result['default_on'] = 'allowed'
        result['reason'] = '%s %s: enabled%s' % (protocol, role, ' (OS default)' if en is None and dbd is None else '')
    return result


def _schannel_stack(raw, info, role, states):
    stack = P.new_stack('schannel_%s' % role.lower(), 'schannel', 'SChannel %s' % role.lower(), present=True, version=info['label'])
    stack['details']['tls13_capable'] = info['tls13']
    stack['details']['protocols'] = {}
    for protocol in SCHANNEL_PROTOCOLS:
        st = states[(protocol, role)]
        stack['details']['protocols'][protocol] = {
            'supported': st['supported'], 'enabled': st['enabled'], 'disabled_by_default': st['disabled_by_default'],
            'usable_on_request': st['usable'], 'on_by_default': st['default_on'],
        }
        pid = SCHANNEL_TO_ID.get(protocol)
        if pid is None:
            continue
        conditions = []
        if st['default_on'] == 'refused' and st['usable'] == 'allowed':
            conditions.append('an application that asks for %s explicitly can still use it' % protocol)
        if st['supported'] and 'assumed' in (st['default_note'] or '') and st['enabled'] is not None:
            conditions.append('OS default not verified for this build')
        P.set_protocol(stack, pid, st['default_on'], st['reason'], st['evidence'], conditions)
        P.add_source(stack, '%s\\%s' % (HKLM, st['path']), 'read' if _key_exists(raw, st['path']) else 'missing')
    return stack


def _key_exists(raw, path):
    registry = raw.get('registry') if isinstance(raw.get('registry'), dict) else {}
    key = registry.get('%s\\%s' % (HKLM, path))
    return bool(isinstance(key, dict) and key.get('exists'))


# ---------------------------------------------------------------------------
# .NET Framework.

def dotnet_requested(raw, info, version, wow, target, client_states):
    """What a .NET app that does not choose asks SChannel for: {pid: (state, reason)} plus the values."""
    path = dotnet_path(version, wow)
    dummy, suc_item = reg_value(raw, path, 'SchUseStrongCrypto')
    dummy, sdtv_item = reg_value(raw, path, 'SystemDefaultTlsVersions')
    suc, suc_problem = _classify_flag(suc_item)
    sdtv, sdtv_problem = _classify_flag(sdtv_item)
    release = _int((_dict(raw.get('dotnet'))).get('v4_release'))
    out = {'items': {'SchUseStrongCrypto': suc_item, 'SystemDefaultTlsVersions': sdtv_item}, 'path': path, 'notes': []}
    if suc_problem or sdtv_problem:
        out['protocols'] = dict((p, ('unknown', '.NET value with an unexpected type or number')) for p in P.PROTOCOLS)
        return out
    if version == 'v4.0.30319':
        if sdtv is None:
            sdtv = target in ('4.7',)
        if suc is None:
            suc = target in ('4.6', '4.7')
        tls12_lib = release is not None and release >= NET_45
        tls13_lib = release is not None and release >= NET_48
        if sdtv and release is not None and release < NET_47:
            out['notes'].append('SystemDefaultTlsVersions is honoured by .NET %s only with the 2018 .NET security updates' % release)
    else:
        # .NET 3.5 (DOC_DOTNET_TLS): SchUseStrongCrypto counts only when the application names a
        # protocol itself, so for an application that does not choose it changes nothing; and
        # SystemDefaultTlsVersions is honoured only with the KB3154518 family of updates.
        suc = False
        tls13_lib = False
        update = info['dotnet35_tls_update']
        sdtv = bool(sdtv) and update is not False
        tls12_lib = sdtv
        if sdtv and update is None:
            out['notes'].append('.NET 3.5 honours SystemDefaultTlsVersions only with %s or a later monthly rollup; '
                                'the update list does not confirm it' % (info['dotnet35_kb_name'] or 'the KB3154518 family'))
    result = {}
    if sdtv:
        for pid in P.PROTOCOLS:
            st = client_states[ID_TO_SCHANNEL[pid]]
            if pid in ('tls1_1', 'tls1_2') and not tls12_lib or pid == 'tls1_3' and not tls13_lib:
                result[pid] = ('refused', '.NET Framework on this host cannot use %s' % P.PROTOCOL_LABELS[pid])
            elif pid == 'ssl3' and suc:
                # SCH_USE_STRONG_CRYPTO also drops the weak protocol versions
                result[pid] = ('refused', 'SchUseStrongCrypto: SChannel drops SSL 3.0')
            else:
                result[pid] = (st['default_on'], 'SystemDefaultTlsVersions: the SChannel default applies (%s)' % st['reason'])
    else:
        wanted = ('tls1_0', 'tls1_1', 'tls1_2') if suc and tls12_lib else ('ssl3', 'tls1_0')
        why = 'SchUseStrongCrypto=1: .NET asks for TLS 1.0-1.2' if suc and tls12_lib else 'no strong crypto: .NET asks for SSL 3.0 and TLS 1.0 only'
        for pid in P.PROTOCOLS:
            st = client_states[ID_TO_SCHANNEL[pid]]
            if pid not in wanted:
                result[pid] = ('refused', why)
            elif st['usable'] != 'allowed':
                result[pid] = (st['usable'], '%s; %s' % (why, st['reason']))
            else:
                result[pid] = ('allowed', why)
    out['protocols'] = result
    out['sdtv'] = sdtv
    out['suc'] = suc
    return out


def _dotnet_stacks(raw, info, client_states):
    stacks = []
    dotnet = _dict(raw.get('dotnet'))
    release = _int(dotnet.get('v4_release'))
    views = (False, True) if info['is_64bit'] else (False,)
    for version in DOTNET_VERSIONS:
        is4 = version == 'v4.0.30319'
        present = release is not None if is4 else bool(dotnet.get('v35_installed'))
        for wow in views:
            sid = 'dotnet_%s%s' % ('v4' if is4 else 'v2', '_wow' if wow else '')
            bits = '32-bit' if wow else '64-bit' if info['is_64bit'] else '32-bit'
            if is4:
                name = '.NET Framework 4.x %s (apps that do not choose a protocol and target 4.5.2 or older, e.g. Windows PowerShell 5.1)' % bits
            else:
                name = '.NET Framework 3.5 %s (apps that do not choose a protocol)' % bits
            stack = P.new_stack(sid, 'dotnet', name, present=present, version=str(release) if is4 and release is not None else None)
            stack['details']['tls13_capable'] = bool(is4 and info['tls13'] and release is not None and release >= NET_48)
            stack['details']['view'] = 'Wow6432Node' if wow else 'native'
            path = dotnet_path(version, wow)
            P.add_source(stack, '%s\\%s' % (HKLM, path), 'read' if _key_exists(raw, path) else 'missing')
            targets = ('4.5', '4.6', '4.7') if is4 else ('3.5',)
            by_target = {}
            primary = None
            for target in targets:
                req = dotnet_requested(raw, info, version, wow, target, client_states)
                by_target[target] = dict((p, s) for p, (s, dummy) in req['protocols'].items())
                if primary is None:
                    primary = req
            stack['details']['by_target_framework'] = by_target
            stack['details']['values'] = dict((k, v['value'] if v['exists'] else 'absent') for k, v in primary['items'].items())
            ev = [_ev(path, n, primary['items'][n]) for n in DOTNET_VALUES]
            if present:
                for pid, (state, reason) in primary['protocols'].items():
                    P.set_protocol(stack, pid, state, reason, ev, primary['notes'])
            stacks.append(stack)
    return stacks


# ---------------------------------------------------------------------------
# WinHTTP and WinINet.

def _mask_states(stack, mask, mask_reason, ev, info, client_states, conditions):
    for pid in P.PROTOCOLS:
        st = client_states[ID_TO_SCHANNEL[pid]]
        if mask is None:
            P.set_protocol(stack, pid, 'unknown', mask_reason, ev, conditions)
        elif not mask & BIT[pid]:
            P.set_protocol(stack, pid, 'refused', '%s: bit 0x%x not set' % (mask_reason, BIT[pid]), ev, conditions)
        elif st['usable'] != 'allowed':
            P.set_protocol(stack, pid, st['usable'], '%s; SCHANNEL: %s' % (mask_reason, st['reason']), ev, conditions)
        else:
            P.set_protocol(stack, pid, 'allowed', mask_reason, ev, conditions)


def winhttp_mask(raw, info, wow):
    """(effective mask or None, reason, item) for one WinHttp key."""
    path = winhttp_path(wow)
    dummy, item = reg_value(raw, path, 'DefaultSecureProtocols')
    default = winhttp_default_mask(info)
    if info['winhttp_needs_kb'] and not info['winhttp_kb']:
        return default, 'WinHTTP on %s without %s ignores DefaultSecureProtocols (built-in 0x%03x)' % (
            info['label'], info['winhttp_kb_name'], default), item
    if not item['exists']:
        if default is None:
            return None, 'unknown build', item
        return default, 'DefaultSecureProtocols absent: built-in default 0x%03x' % default, item
    if item['type'] != 'DWord' or not isinstance(item['value'], int):
        return None, 'DefaultSecureProtocols has type %s' % item['type'], item
    return item['value'], 'DefaultSecureProtocols=0x%x' % item['value'], item


def _winhttp_stacks(raw, info, client_states):
    stacks = []
    for wow in ((False, True) if info['is_64bit'] else (False,)):
        sid = 'winhttp_wow' if wow else 'winhttp'
        stack = P.new_stack(sid, 'winhttp', 'WinHTTP %s' % ('32-bit' if wow or not info['is_64bit'] else '64-bit'), present=True)
        stack['details']['tls13_capable'] = info['tls13']
        path = winhttp_path(wow)
        mask, reason, item = winhttp_mask(raw, info, wow)
        stack['details']['effective_mask'] = mask
        stack['details']['needs_update'] = info['winhttp_kb_name'] if info['winhttp_needs_kb'] else None
        stack['details']['update_installed'] = info['winhttp_kb'] if info['winhttp_needs_kb'] else None
        P.add_source(stack, '%s\\%s' % (HKLM, path), 'read' if _key_exists(raw, path) else 'missing')
        ev = [_ev(path, 'DefaultSecureProtocols', item)]
        if mask is not None and mask == winhttp_default_mask(info) and not item['exists']:
            ev.append(P.evidence('default', key='DefaultSecureProtocols', note='built-in default on %s' % info['label']))
        conditions = []
        if info['known'] and (info['major'], info['minor']) >= (10, 0) and not item['exists']:
            conditions.append('updates since September 2022 (KB5017811) may have removed TLS 1.0/1.1 from the built-in default')
        if info['known'] and (info['major'], info['minor']) == (6, 0) and info['winhttp_kb']:
            conditions.append('WinHTTP on 2008 SP2 also needs its own TLS 1.1/1.2 update after KB4019276 (not checked)')
        _mask_states(stack, mask, reason, ev, info, client_states, conditions)
        stacks.append(stack)
    return stacks


def _mask_of(item, what):
    """(mask, reason) of one SecureProtocols value, (None, reason) for a wrong type, None when absent."""
    if not item['exists']:
        return None
    if item['type'] != 'DWord' or not isinstance(item['value'], int):
        return (None, 'SecureProtocols (%s) has type %s' % (what, item['type']))
    return (item['value'], 'SecureProtocols (%s)=0x%x' % (what, item['value']))


def _user_item(values, name='SecureProtocols'):
    item = _dict(values).get(name)
    if not isinstance(item, dict) or item.get('type') in (None, 'absent', 'Absent'):
        return {'exists': False, 'type': None, 'value': None}
    value = item.get('value')
    if item.get('type') == 'DWord' and isinstance(value, int) and not isinstance(value, bool):
        value &= 0xffffffff
    return {'exists': True, 'type': str(item.get('type')), 'value': value}


def wininet_mask(raw, info, user=None):
    """(mask or None, reason, machine policy item, machine item) for the machine or one user.

    Order (first that is set wins): machine policy, the user's policy, the user's own value
    (Internet Options), the machine value, the Internet Explorer default."""
    dummy, pol = reg_value(raw, WININET_POLICY, 'SecureProtocols')
    dummy, mach = reg_value(raw, WININET_MACHINE, 'SecureProtocols')
    chain = [(pol, 'machine policy')]
    if user is not None:
        chain.append((_user_item(user.get('policy')), 'policy of %s' % user.get('user', user.get('sid'))))
        chain.append((_user_item(user.get('values')), 'Internet Options of %s' % user.get('user', user.get('sid'))))
    chain.append((mach, 'machine'))
    for item, what in chain:
        found = _mask_of(item, what)
        if found is not None:
            return found[0], found[1], pol, mach
    default, why = wininet_default_mask(info, raw)
    if default is None:
        return None, why, pol, mach
    return default, 'SecureProtocols not set: %s 0x%03x' % (why, default), pol, mach


def _wininet_stack(raw, info, client_states):
    users = raw.get('wininet_users')
    read_users = isinstance(users, list)
    users = [u for u in (users or []) if isinstance(u, dict)]
    stack = P.new_stack('wininet', 'wininet', 'WinINet (policy, machine and the loaded user profiles)', present=True)
    stack['details']['tls13_capable'] = info['tls13']
    mask, reason, pol, mach = wininet_mask(raw, info)
    stack['details']['machine_mask'] = mask
    for path in (WININET_POLICY, WININET_MACHINE):
        P.add_source(stack, '%s\\%s' % (HKLM, path), 'read' if _key_exists(raw, path) else 'missing')
    ev = [_ev(WININET_POLICY, 'SecureProtocols', pol), _ev(WININET_MACHINE, 'SecureProtocols', mach)]
    conditions = []
    if not read_users:
        conditions.append('per-user settings (HKCU) were not read')
    elif not users:
        conditions.append('no user profile was loaded; a user who logs on later may have a value of their own')
    per_user = []
    for user in users:
        umask, ureason, dummy, dummy2 = wininet_mask(raw, info, user)
        name = str(user.get('user') or user.get('sid'))
        per_user.append({'user': name, 'sid': user.get('sid'), 'mask': umask, 'reason': ureason})
        item = _user_item(user.get('values'))
        ev.append(P.evidence('registry', path='HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings' % user.get('sid'),
                             key='SecureProtocols', value=item['value'] if item['exists'] else None, note='%s: %s' % (name, fmt_value(item))))
    stack['details']['users'] = per_user
    stack['details']['effective_mask'] = mask if not per_user else None
    if not per_user:
        _mask_states(stack, mask, reason, ev, info, client_states, conditions)
        return stack
    masks = set(u['mask'] for u in per_user)
    if len(masks) == 1:
        stack['details']['effective_mask'] = per_user[0]['mask']
        _mask_states(stack, per_user[0]['mask'], '; '.join(sorted(set(u['reason'] for u in per_user))), ev, info, client_states, conditions)
        return stack
    # Users differ: a legacy protocol counts as allowed when any user allows it, a modern one as
    # refused when any user refuses it (that user's applications are the ones that fail).
    for pid in P.PROTOCOLS:
        st = client_states[ID_TO_SCHANNEL[pid]]
        yes = [u['user'] for u in per_user if u['mask'] is not None and u['mask'] & BIT[pid]]
        unknown = [u['user'] for u in per_user if u['mask'] is None]
        no = [u['user'] for u in per_user if u['mask'] is not None and not u['mask'] & BIT[pid]]
        why = 'per user: allowed for %s; refused for %s' % (', '.join(yes) or 'nobody', ', '.join(no) or 'nobody')
        if st['usable'] != 'allowed':
            state = st['usable']
            why += '; SCHANNEL: %s' % st['reason']
        elif pid in P.MODERN_PROTOCOLS:
            state = 'refused' if no else ('unknown' if unknown else 'allowed')
        else:
            state = 'allowed' if yes else ('unknown' if unknown else 'refused')
        P.set_protocol(stack, pid, state, why, ev, conditions)
    return stack


# ---------------------------------------------------------------------------
# What else on the host speaks TLS through SChannel: SQL Server and RDP.

# SQL Server builds with TLS 1.2 (DOC_SQL_TLS12, the "first build that supports TLS 1.2" table).
# Per product: (first build of the service-pack branch, last build, first CU/QFE build with TLS 1.2,
# first GDR build with TLS 1.2 or None).  GDR builds of a branch sit just above the branch's GDR fix,
# so a build within 100 of it counts as the GDR line.  SQL Server 2016 (13.x) and newer have TLS 1.2.
SQL_TLS12_BUILDS = {
    '10.0': ((5500, 5999, 5896, None), (6000, 99999, 6547, None)),                     # 2008 SP3, SP4
    '10.50': ((4000, 5999, 4344, 4047), (6000, 99999, 6542, None)),                    # 2008 R2 SP2, SP3
    '11': ((5058, 5999, 5644, 5352), (6020, 6999, 6518, 6216), (7001, 99999, 7001, None)),  # 2012 SP2, SP3, SP4
    '12': ((2000, 3999, 2564, 2271), (4050, 4999, 4439, 4219), (5000, 99999, 5000, None)),  # 2014 RTM, SP1, SP2+
}
SQL_NAMES = {'10.0': 'SQL Server 2008', '10.50': 'SQL Server 2008 R2', '11': 'SQL Server 2012', '12': 'SQL Server 2014'}


def sql_tls12(version):
    """(True/False/None, product label) for a SQL Server version string such as '12.0.4439.1'
    (the registry's PatchLevel form '10.53.6000.34' for 2008 R2 SP3 is understood too)."""
    parts = str(version or '').split('.')
    try:
        major, minor, build = int(parts[0]), int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return None, 'SQL Server (version %r not readable)' % (version,)
    if major >= 13:
        return True, 'SQL Server %s' % version
    if major < 10:
        return False, 'SQL Server %s (2005 or older)' % version
    product = '10.50' if major == 10 and minor >= 50 else ('10.0' if major == 10 else str(major))
    label = '%s (%s)' % (SQL_NAMES.get(product, 'SQL Server'), version)
    for low, high, ok_from, gdr_from in SQL_TLS12_BUILDS.get(product, ()):
        if low <= build <= high:
            return build >= ok_from or (gdr_from is not None and gdr_from <= build < gdr_from + 100), label
    return False, label


def sql_instances(raw):
    """[(instance name, True/False/None, label)] of the SQL Server instances the reader found."""
    out = []
    sql = _dict(raw.get('sql_server'))
    for inst in sql.get('instances') or []:
        if not isinstance(inst, dict):
            continue
        ok, label = sql_tls12(inst.get('current_version') or inst.get('patch_level') or inst.get('version'))
        out.append((str(inst.get('name') or inst.get('id') or '?'), ok, label))
    return out


def rdp_uses_tls(raw):
    """True when the RDP listener is on and negotiates TLS (security layer Negotiate/SSL, or network
    level authentication, which is CredSSP over TLS); None when the reader did not say."""
    rdp = raw.get('rdp')
    if not isinstance(rdp, dict):
        return None
    if _int(rdp.get('deny_connections')) == 1:
        return False
    layer = _int(rdp.get('security_layer'))
    nla = _int(rdp.get('user_authentication'))
    # SecurityLayer: 0 = RDP's own encryption, 1 = negotiate (the default), 2 = TLS
    return layer in (1, 2, None) or nla == 1


# ---------------------------------------------------------------------------
# Cipher suites: what SChannel offers, against what Exchange Online accepts.

CIPHER_POLICY_KEY = 'SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002'
CIPHER_LOCAL_KEY = 'SYSTEM\\CurrentControlSet\\Control\\Cryptography\\Configuration\\Local\\SSL\\00010002'


def schannel_cipher_suites(raw, info):
    """(offered suites in order or None, where they come from, registry path or None).

    The "SSL Cipher Suite Order" policy wins; then the local order that Enable-TlsCipherSuite,
    Disable-TlsCipherSuite and IIS Crypto write; then the build's documented default.  Names the
    build does not implement are dropped (SChannel ignores them)."""
    defaults = C.windows_defaults(info['major'], info['minor'], info['build']) if info['known'] else None
    suites = _dict(raw.get('cipher_suites'))
    for key, path, what in (('policy', CIPHER_POLICY_KEY, 'the SSL Cipher Suite Order policy'),
                            ('local', CIPHER_LOCAL_KEY, 'the local cipher suite order')):
        item = _user_item({'v': suites.get(key)}, 'v')
        if item['exists'] and item['value']:
            order = C.split_order(item['value'])
            if defaults is not None:
                order = [name for name in order if name in defaults['supported']]
            return order, what, path
    if defaults is None:
        return None, 'unknown build', None
    return list(defaults['tls12']) + list(defaults['tls13']), 'the %s' % defaults['note'], None


# ---------------------------------------------------------------------------
# The posture document.

def _all_schannel_states(raw, info):
    return dict(((proto, role), schannel_state(raw, info, proto, role)) for proto in SCHANNEL_PROTOCOLS for role in SCHANNEL_ROLES)


def build_stacks(raw, info=None):
    """All Windows stacks of a raw read (no findings)."""
    info = info or os_info(raw)
    states = _all_schannel_states(raw, info)
    client = dict((proto, states[(proto, 'Client')]) for proto in SCHANNEL_PROTOCOLS)
    stacks = [_schannel_stack(raw, info, role, states) for role in SCHANNEL_ROLES]
    stacks.extend(_dotnet_stacks(raw, info, client))
    stacks.extend(_winhttp_stacks(raw, info, client))
    stacks.append(_wininet_stack(raw, info, client))
    return stacks, states


def _value_findings(doc, raw, info, states):
    """Wrong types, values other than 0/1, undefined values."""
    checks = []
    for (proto, role), st in sorted(states.items()):
        if st['supported']:
            for name in SCHANNEL_VALUES:
                checks.append(('SCHANNEL %s %s %s' % (proto, role, name), st['path'], name, True, 'stack:schannel_%s' % role.lower(),
                               proto in ('TLS 1.0', 'TLS 1.1', 'TLS 1.2')))
    views = (False, True) if info['is_64bit'] else (False,)
    dotnet = _dict(raw.get('dotnet'))
    for version in DOTNET_VERSIONS:
        is4 = version == 'v4.0.30319'
        if not (dotnet.get('v4_release') is not None if is4 else dotnet.get('v35_installed')):
            continue
        for wow in views:
            sid = 'stack:dotnet_%s%s' % ('v4' if is4 else 'v2', '_wow' if wow else '')
            for name in DOTNET_VALUES:
                checks.append(('.NET %s%s %s' % (version, ' (Wow6432Node)' if wow else '', name), dotnet_path(version, wow), name, True, sid, is4))
    for wow in views:
        checks.append(('WinHTTP%s DefaultSecureProtocols' % (' (Wow6432Node)' if wow else ''), winhttp_path(wow), 'DefaultSecureProtocols', False,
                       'stack:winhttp%s' % ('_wow' if wow else ''), False))
    for path, what in ((WININET_MACHINE, 'machine'), (WININET_POLICY, 'policy')):
        checks.append(('WinINet SecureProtocols (%s)' % what, path, 'SecureProtocols', False, 'stack:wininet', False))
    undefined = {}
    for what, path, name, is_flag, subject, must_define in checks:
        dummy, item = reg_value(raw, path, name)
        ev = [_ev(path, name, item)]
        value_subject = 'registry:%s\\%s\\%s' % (HKLM, path, name)
        if not item['exists']:
            if must_define:
                undefined.setdefault(subject, []).extend(ev)
            continue
        if item['type'] != 'DWord' or not isinstance(item['value'], int):
            P.add_finding(doc, P.make_finding('win_value_wrong_type', value_subject, ev, what=what, type=item['type']))
        elif is_flag and item['value'] not in (0, 1):
            P.add_finding(doc, P.make_finding('win_value_not_0_or_1', value_subject, ev, what=what, value='0x%x' % item['value']))
        elif not is_flag and item['value'] & ~KNOWN_BITS:
            P.add_finding(doc, P.make_finding('win_value_not_0_or_1', value_subject, ev, what=what, value='0x%x' % item['value'],
                                              detail='unknown protocol bits 0x%x' % (item['value'] & ~KNOWN_BITS)))
    for subject, ev in sorted(undefined.items()):
        P.add_finding(doc, P.make_finding('win_value_undefined', subject, ev, stack=subject.split(':', 1)[1], count=len(ev)))


def _flag_text(item):
    if not item['exists']:
        return 'absent'
    if item['type'] == 'DWord' and isinstance(item['value'], int):
        return '0x%x' % item['value'] if item['value'] > 9 else str(item['value'])
    return '%r (%s)' % (item['value'], item['type'])


def _schannel_findings(doc, info, states):
    for (proto, role), st in sorted(states.items()):
        if not st['supported']:
            continue
        en_item = st['values']['Enabled']
        dbd_item = st['values']['DisabledByDefault']
        if not (en_item['exists'] or dbd_item['exists']) or st['enabled'] is None or st['disabled_by_default'] is None:
            continue
        # Half disabled: at least one value written and the two do not say the same thing
        # (a missing value counts with its OS default).
        if bool(st['enabled']) == bool(st['disabled_by_default']):
            P.add_finding(doc, P.make_finding(
                'win_schannel_half_disabled', 'schannel:%s/%s' % (proto, role), st['evidence'][:2],
                protocol=proto, role=role, enabled=_flag_text(en_item), dbd=_flag_text(dbd_item),
                detail='effective: %s' % st['reason']))
    for proto in ('SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3'):
        c = states[(proto, 'Client')]
        s = states[(proto, 'Server')]
        if not (c['supported'] and s['supported']):
            continue
        explicit = any(st['values'][n]['exists'] for st in (c, s) for n in SCHANNEL_VALUES)
        if not explicit or 'unknown' in (c['default_on'], s['default_on']):
            continue
        if c['default_on'] != s['default_on'] or c['usable'] != s['usable']:
            P.add_finding(doc, P.make_finding(
                'win_schannel_client_server_mismatch', 'schannel:%s' % proto, c['evidence'][:2] + s['evidence'][:2],
                protocol=proto, client=_state_word(c), server=_state_word(s)))


def _state_word(st):
    if st['default_on'] == 'allowed':
        return 'enabled'
    if st['usable'] == 'allowed':
        return 'enabled on request only'
    return 'disabled'


def _component_findings(doc, raw, info, stacks, states):
    by_id = dict((s['id'], s) for s in stacks)
    if info['known'] and info['tls12'] is False:
        if (info['major'], info['minor']) == (6, 0) and info['build'] >= 6002:
            P.add_finding(doc, P.make_finding('win_tls12_update_missing', 'host', [P.evidence('build', note=info['label'])],
                                              component='SChannel', kb=KB_2008_TLS12, os=info['label']))
        else:
            P.add_finding(doc, P.make_finding('win_os_tls12_unsupported', 'host', [P.evidence('build', note=info['label'])], os=info['label']))
    if info['winhttp_needs_kb'] and not info['winhttp_kb']:
        P.add_finding(doc, P.make_finding('win_tls12_update_missing', 'stack:winhttp', [P.evidence('build', note=info['label'])],
                                          component='WinHTTP', kb=info['winhttp_kb_name'], os=info['label']))
    for sid in ('winhttp', 'winhttp_wow'):
        stack = by_id.get(sid)
        if stack is None or not info['winhttp_needs_kb']:
            continue
        mask = stack['details']['effective_mask']
        if mask is not None and not mask & BIT['tls1_2'] and info['winhttp_kb']:
            P.add_finding(doc, P.make_finding('win_winhttp_tls12_bit_missing', 'stack:%s' % sid, stack['protocols']['tls1_2']['evidence'],
                                              stack=stack['name'], os=info['label']))
    legacy_off = all(states[(p, 'Client')]['usable'] == 'refused' for p in ('TLS 1.0', 'TLS 1.1'))
    for sid in ('dotnet_v4', 'dotnet_v4_wow'):
        stack = by_id.get(sid)
        if stack is None or not stack['present']:
            continue
        values = stack['details']['values']
        if values.get('SchUseStrongCrypto') != 1 or values.get('SystemDefaultTlsVersions') != 1:
            ev = stack['protocols']['tls1_2']['evidence']
            P.add_finding(doc, P.make_finding('win_dotnet_strong_crypto_not_set', 'stack:%s' % sid, ev, stack=stack['name'],
                                              detail='SchUseStrongCrypto=%s, SystemDefaultTlsVersions=%s' % (
                                                  values.get('SchUseStrongCrypto'), values.get('SystemDefaultTlsVersions'))))
            if legacy_off and all(stack['protocols'][p]['state'] == 'refused' for p in P.MODERN_PROTOCOLS):
                P.add_finding(doc, P.make_finding('win_legacy_off_dotnet_weak', 'stack:%s' % sid, ev, stack=stack['name']))
    if rdp_uses_tls(raw) and info['rdp_tls12'] is not True:
        rdp = _dict(raw.get('rdp'))
        P.add_finding(doc, P.make_finding(
            'win_dependant_needs_tls10', 'service:rdp',
            [P.evidence('registry', path='HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp',
                        key='SecurityLayer', value=rdp.get('security_layer'), note='%s, %s not installed' % (info['label'], KB_RDP_TLS12))],
            what='Remote Desktop', fix='Install %s (%s)' % (KB_RDP_TLS12, DOC_KB3080079), guard='rdp_tls10_only'))
    for name, ok, label in sql_instances(raw):
        if ok is not True:
            P.add_finding(doc, P.make_finding(
                'win_dependant_needs_tls10', 'service:mssql/%s' % name,
                [P.evidence('registry', path='HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server', key=name, note=label)],
                what='SQL Server instance %s, %s' % (name, label),
                fix='Update SQL Server to a build with TLS 1.2 (%s)' % DOC_SQL_TLS12, guard='sql_server_tls12_unsupported'))
    offered, source, path = schannel_cipher_suites(raw, info)
    client = by_id.get('schannel_client')
    if offered is not None and client is not None:
        common = C.in_common(offered)
        usable = dict((p, client['protocols'][p]['state'] == 'allowed') for p in ('tls1_2', 'tls1_3'))
        client['details']['cipher_suites'] = {
            'source': source, 'offered': offered, 'profile': C.DEFAULT_PROFILE,
            'in_common_tls12': common['tls12'], 'in_common_tls13': common['tls13'],
        }
        tls13_rescue = C.PROFILES[C.DEFAULT_PROFILE]['tls13_accepted'] and usable['tls1_3'] and common['tls13']
        if usable['tls1_2'] and not common['tls12'] and not tls13_rescue:
            ev = [P.evidence('registry', path='%s\\%s' % (HKLM, path) if path else None, key='Functions',
                             note='%d suites offered, none accepted (%s)' % (len(offered), C.PROFILES[C.DEFAULT_PROFILE]['source']))]
            P.add_finding(doc, P.make_finding(
                'win_no_common_cipher_suite', 'stack:schannel_client', ev, profile=C.PROFILES[C.DEFAULT_PROFILE]['label'],
                source=source, where=source if path else 'the cipher suite order'))
        server = by_id.get('schannel_server')
        tls13_on = usable['tls1_3'] or (server is not None and server['protocols']['tls1_3']['state'] == 'allowed')
        if path and tls13_on and not [name for name in offered if name in C.TLS13_SUITES]:
            P.add_finding(doc, P.make_finding(
                'win_tls13_without_cipher_suites', 'stack:schannel_server',
                [P.evidence('registry', path='%s\\%s' % (HKLM, path), key='Functions', note=', '.join(offered[:6]) + (' ...' if len(offered) > 6 else ''))],
                source=source))
    pending = _dict(raw.get('pending_reboot'))
    if pending.get('pending'):
        reasons = ', '.join(pending.get('reasons') or []) or 'reason not given'
        P.add_finding(doc, P.make_finding('win_reboot_pending', 'host', [P.evidence('registry', note=reasons)], reasons=reasons))


def posture_from_raw(raw, hostname):
    """The posture document of a Windows host from the PowerShell reader's raw output."""
    raw = raw if isinstance(raw, dict) else {}
    info = os_info(raw)
    src = _dict(raw.get('os'))
    details = {
        'distribution': src.get('product_name'),
        'distribution_version': '%s.%s.%s.%s' % (info['major'], info['minor'], info['build'], info['ubr'] or 0) if info['known'] else None,
        'os_build': '%s.%s' % (info['build'], info['ubr'] or 0) if info['known'] else None,
        'windows': {
            'label': info['label'], 'edition_id': src.get('edition_id'), 'installation_type': src.get('installation_type'),
            'display_version': src.get('display_version'), 'is_64bit': info['is_64bit'],
            'dotnet_release': (_dict(raw.get('dotnet'))).get('v4_release'),
            'dotnet35_installed': bool((_dict(raw.get('dotnet'))).get('v35_installed')),
            'hotfixes': sorted(info['hotfixes']), 'powershell': raw.get('powershell') or {},
            'pending_reboot': _dict(raw.get('pending_reboot')), 'winrm_listeners': _dict(raw.get('winrm')).get('listeners') or [],
            'sql_server_instances': [{'name': n, 'tls12': ok, 'product': label} for n, ok, label in sql_instances(raw)],
            'rdp_uses_tls': rdp_uses_tls(raw),
        },
    }
    doc = P.new_document('windows', hostname, details)
    if not info['known']:
        P.add_finding(doc, P.make_finding('gather_error', 'host', [P.evidence('build', note='no OS version in the raw read')],
                                          what='the OS version could not be read'))
    for err in raw.get('errors') or []:
        P.add_finding(doc, P.make_finding('gather_error', 'host:%s' % err.get('where', '?'),
                                          [P.evidence('registry', path=str(err.get('where', '?')), note=str(err.get('message', '')))],
                                          what=str(err.get('what', 'a read'))))
    stacks, states = build_stacks(raw, info)
    doc['stacks'] = stacks
    _value_findings(doc, raw, info, states)
    _schannel_findings(doc, info, states)
    _component_findings(doc, raw, info, stacks, states)
    return P.evaluate(doc)


# ---------------------------------------------------------------------------
# Planning system_tls.

GUARD_IDS = ('os_tls12_unsupported', 'tls12_prerequisites_missing', 'tls12_unusable_after_change', 'winrm_https_protocol_removed',
             'winrm_credssp_tls10_only', 'winrm_certificate_tls13', 'rdp_tls10_only', 'sql_server_tls12_unsupported')


def _dword(value):
    return {'exists': True, 'type': 'DWord', 'value': value}


def normalise_options(options):
    opts = dict(options or {})
    min_proto = P.protocol_id(opts.get('min_protocol') or 'TLSv1.2')
    if min_proto not in ('tls1_2', 'tls1_3'):
        raise ValueError('min_protocol must be TLSv1.2 or TLSv1.3, not %r' % opts.get('min_protocol'))
    mode = opts.get('mode') or 'enforce_minimum'
    if mode not in ('enforce_minimum', 'ensure_tls12'):
        raise ValueError('mode must be enforce_minimum or ensure_tls12, not %r' % mode)
    force = opts.get('force_guards') or []
    if isinstance(force, str):
        force = [force]
    unknown = [g for g in force if g not in GUARD_IDS]
    if unknown:
        raise ValueError('force_guards: unknown guard(s) %s; known: %s' % (', '.join(unknown), ', '.join(GUARD_IDS)))
    return {
        'min_protocol': min_proto, 'mode': mode,
        'dotnet': opts.get('dotnet', True) is not False, 'winhttp': opts.get('winhttp', True) is not False,
        'wininet': opts.get('wininet', True) is not False, 'force_guards': list(force),
        'connection': opts.get('connection'),
    }


def _desired(raw, info, opts):
    """[(path, name, desired item, part)] for the policy."""
    out = []
    enforce = opts['mode'] == 'enforce_minimum'
    floor = P.protocol_rank(opts['min_protocol'])
    for proto in SCHANNEL_PROTOCOLS:
        supported = schannel_default(info, proto, 'Client')[0]
        if proto in ('DTLS 1.0',):
            on = False
        elif proto in ('DTLS 1.2',):
            on = True
        elif proto == 'SSL 2.0':
            on = False
        else:
            on = P.protocol_rank(SCHANNEL_TO_ID[proto]) >= floor
        if not enforce:
            if proto != 'TLS 1.2' or not supported:
                continue
            on = True
        elif on and not supported:
            continue
        elif not on and supported is False and proto in ('TLS 1.3', 'DTLS 1.2'):
            continue
        for role in SCHANNEL_ROLES:
            path = schannel_path(proto, role)
            out.append((path, 'Enabled', _dword(1 if on else 0), 'schannel'))
            out.append((path, 'DisabledByDefault', _dword(0 if on else 1), 'schannel'))
    views = (False, True) if info['is_64bit'] else (False,)
    if opts['dotnet']:
        for wow in views:
            for version in DOTNET_VERSIONS:
                for name in DOTNET_VALUES:
                    out.append((dotnet_path(version, wow), name, _dword(1), 'dotnet'))
    tls13_bit = BIT['tls1_3'] if info['tls13'] else 0
    if enforce:
        target_mask = (BIT['tls1_2'] if opts['min_protocol'] == 'tls1_2' else 0) | tls13_bit
    if opts['winhttp']:
        for wow in views:
            path = winhttp_path(wow)
            if enforce:
                out.append((path, 'DefaultSecureProtocols', _dword(target_mask), 'winhttp'))
                continue
            dummy, item = reg_value(raw, path, 'DefaultSecureProtocols')
            current = item['value'] if item['exists'] and item['type'] == 'DWord' and isinstance(item['value'], int) else None
            if current is None:
                default = winhttp_default_mask(info)
                if item['exists'] or default is None or not default & BIT['tls1_2'] or (info['winhttp_needs_kb']):
                    out.append((path, 'DefaultSecureProtocols', _dword((default or 0) | BIT['tls1_2']), 'winhttp'))
            elif not current & BIT['tls1_2']:
                out.append((path, 'DefaultSecureProtocols', _dword(current | BIT['tls1_2']), 'winhttp'))
    if opts['wininet']:
        for path, always in ((WININET_MACHINE, True), (WININET_POLICY, False)):
            dummy, item = reg_value(raw, path, 'SecureProtocols')
            if not item['exists'] and not (always and enforce):
                continue
            if enforce:
                out.append((path, 'SecureProtocols', _dword(target_mask), 'wininet'))
                continue
            current = item['value'] if item['type'] == 'DWord' and isinstance(item['value'], int) else wininet_default_mask(info, raw)[0] or 0
            if not current & BIT['tls1_2'] or item['type'] != 'DWord':
                out.append((path, 'SecureProtocols', _dword(current | BIT['tls1_2']), 'wininet'))
    return out


def _same(a, b):
    if a['exists'] != b['exists']:
        return False
    if not a['exists']:
        return True
    return a['type'] == b['type'] and a['value'] == b['value']


def _part_of(path):
    if path.startswith(SCHANNEL_BASE):
        return 'schannel'
    if '.NETFramework' in path:
        return 'dotnet'
    if path.endswith('WinHttp'):
        return 'winhttp'
    return 'wininet'


def _make_change(raw, path, name, after, part=None):
    key_exists, before = reg_value(raw, path, name)
    return {
        'hive': HKLM, 'path': path, 'name': name, 'part': part or _part_of(path),
        'type': after['type'] if after['exists'] else before['type'],
        'key_existed': key_exists, 'before': before, 'after': after,
    }


def apply_changes(raw, changes):
    """A copy of ``raw`` as it would read after ``changes`` (used by the guards and the tests)."""
    new = copy.deepcopy(raw)
    reg = new.setdefault('registry', {})
    for change in changes:
        key = reg.setdefault('%s\\%s' % (change['hive'], change['path']), {'exists': True, 'values': {}})
        key['exists'] = True
        values = key.setdefault('values', {})
        if change['after']['exists']:
            values[change['name']] = {'type': change['after']['type'], 'value': change['after']['value']}
        else:
            values[change['name']] = {'type': 'absent', 'value': None}
            if change.get('remove_key_if_empty') and all(v.get('type') == 'absent' for v in values.values()):
                key['exists'] = False
    return new


def render_diff(changes):
    before = []
    after = []
    for c in sorted(changes, key=lambda x: (x['path'].lower(), x['name'].lower())):
        where = '%s\\%s\\%s' % (c['hive'], c['path'], c['name'])
        before.append('%s = %s\n' % (where, fmt_value(c['before'])))
        after.append('%s = %s\n' % (where, fmt_value(c['after'])))
    return {'before': ''.join(before), 'after': ''.join(after)}


def _reboot(changes):
    parts = set(c['part'] for c in changes)
    return {'schannel': 'schannel' in parts, 'winhttp': 'winhttp' in parts, 'dotnet': 'dotnet' in parts}


def _allowed(stack):
    return set(p for p in P.PROTOCOLS if stack['protocols'][p]['state'] == 'allowed')


def _connection_https(opts, raw):
    """(does the connection's own TLS go through this host's SChannel server, description).

    True for WinRM/PSRP over HTTPS and for CredSSP on any scheme: CredSSP runs a TLS handshake
    inside the HTTP messages, through the same SChannel server."""
    conn = opts.get('connection')
    listeners = _dict(raw.get('winrm')).get('listeners') or []
    https_listener = any(str(item.get('transport', '')).upper() == 'HTTPS' for item in listeners)
    if not conn:
        return https_listener, 'no connection details given; the host has %s WinRM HTTPS listener' % ('a' if https_listener else 'no')
    return bool(conn.get('https')) or _transport_has(conn, 'credssp'), conn.get('description') or ''


def _transport_has(conn, word):
    return word in str((conn or {}).get('transport') or '').lower()


def check_guards(raw, info, opts, changes):
    """Evaluate every lockout guard: a list of {'id', 'status', 'message'} (status fired/overridden/passed/not_applicable)."""
    guards = []
    disables = [c for c in changes if c['part'] == 'schannel' and c['name'] == 'Enabled' and c['after']['value'] == 0]
    disabled_protos = sorted(set(c['path'].split('\\')[-2] for c in disables))
    force = set(opts['force_guards'])

    def add(gid, fired, message):
        status = 'passed' if not fired else ('overridden' if gid in force else 'fired')
        guards.append({'id': gid, 'status': status, 'message': message})

    how = 'set force_guards: [%s] to override deliberately'
    # 1. the build itself
    if not disables:
        add('os_tls12_unsupported', False, 'no protocol is disabled')
    elif info['tls12'] is False:
        add('os_tls12_unsupported', True, '%s cannot negotiate TLS 1.2; disabling %s would leave no usable protocol; %s'
            % (info['label'], ', '.join(disabled_protos), how % 'os_tls12_unsupported'))
    elif info['tls12'] is None:
        add('os_tls12_unsupported', True, 'the OS build could not be read, so TLS 1.2 support is unknown; %s' % (how % 'os_tls12_unsupported'))
    else:
        add('os_tls12_unsupported', False, '%s supports TLS 1.2' % info['label'])
    # 2. prerequisites (updates and framework)
    missing = []
    if disables:
        if info['winhttp_needs_kb'] and not info['winhttp_kb']:
            missing.append('%s (WinHTTP TLS 1.1/1.2 defaults; Windows Update, Outlook Anywhere and Autodiscover use WinHTTP)'
                           % info['winhttp_kb_name'])
        release = _int((_dict(raw.get('dotnet'))).get('v4_release'))
        if release is not None and release < NET_45:
            missing.append('.NET Framework 4.5 or newer (installed release %s cannot use TLS 1.2)' % release)
    add('tls12_prerequisites_missing', bool(missing),
        ('TLS 1.2 would not be usable after disabling %s on %s: missing %s; install them first or %s'
         % (', '.join(disabled_protos), info['label'], '; '.join(missing), how % 'tls12_prerequisites_missing'))
        if missing else 'prerequisites present')
    # 3. simulate the result: no stack may lose every modern protocol because of this change
    before_stacks, dummy = build_stacks(raw, info)
    after_stacks, dummy = build_stacks(apply_changes(raw, changes), info)
    before_by_id = dict((s['id'], s) for s in before_stacks)
    broken = []
    for stack in after_stacks:
        if not stack['present']:
            continue
        now = _allowed(stack)
        was = _allowed(before_by_id[stack['id']])
        lost_modern = was & set(P.MODERN_PROTOCOLS) and not now & set(P.MODERN_PROTOCOLS)
        lost_everything = was and not now
        if lost_modern or lost_everything:
            broken.append('%s (before: %s; after: %s)' % (stack['id'], _labels(was), _labels(now)))
    add('tls12_unusable_after_change', bool(broken),
        ('after this change these stacks could negotiate neither TLS 1.2 nor TLS 1.3: %s; enable the parts that fix them '
         '(dotnet/winhttp/wininet: true) or %s' % ('; '.join(broken), how % 'tls12_unusable_after_change'))
        if broken else 'every stack keeps TLS 1.2 or newer')
    _dependant_guards(add, raw, info, opts, changes, before_by_id, after_stacks, how)
    # 4. the current connection
    https, desc = _connection_https(opts, raw)
    if not https:
        guards.append({'id': 'winrm_https_protocol_removed', 'status': 'not_applicable',
                       'message': 'the connection does not use WinRM over HTTPS%s' % (' (%s)' % desc if desc else '')})
        return guards
    server_before = _allowed(before_by_id['schannel_server'])
    server_after = _allowed([s for s in after_stacks if s['id'] == 'schannel_server'][0])
    reasons = []
    if server_before & set(P.MODERN_PROTOCOLS) and not server_after & set(P.MODERN_PROTOCOLS):
        reasons.append('the SChannel server would offer neither TLS 1.2 nor TLS 1.3')
    if server_before:
        highest = max(server_before, key=P.protocol_rank)
        if highest not in server_after:
            reasons.append('the connection most likely uses %s, the highest protocol the SChannel server offers now, and this change '
                           'disables it (the newer protocols it enables only work after a reboot)' % P.PROTOCOL_LABELS[highest])
    transport = str((opts.get('connection') or {}).get('transport') or '')
    if 'certificate' in transport.lower() and 'tls1_2' in server_before and 'tls1_2' not in server_after:
        reasons.append('certificate authentication over TLS 1.3 fails with WinRM (post-handshake authentication); TLS 1.2 must stay')
    add('winrm_https_protocol_removed', bool(reasons),
        ('WinRM over HTTPS must stay reachable (%s): %s; run mode=ensure_tls12 first, reboot, then enforce the minimum, or %s'
         % (desc, '; '.join(reasons), how % 'winrm_https_protocol_removed')) if reasons else 'the connection keeps its protocol (%s)' % desc)
    return guards


def _server_loses(before_by_id, after_stacks, pid):
    before = _allowed(before_by_id['schannel_server'])
    after = _allowed([st for st in after_stacks if st['id'] == 'schannel_server'][0])
    return pid in before and pid not in after


def _server_gains(before_by_id, after_stacks, pid):
    before = _allowed(before_by_id['schannel_server'])
    after = _allowed([st for st in after_stacks if st['id'] == 'schannel_server'][0])
    return pid not in before and pid in after


def _dependant_guards(add, raw, info, opts, changes, before_by_id, after_stacks, how):
    """Guards for what else speaks TLS through the SChannel server: CredSSP, certificate auth, RDP, SQL Server."""
    conn = opts.get('connection') or {}
    loses_tls10 = _server_loses(before_by_id, after_stacks, 'tls1_0')
    # CredSSP: a TLS handshake through SChannel even over plain HTTP.  On 7 / 2008 R2 without
    # KB3080079 (and on 2008 SP2) that handshake is TLS 1.0 only (DOC_KB3080079).
    credssp = _transport_has(conn, 'credssp')
    if not credssp:
        add('winrm_credssp_tls10_only', False, 'the connection does not use CredSSP')
    else:
        fired = loses_tls10 and info['rdp_tls12'] is not True
        add('winrm_credssp_tls10_only', fired,
            ('the connection uses CredSSP, whose TLS handshake on %s without %s is TLS 1.0 only; disabling TLS 1.0 '
             'locks Ansible out; install %s (and reboot) first, or connect with another transport, or %s'
             % (info['label'], KB_RDP_TLS12, KB_RDP_TLS12, how % 'winrm_credssp_tls10_only'))
            if fired else 'CredSSP keeps a protocol it can use on %s' % info['label'])
    # Certificate authentication over TLS 1.3 fails (post-handshake authentication; DOC_WINRM_CERT_TLS13);
    # the known workaround is TLS 1.3 Server off, which enforce_minimum would undo.
    cert = bool(conn.get('https')) and _transport_has(conn, 'certificate')
    gains13 = _server_gains(before_by_id, after_stacks, 'tls1_3')
    if not cert:
        add('winrm_certificate_tls13', False, 'the connection does not use WinRM certificate authentication')
    else:
        add('winrm_certificate_tls13', gains13,
            ('the connection uses WinRM certificate authentication and this change turns the SChannel TLS 1.3 server on, '
             'which undoes the workaround for certificate authentication failing over TLS 1.3 (%s); use another '
             'authentication, or %s' % (DOC_WINRM_CERT_TLS13, how % 'winrm_certificate_tls13'))
            if gains13 else 'the TLS 1.3 server stays as it is')
    # RDP on 7 / 2008 R2 speaks TLS 1.1/1.2 only with KB3080079; 2008 SP2 never.
    rdp = rdp_uses_tls(raw)
    if rdp is None:
        add('rdp_tls10_only', False, 'the RDP listener was not read')
    elif not rdp:
        add('rdp_tls10_only', False, 'RDP is off or does not use TLS')
    else:
        fired = loses_tls10 and info['rdp_tls12'] is not True
        add('rdp_tls10_only', fired,
            ('Remote Desktop on %s negotiates TLS 1.0 only without %s; disabling TLS 1.0 stops RDP; install %s first, '
             'or %s' % (info['label'], KB_RDP_TLS12, KB_RDP_TLS12, how % 'rdp_tls10_only'))
            if fired else 'RDP keeps a protocol it can use')
    # SQL Server builds without TLS 1.2 fail to start once TLS 1.0 is off (DOC_SQL_TLS12).
    bad = [(name, label) for name, ok, label in sql_instances(raw) if ok is not True]
    if not sql_instances(raw):
        add('sql_server_tls12_unsupported', False, 'no SQL Server instance found')
    else:
        fired = loses_tls10 and bool(bad)
        add('sql_server_tls12_unsupported', fired,
            ('these SQL Server instances have no TLS 1.2 support and would stop starting once TLS 1.0 is off: %s; '
             'update them to a build listed in %s first, or %s'
             % (', '.join('%s: %s' % b for b in bad), DOC_SQL_TLS12, how % 'sql_server_tls12_unsupported'))
            if fired else 'every SQL Server instance supports TLS 1.2' if not bad else 'TLS 1.0 stays on')


def _labels(protos):
    return ', '.join(P.PROTOCOL_LABELS[p] for p in sorted(protos, key=P.protocol_rank)) or 'nothing'


def plan_system_tls(raw, options):
    """The exact registry plan for system_tls on Windows; raises LockoutGuardError when a guard fires."""
    opts = normalise_options(options)
    info = os_info(raw)
    changes = []
    for path, name, after, part in _desired(raw, info, opts):
        change = _make_change(raw, path, name, after, part)
        if not _same(change['before'], after):
            changes.append(change)
    guards = check_guards(raw, info, opts, changes)
    fired = [g for g in guards if g['status'] == 'fired']
    if fired:
        raise LockoutGuardError(fired[0]['id'], ' | '.join('guard %s fired: %s' % (g['id'], g['message']) for g in fired), guards)
    return {
        'changes': changes,
        'diff': render_diff(changes),
        'reboot_required': _reboot(changes),
        'guards': guards,
        'options': dict((k, v) for k, v in opts.items() if k != 'connection'),
        'os': info['label'],
    }


def backup_record(plan):
    """What the host keeps before applying ``plan``: every value touched, including absent ones."""
    return [{'hive': c['hive'], 'path': c['path'], 'name': c['name'], 'key_existed': c['key_existed'], 'before': c['before']}
            for c in plan['changes']]


def plan_rollback(backup, raw):
    """Restore exactly the values recorded in ``backup`` (deleting those that were absent)."""
    if not isinstance(backup, dict) or not isinstance(backup.get('entries'), list):
        raise ValueError('the backup has no entries list; is it a mailtls system_tls backup?')
    changes = []
    for entry in backup['entries']:
        if entry.get('hive', HKLM) != HKLM or not entry.get('path') or not entry.get('name'):
            raise ValueError('malformed backup entry: %r' % (entry,))
        target = entry.get('before') or {}
        after = {'exists': bool(target.get('exists')), 'type': target.get('type') if target.get('exists') else None,
                 'value': target.get('value') if target.get('exists') else None}
        if after['type'] == 'DWord' and isinstance(after['value'], int):
            after['value'] &= 0xffffffff
        change = _make_change(raw, entry['path'], entry['name'], after)
        change['remove_key_if_empty'] = entry.get('key_existed') is False
        if not _same(change['before'], after):
            changes.append(change)
    return {
        'changes': changes,
        'diff': render_diff(changes),
        'reboot_required': _reboot(changes),
        'guards': [],
        'backup_created': backup.get('created'),
    }
