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
     "errors": [{"what": str, "where": str, "message": str}]}

A value missing from ``values`` counts as absent.  Type names are the names of
``Microsoft.Win32.RegistryValueKind``.  DWORDs are unsigned (a -1 is accepted
and read as 0xffffffff).

Standard library only (Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

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

KB_WINHTTP = 'KB3140245'
KB_2008_TLS12 = 'KB4019276'


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
        'severity': 'medium', 'effect': 'at_risk',
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
    # WinHTTP reads DefaultSecureProtocols natively from 8.1/2012 R2; older builds need KB3140245.
    info['winhttp_needs_kb'] = bool(info['known'] and (6, 0) <= ver < (6, 3))
    info['winhttp_kb'] = KB_WINHTTP in hotfixes
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


def _default_mask(info, tls12_from):
    """Protocols a client stack enables by default: SSL 3.0 and TLS 1.0 before Windows ``tls12_from``,
    then TLS 1.0 to 1.2 (and 1.3 where the OS has it)."""
    if not info['known']:
        return None
    if (info['major'], info['minor']) < tls12_from:
        return BIT['ssl3'] | BIT['tls1_0']
    mask = BIT['tls1_0'] | BIT['tls1_1'] | BIT['tls1_2']
    return mask | BIT['tls1_3'] if info['tls13'] else mask


def winhttp_default_mask(info):
    return _default_mask(info, (6, 3))


def wininet_default_mask(info):
    return _default_mask(info, (6, 1))


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
        sdtv = bool(sdtv)
        suc = bool(suc)
        tls12_lib = True
        tls13_lib = False
        out['notes'].append('.NET 3.5 honours these values only with the TLS rollups (KB3154518 family)')
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
        return default, 'WinHTTP on %s without %s ignores DefaultSecureProtocols (built-in 0x%03x)' % (info['label'], KB_WINHTTP, default), item
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
        stack['details']['needs_update'] = KB_WINHTTP if info['winhttp_needs_kb'] else None
        stack['details']['update_installed'] = info['winhttp_kb'] if info['winhttp_needs_kb'] else None
        P.add_source(stack, '%s\\%s' % (HKLM, path), 'read' if _key_exists(raw, path) else 'missing')
        ev = [_ev(path, 'DefaultSecureProtocols', item)]
        if mask is not None and mask == winhttp_default_mask(info) and not item['exists']:
            ev.append(P.evidence('default', key='DefaultSecureProtocols', note='built-in default on %s' % info['label']))
        conditions = []
        if info['known'] and (info['major'], info['minor']) >= (10, 0) and not item['exists']:
            conditions.append('updates since September 2022 (KB5017811) may have removed TLS 1.0/1.1 from the built-in default')
        _mask_states(stack, mask, reason, ev, info, client_states, conditions)
        stacks.append(stack)
    return stacks


def wininet_mask(raw, info):
    dummy, pol = reg_value(raw, WININET_POLICY, 'SecureProtocols')
    dummy, mach = reg_value(raw, WININET_MACHINE, 'SecureProtocols')
    for item, path, what in ((pol, WININET_POLICY, 'policy'), (mach, WININET_MACHINE, 'machine')):
        if item['exists']:
            if item['type'] != 'DWord' or not isinstance(item['value'], int):
                return None, 'SecureProtocols (%s) has type %s' % (what, item['type']), pol, mach
            return item['value'], 'SecureProtocols (%s)=0x%x' % (what, item['value']), pol, mach
    default = wininet_default_mask(info)
    if default is None:
        return None, 'unknown build', pol, mach
    return default, 'SecureProtocols not set: Internet Explorer/WinINet default 0x%03x' % default, pol, mach


def _wininet_stack(raw, info, client_states):
    stack = P.new_stack('wininet', 'wininet', 'WinINet (machine and policy)', present=True)
    stack['details']['tls13_capable'] = info['tls13']
    mask, reason, pol, mach = wininet_mask(raw, info)
    stack['details']['effective_mask'] = mask
    for path in (WININET_POLICY, WININET_MACHINE):
        P.add_source(stack, '%s\\%s' % (HKLM, path), 'read' if _key_exists(raw, path) else 'missing')
    ev = [_ev(WININET_POLICY, 'SecureProtocols', pol), _ev(WININET_MACHINE, 'SecureProtocols', mach)]
    conditions = ['per-user settings (HKCU) can differ and were not read']
    _mask_states(stack, mask, reason, ev, info, client_states, conditions)
    return stack


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
                                          component='WinHTTP', kb=KB_WINHTTP, os=info['label']))
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

GUARD_IDS = ('os_tls12_unsupported', 'tls12_prerequisites_missing', 'tls12_unusable_after_change', 'winrm_https_protocol_removed')


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
            current = item['value'] if item['type'] == 'DWord' and isinstance(item['value'], int) else wininet_default_mask(info) or 0
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
    conn = opts.get('connection')
    listeners = _dict(raw.get('winrm')).get('listeners') or []
    https_listener = any(str(item.get('transport', '')).upper() == 'HTTPS' for item in listeners)
    if not conn:
        return https_listener, 'no connection details given; the host has %s WinRM HTTPS listener' % ('a' if https_listener else 'no')
    return bool(conn.get('https')), conn.get('description') or ''


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
            missing.append('%s (WinHTTP TLS 1.1/1.2 defaults; Windows Update, Outlook Anywhere and Autodiscover use WinHTTP)' % KB_WINHTTP)
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
