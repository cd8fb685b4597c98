# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: gather the Linux TLS stacks into a posture document.

Each ``gather_*`` function reads only what it needs, never raises for bad
input (a broken file becomes a finding), and fills one stack of the document.
The verdict comes later from ``_posture.evaluate``.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re
import shutil
import socket
import subprocess

from ansible_collections.mailtls.remediation.plugins.module_utils import _cipher_profiles
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_conf
from ansible_collections.mailtls.remediation.plugins.module_utils import _gnutls_conf
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_policy
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file
from ansible_collections.mailtls.remediation.plugins.module_utils._posture import (
    LEGACY_PROTOCOLS,
    PROTOCOLS,
    PROTOCOL_LABELS,
    add_finding,
    add_source,
    decision,
    evidence,
    make_finding,
    new_stack,
    protocol_id,
    protocol_rank,
    register_findings,
    set_protocol,
)

COMMAND_TIMEOUT = 10
MAX_CONFIG_BYTES = 1024 * 1024

LINUX_FINDINGS = {
    'openssl.config_ignored': {
        'severity': 'high', 'effect': 'at_risk',
        'title': 'OpenSSL ignores its configuration file {path}: {why}',
        'remediation': 'Fix the file; OpenSSL fails open, so no minimum protocol from it is in force.',
    },
    'openssl.duplicate_openssl_conf': {
        'severity': 'high', 'effect': 'at_risk',
        'title': 'More than one openssl_conf line in {path}; only the last one counts',
        'remediation': 'Keep one openssl_conf line and put ssl_conf inside the section it names.',
    },
    'openssl.openssl_conf_misplaced': {
        'severity': 'high', 'effect': 'at_risk',
        'title': 'openssl_conf in {path} is not in the default section and is ignored',
        'remediation': 'Move openssl_conf before the first [section] header.',
    },
    'openssl.broken_chain': {
        'severity': 'high', 'effect': 'at_risk',
        'title': 'The openssl_conf chain in {path} is broken: {why}',
        'remediation': 'Define the missing section; until then no system_default settings apply.',
    },
    'openssl.invalid_value': {
        'severity': 'high', 'effect': 'at_risk',
        'title': 'OpenSSL silently ignores {key} = {value} in {path}',
        'remediation': 'Use a valid value such as TLSv1.2; the misspelt one leaves no minimum in force.',
    },
    'openssl.config_problem': {
        'severity': 'low', 'effect': 'none',
        'title': 'OpenSSL configuration: {why}',
        'remediation': 'Review the evidence.',
    },
    'openssl.no_min_protocol_support': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': 'OpenSSL {version} has no MinProtocol setting; only applications can refuse legacy protocols',
        'remediation': 'Upgrade OpenSSL to 1.1.1 or later, or set the minimum in each mail client.',
    },
    'openssl.no_common_cipher_suite': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': 'OpenSSL offers no TLS 1.2 cipher suite that {profile} accepts (effective CipherString: {cipher})',
        'remediation': 'Allow suites {profile} accepts, for example ECDHE+AESGCM, in the CipherString of {path}.',
    },
    'gnutls.no_common_cipher_suite': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': 'GnuTLS offers no TLS 1.2 cipher suite that {profile} accepts ({path})',
        'remediation': 'Remove the tls-disabled-* lines (or add tls-enabled-* lines in allowlist mode) so that AES-GCM with '
                       'ECDHE-RSA or RSA key exchange stays available in {path}.',
    },
    'openssl.not_found': {
        'severity': 'info', 'effect': 'none',
        'title': 'No OpenSSL command line tool was found; library facts come from Python',
        'remediation': 'Install the openssl package for a complete inventory.',
    },
    'crypto_policies.legacy': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': 'The system crypto policy {policy} allows {protocols}',
        'remediation': 'Switch to DEFAULT (update-crypto-policies --set DEFAULT) or add a subpolicy that removes TLS 1.0/1.1.',
    },
    'crypto_policies.backend_modified': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': 'crypto-policies back-end {path} was edited by hand',
        'remediation': 'Run update-crypto-policies to regenerate it; hand edits are lost and hide the real policy.',
    },
    'gnutls.config_problem': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': 'GnuTLS skips a setting in {path}: {why}',
        'remediation': 'Fix the line; GnuTLS ignores unknown settings unless GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1.',
    },
    'java.config_unreadable': {
        'severity': 'low', 'effect': 'unknown',
        'title': 'Java security file {path} could not be read',
        'remediation': 'Check permissions of the JDK security configuration.',
    },
    'file.unreadable': {
        'severity': 'low', 'effect': 'unknown',
        'title': '{path} could not be read: {why}',
        'remediation': 'Check the file; its settings were not taken into account.',
    },
}
register_findings(LINUX_FINDINGS)

# Which reader issue codes mean OpenSSL will not apply the system_default settings.
_IGNORING_CODES = {
    'syntax_error': 'openssl.config_ignored',
    'file_unreadable': 'openssl.config_ignored',
    'file_not_regular': 'openssl.config_ignored',
    'file_not_utf8': 'openssl.config_problem',
    'file_too_large': 'openssl.config_ignored',
    'duplicate_openssl_conf': 'openssl.duplicate_openssl_conf',
    'openssl_conf_not_in_default_section': 'openssl.openssl_conf_misplaced',
    'missing_section': 'openssl.broken_chain',
    'invalid_protocol_value': 'openssl.invalid_value',
}


# Answers of commands that only describe a build (``openssl version -a``), kept for the life of the
# process: the posture and the change plan both need them, and each asking is a process.
_BUILD_ANSWERS = {}


def run_command(argv, env=None, timeout=COMMAND_TIMEOUT, memo=False):
    """Run a command; returns (rc, stdout, stderr) or None when it cannot be run.

    ``memo``: the command only reports facts of the installed binary; the same
    binary (same file, size and modification time) asked the same way again
    gets the first answer.
    """
    binary = argv[0] if argv and os.path.isabs(argv[0]) and os.path.exists(argv[0]) else (shutil.which(argv[0]) if argv else None)
    if not binary:
        return None
    key = None
    if memo:
        try:
            info = os.stat(binary)
        except OSError:
            return None
        key = (binary, info.st_ino, info.st_size, info.st_mtime_ns, tuple(argv[1:]), tuple(sorted((env or {}).items())) if env is not None else None)
        if key in _BUILD_ANSWERS:
            return _BUILD_ANSWERS[key]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    answer = proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')
    if key is not None:
        _BUILD_ANSWERS[key] = answer
    return answer


def read_os_release(path='/etc/os-release'):
    info = {}
    result = read_file(path, max_bytes=65536)
    if result.data is None:
        return info
    for line in result.data.decode('utf-8', 'replace').splitlines():
        if '=' not in line or line.lstrip().startswith('#'):
            continue
        key, value = line.split('=', 1)
        info[key.strip()] = value.strip().strip('"').strip("'")
    return info


def host_details():
    release = read_os_release()
    uname = os.uname()
    return {
        'distribution': release.get('ID'),
        'distribution_version': release.get('VERSION_ID'),
        'distribution_like': (release.get('ID_LIKE') or '').split(),
        'kernel': uname.release,
    }, {'id': release.get('ID'), 'like': (release.get('ID_LIKE') or '').split(), 'version': release.get('VERSION_ID')}


def hostname():
    return socket.gethostname()


# --- OpenSSL -----------------------------------------------------------------

def openssl_build_info(openssl_bin):
    """Version, OPENSSLDIR and the compiled-in security level from ``openssl version -a``."""
    out = run_command([openssl_bin, 'version', '-a'], memo=True)
    if out is None or out[0] != 0:
        return None
    text = out[1]
    info = {'version_text': text.splitlines()[0] if text else ''}
    info['version'] = _openssl_policy.parse_version(info['version_text'])
    lib = re.search(r'\(Library:\s*([^)]*)\)', info['version_text'])
    info['library_text'] = lib.group(1).strip() if lib else info['version_text']
    info['library_version'] = _openssl_policy.parse_version(info['library_text']) or info['version']
    match = re.search(r'^OPENSSLDIR:\s*"?([^"\n]*)"?', text, re.M)
    info['openssldir'] = match.group(1) if match else None
    match = re.search(r'-DOPENSSL_TLS_SECURITY_LEVEL=(\d+)', text)
    info['builtin_seclevel'] = int(match.group(1)) if match else None
    return info


# Reader statuses where OpenSSL simply has nothing configured (library defaults),
# as opposed to a configuration it silently drops (fails open).
_UNCONFIGURED = ('no_config', 'no_openssl_conf', 'no_ssl_conf', 'no_system_default')


def settings_from_resolution(resolution, config_path):
    """Turn the configuration reader's result into _openssl_policy.decide() settings."""
    settings = {'config_path': config_path}
    status = resolution.get('status')
    if status in _UNCONFIGURED:
        settings['unconfigured_note'] = {
            'no_config': 'the configuration file does not exist',
            'no_openssl_conf': 'no openssl_conf line in the default section',
            'no_ssl_conf': 'section [%s] has no ssl_conf line, so there is no system_default' % resolution.get('init_section'),
            'no_system_default': 'section [%s] has no system_default line' % resolution.get('ssl_section'),
        }[status]
        return settings
    if not _openssl_conf.chain_applies(resolution):
        problems = [i.get('message') for i in resolution.get('issues', []) if i.get('severity') in ('error', None)] or [status]
        settings['ignored_reason'] = '%s (%s)' % (status, '; '.join(str(p) for p in problems[:3]))
        return settings
    values = resolution.get('settings') or {}
    for key, name, effective in (('min', 'MinProtocol', resolution.get('min_protocol')), ('max', 'MaxProtocol', resolution.get('max_protocol'))):
        entry = values.get(name)
        if entry and effective:
            settings[key] = dict(entry, id=effective)
    cipher = values.get('CipherString')
    if cipher:
        settings['cipher_string'] = dict(cipher)
        if resolution.get('seclevel') is not None:
            settings['seclevel'] = dict(cipher, level=resolution['seclevel'])
    protocol = values.get('Protocol')
    if protocol and resolution.get('protocols_disabled'):
        settings['disabled'] = dict((pid, dict(protocol)) for pid in resolution['protocols_disabled'] if pid in PROTOCOLS)
    return settings


def gather_openssl(document, distro, config_path=None, openssl_bin='openssl'):
    binary = shutil.which(openssl_bin) if not os.path.isabs(openssl_bin) else openssl_bin
    info = openssl_build_info(binary) if binary else None
    stack = new_stack('openssl', 'openssl', 'OpenSSL', present=True)
    document['stacks'].append(stack)
    if info is None:
        import ssl  # the library Python links is the best fallback we have
        info = {'version_text': ssl.OPENSSL_VERSION, 'library_text': ssl.OPENSSL_VERSION,
                'version': _openssl_policy.parse_version(ssl.OPENSSL_VERSION), 'openssldir': None, 'builtin_seclevel': None}
        info['library_version'] = info['version']
        add_finding(document, make_finding('openssl.not_found', 'stack:openssl', [evidence('command', note='openssl not on PATH')]))
    version = info['library_version']
    stack['version'] = '.'.join(str(v) for v in version) if version else None
    env_conf = os.environ.get('OPENSSL_CONF')
    if config_path:
        conf, conf_source = config_path, 'option openssl_conf'
    elif env_conf:
        conf, conf_source = env_conf, 'environment OPENSSL_CONF'
    elif info.get('openssldir'):
        conf, conf_source = os.path.join(info['openssldir'], 'openssl.cnf'), 'OPENSSLDIR from openssl version -d'
    else:
        conf, conf_source = None, 'unknown'
    stack['details'] = {
        'binary': binary,
        'version_text': info['version_text'],
        'library': info['library_text'],
        'openssldir': info.get('openssldir'),
        'config_file': conf,
        'config_file_real': os.path.realpath(conf) if conf else None,
        'config_file_source': conf_source,
        'builtin_security_level': info.get('builtin_seclevel'),
    }
    settings = {'config_path': conf}
    if conf:
        resolution = _openssl_conf.resolve_system_default(conf, max_bytes=MAX_CONFIG_BYTES)
        for item in resolution.get('files', []):
            add_source(stack, item['path'], item.get('status', 'read'), item.get('note'))
        stack['details']['config_status'] = resolution.get('status')
        stack['details']['chain'] = resolution.get('chain', [])
        stack['details']['settings'] = dict((k, v.get('value')) for k, v in (resolution.get('settings') or {}).items() if v)
        stack['details']['config_applies'] = _openssl_conf.chain_applies(resolution)
        _openssl_issue_findings(document, resolution, conf)
        settings = settings_from_resolution(resolution, conf)
    else:
        settings['ignored_reason'] = 'no configuration file could be located'
    seclevel_note = None
    if info.get('builtin_seclevel') is not None:
        seclevel_note = 'compiled in with -DOPENSSL_TLS_SECURITY_LEVEL=%d (openssl version -a)' % info['builtin_seclevel']
    decisions, facts = _openssl_policy.decide(version, settings, info.get('builtin_seclevel'), seclevel_note, distro)
    for proto, dec in decisions.items():
        stack['protocols'][proto] = dec
    stack['details'].update(facts)
    if binary and stack['protocols'].get('tls1_2', {}).get('state') == 'allowed':
        _openssl_cipher_suites(document, stack, binary, conf)
    if version is not None and not _openssl_policy.min_protocol_supported(version):
        add_finding(document, make_finding('openssl.no_min_protocol_support', 'stack:openssl',
                                           [evidence('build', key='version', value=stack['version'])], version=stack['version']))
    return stack


def openssl_tls12_suites(binary, conf):
    """The TLS 1.2 suites OpenSSL offers under configuration ``conf`` (IANA names, in order), or None.

    One ``openssl ciphers -stdname -s -tls1_2`` run without a cipher list: the SSL_CTX it builds
    applies the configuration's system_default CipherString and security level, exactly as an
    application's default context would."""
    env = dict(os.environ)
    if conf:
        env['OPENSSL_CONF'] = conf
    out = run_command([binary, 'ciphers', '-stdname', '-s', '-tls1_2'], env=env)
    if out is None or out[0] != 0:
        return None
    suites = []
    for line in out[1].splitlines():
        name = line.split(' ', 1)[0].strip()
        if name.startswith('TLS_') and name not in suites:
            suites.append(name)
    return suites


def _openssl_cipher_suites(document, stack, binary, conf):
    suites = openssl_tls12_suites(binary, conf)
    if suites is None:
        stack['details']['cipher_suites'] = {'source': 'openssl ciphers -stdname -s -tls1_2 failed', 'offered': None}
        return
    profile = _cipher_profiles.PROFILES[_cipher_profiles.DEFAULT_PROFILE]
    common = _cipher_profiles.in_common(suites)
    stack['details']['cipher_suites'] = {
        'source': 'openssl ciphers -stdname -s -tls1_2', 'offered': suites, 'profile': _cipher_profiles.DEFAULT_PROFILE,
        'in_common_tls12': common['tls12'],
    }
    # TLS 1.3 suites come from Ciphersuites, not CipherString (OpenSSL's defaults always include
    # AES-GCM); they count only where the endpoint family is documented to take TLS 1.3
    tls13_rescue = (profile['tls13_accepted'] and stack['protocols'].get('tls1_3', {}).get('state') == 'allowed'
                    and not (stack['details'].get('settings') or {}).get('Ciphersuites'))
    if not common['tls12'] and not tls13_rescue:
        cipher = (stack['details'].get('settings') or {}).get('CipherString') or 'built-in default'
        add_finding(document, make_finding('openssl.no_common_cipher_suite', 'stack:openssl',
                                           [evidence('command', note='%d suites offered, none in %s (%s)' % (
                                               len(suites), profile['label'], profile['source']))],
                                           profile=profile['label'], cipher=cipher, path=conf or 'the OpenSSL configuration'))


def _openssl_issue_findings(document, resolution, conf):
    for issue in resolution.get('issues', []):
        fid = _IGNORING_CODES.get(issue.get('code'), 'openssl.config_problem')
        ev = evidence('file', path=issue.get('path') or conf, line=issue.get('line'), section=issue.get('section'),
                      key=issue.get('key'), value=issue.get('value'), note=issue.get('message'))
        add_finding(document, make_finding(fid, 'stack:openssl', [ev], path=issue.get('path') or conf, why=issue.get('message'),
                                           key=issue.get('key'), value=issue.get('value')))


# --- crypto-policies ---------------------------------------------------------

_POLICY_PROTOCOLS = re.compile(r'^\s*protocol(@TLS)?\s*=\s*(.*)$', re.M)


def gather_crypto_policies(document, root='/etc/crypto-policies'):
    config = read_file(os.path.join(root, 'config'), max_bytes=65536)
    if not config.exists:
        return None
    stack = new_stack('crypto_policies', 'crypto_policies', 'crypto-policies')
    document['stacks'].append(stack)
    add_source(stack, config.path, config.status)
    policy = None
    if config.data is not None:
        for line in config.data.decode('utf-8', 'replace').splitlines():
            line = line.split('#', 1)[0].strip()
            if line:
                policy = line
    stack['details']['policy'] = policy
    current = read_file(os.path.join(root, 'state', 'CURRENT.pol'), max_bytes=MAX_CONFIG_BYTES)
    add_source(stack, current.path, current.status)
    allowed = None
    if current.data is not None:
        text = current.data.decode('utf-8', 'replace')
        found = _POLICY_PROTOCOLS.findall(text)
        if found:
            allowed = [protocol_id(tok) for tok in found[-1][1].split() if protocol_id(tok)]
            line_no = text[:text.rfind(found[-1][1])].count('\n') + 1
            ev = evidence('policy', path=current.path, line=line_no, key='protocol', value=found[-1][1].strip(),
                          note='policy %s' % policy)
            for proto in PROTOCOLS:
                state = 'allowed' if proto in allowed else 'refused'
                set_protocol(stack, proto, state, '%s by the crypto policy %s' % ('enabled' if state == 'allowed' else 'not enabled', policy), [ev])
    if allowed is None:
        for proto in PROTOCOLS:
            set_protocol(stack, proto, 'unknown', 'the generated policy state could not be read',
                         [evidence('policy', path=config.path, value=policy)])
    legacy = [p for p in LEGACY_PROTOCOLS if allowed and p in allowed]
    if legacy:
        add_finding(document, make_finding('crypto_policies.legacy', 'stack:crypto_policies',
                                           [evidence('policy', path=config.path, value=policy)], policy=policy,
                                           protocols=', '.join(PROTOCOL_LABELS[p] for p in legacy)))
    _check_backends(document, stack, root, policy)
    return stack


def _check_backends(document, stack, root, policy):
    """Back-ends are generated; a regular file where a symlink belongs means a hand edit."""
    backends = os.path.join(root, 'back-ends')
    base = (policy or '').split(':')[0]
    for path in sorted(glob.glob(os.path.join(backends, '*.config'))):
        if os.path.islink(path):
            continue
        generated = os.path.join('/usr/share/crypto-policies', base, os.path.basename(path).replace('.config', '.txt'))
        mine, theirs = read_file(path), read_file(generated)
        if theirs.data is not None and mine.data is not None and mine.data == theirs.data:
            continue
        if ':' in (policy or '') and theirs.data is None:
            continue  # subpolicies generate regular files; nothing to compare against
        add_finding(document, make_finding('crypto_policies.backend_modified', 'stack:crypto_policies',
                                           [evidence('file', path=path, note='not a link to the generated policy')], path=path))


# --- GnuTLS ------------------------------------------------------------------

def gnutls_version():
    out = run_command(['gnutls-cli', '--version'], memo=True)
    if out and out[0] == 0:
        match = re.search(r'gnutls-cli\s+([\d.]+)', out[1])
        if match:
            return match.group(1), 'gnutls-cli --version'
    libs = sorted(glob.glob('/usr/lib*/libgnutls.so.*') + glob.glob('/usr/lib/*/libgnutls.so.*') + glob.glob('/lib/*/libgnutls.so.*'))
    if libs:
        return None, libs[0]
    return None, None


_GNUTLS_SSL3_BUILD = {}
_GNUTLS_SSL3 = 1  # gnutls_protocol_t value of SSL 3.0


def _ssl3_from_library():
    """Ask the GnuTLS library itself (gnutls_protocol_list, through ctypes): True/False, or None when it cannot be loaded."""
    try:
        import ctypes  # pylint: disable=import-outside-toplevel
        lib = ctypes.CDLL('libgnutls.so.30')
        lib.gnutls_protocol_list.restype = ctypes.POINTER(ctypes.c_int)
        listed = lib.gnutls_protocol_list()
    except (ImportError, OSError, AttributeError):
        return None
    for index in range(64):  # the list ends with 0; a build has a handful of entries
        if not listed[index]:
            break
        if listed[index] == _GNUTLS_SSL3:
            return True
    return False


def _ssl3_from_cli():
    """Ask gnutls-cli which protocols a priority asking for SSL 3.0 gives (the host's [overrides] kept out)."""
    env = dict(os.environ, GNUTLS_SYSTEM_PRIORITY_FILE=os.path.join(os.sep, 'nonexistent', 'mailtls-no-overrides'))
    out = run_command(['gnutls-cli', '--list', '--priority', 'NORMAL:+VERS-SSL3.0'], env=env)
    if out is not None and out[0] == 0:
        listed = re.search(r'^Protocols:(.*)$', out[1], re.M)
        if listed:
            return 'VERS-SSL3.0' in listed.group(1)
    return None


def gnutls_build_ssl3():
    """Whether the installed GnuTLS build can negotiate SSL 3.0 at all, and how that was learnt.

    SSL 3.0 is a build option of GnuTLS (Debian builds leave it out).  Returns
    ``(True|False|None, source)``; the posture and the system_tls planner both
    ask this, once per process.
    """
    if 'answer' not in _GNUTLS_SSL3_BUILD:
        answer, source = _ssl3_from_library(), 'gnutls_protocol_list() of libgnutls.so.30'
        if answer is None:
            answer, source = _ssl3_from_cli(), 'gnutls-cli --list --priority NORMAL:+VERS-SSL3.0'
        _GNUTLS_SSL3_BUILD['answer'] = (answer, source if answer is not None else None)
    return _GNUTLS_SSL3_BUILD['answer']


def gather_gnutls(document, config_path='/etc/gnutls/config', crypto_policy_stack=None):
    version, where = gnutls_version()
    if where is None:
        return None
    stack = new_stack('gnutls', 'gnutls', 'GnuTLS', version=version)
    stack['details']['found_by'] = where
    document['stacks'].append(stack)
    path = os.environ.get('GNUTLS_SYSTEM_PRIORITY_FILE') or config_path
    stack['details']['config_file'] = path
    current = read_file(path, max_bytes=MAX_CONFIG_BYTES)
    add_source(stack, path, current.status, current.error)
    if current.status not in ('read', 'missing'):
        add_finding(document, make_finding('file.unreadable', 'stack:gnutls', [evidence('file', path=path, note=current.error)],
                                           path=path, why=current.error))
    text = _openssl_conf.read_bytes_lossless(current.data) if current.data is not None else ''
    parsed = _gnutls_conf.parse(text, path)
    result = _gnutls_conf.read_versions(parsed)
    for issue in result.get('issues', []):
        add_finding(document, make_finding('gnutls.config_problem', 'stack:gnutls',
                                           [evidence('file', path=path, line=issue.get('line'), key=issue.get('key'), value=issue.get('value'),
                                                     note=issue.get('message'))], path=path, why=issue.get('message')))
    disabled = result.get('disabled') or {}
    enabled = result.get('enabled') or {}
    allowlist = result.get('mode') == 'allowlist'
    stack['details']['override_mode'] = result.get('mode')
    ver = _openssl_policy.parse_version(version) if version else None
    for proto in PROTOCOLS:
        if proto in disabled:
            set_protocol(stack, proto, 'refused', 'disabled-version in %s' % path, [_gnutls_evidence(path, disabled[proto][-1])])
        elif allowlist:
            if proto in enabled:
                set_protocol(stack, proto, 'allowed', 'enabled-version in allowlist mode', [_gnutls_evidence(path, enabled[proto][-1])])
            else:
                set_protocol(stack, proto, 'refused', 'not listed as enabled-version in allowlist mode', [evidence('file', path=path)])
        elif crypto_policy_stack is not None and crypto_policy_stack['protocols'][proto]['state'] != 'unknown':
            dec = crypto_policy_stack['protocols'][proto]
            set_protocol(stack, proto, dec['state'], 'follows the system crypto policy', dec['evidence'])
        elif proto == 'ssl3' and gnutls_build_ssl3()[0] is False:
            set_protocol(stack, proto, 'refused', 'this GnuTLS build has no SSL 3.0: asking for it gives none',
                         [evidence('build', key=gnutls_build_ssl3()[1], value='no SSL 3.0')])
        elif proto == 'ssl3':
            set_protocol(stack, proto, 'refused', 'GnuTLS 3.x leaves SSL 3.0 out of its default priorities',
                         [evidence('default', note='default priority string')])
        elif proto == 'tls1_3' and ver is not None and ver < (3, 6, 5):
            set_protocol(stack, proto, 'refused', 'GnuTLS before 3.6.5 has no TLS 1.3', [evidence('build', key='version', value=version)])
        else:
            set_protocol(stack, proto, 'allowed', "enabled by GnuTLS's default priorities and not disabled in %s" % path,
                         [evidence('default', path=path, note='no disabled-version for this protocol')])
    stack['details']['tls13_capable'] = ver is None or ver >= (3, 6, 5)
    _gnutls_cipher_suites(document, stack, parsed, result.get('mode'), path)
    return stack


def _gnutls_cipher_suites(document, stack, parsed, mode, path):
    """Exchange Online suites left by the [overrides] section (no subprocess: the section is read)."""
    prefix = 'tls-enabled-' if mode == 'allowlist' else 'tls-disabled-'
    listed = {'kx': [], 'cipher': [], 'mac': []}
    for line in parsed.entries('overrides'):
        key = line.key.lower()
        if key.startswith(prefix) and key[len(prefix):] in listed:
            listed[key[len(prefix):]].append(line.value.strip())
    remaining = _cipher_profiles.gnutls_exo_suites(mode, listed)
    profile = _cipher_profiles.PROFILES[_cipher_profiles.DEFAULT_PROFILE]
    stack['details']['cipher_suites'] = {'source': '[overrides] of %s over the NORMAL priority' % path,
                                         'profile': _cipher_profiles.DEFAULT_PROFILE, 'in_common_tls12': remaining,
                                         'listed': dict((k, v) for k, v in listed.items() if v)}
    if not remaining and stack['protocols'].get('tls1_2', {}).get('state') == 'allowed':
        add_finding(document, make_finding('gnutls.no_common_cipher_suite', 'stack:gnutls',
                                           [evidence('file', path=path, section='overrides', note=', '.join(
                                               '%s%s = %s' % (prefix, k, ' '.join(v)) for k, v in sorted(listed.items()) if v) or mode)],
                                           profile=profile['label'], path=path))


def _gnutls_evidence(path, item):
    return evidence('file', path=path, line=item.get('line'), section=item.get('section'), key=item.get('key'), value=item.get('value'))


# --- NSS ---------------------------------------------------------------------

def gather_nss(document, crypto_policy_stack=None):
    libs = glob.glob('/usr/lib*/libnss3.so') + glob.glob('/usr/lib/*/libnss3.so') + glob.glob('/usr/lib*/nss/libnss3.so')
    if not libs:
        return None
    stack = new_stack('nss', 'nss', 'NSS')
    stack['details']['library'] = sorted(libs)[0]
    document['stacks'].append(stack)
    policy_file = '/etc/crypto-policies/back-ends/nss.config'
    policy = read_file(policy_file, max_bytes=65536)
    min_id = None
    if policy.data is not None:
        match = re.search(r'tls-version-min=([\w.]+)', policy.data.decode('utf-8', 'replace'))
        if match:
            min_id = protocol_id(match.group(1))
    for proto in PROTOCOLS:
        if min_id is not None:
            state = 'refused' if protocol_rank(proto) < protocol_rank(min_id) else 'allowed'
            set_protocol(stack, proto, state, 'NSS follows the crypto policy minimum %s' % min_id,
                         [evidence('policy', path=policy_file, key='tls-version-min', value=match.group(1))])
        elif proto == 'ssl3':
            set_protocol(stack, proto, 'refused', 'NSS disables SSL 3.0 by default', [evidence('default')])
        elif proto in ('tls1_2', 'tls1_3'):
            set_protocol(stack, proto, 'allowed', 'NSS implements %s' % PROTOCOL_LABELS[proto], [evidence('default')])
        else:
            set_protocol(stack, proto, 'unknown', 'NSS applications set their own minimum (Thunderbird: security.tls.version.min); see the clients',
                         [evidence('default', note='no system-wide NSS policy file')])
    return stack


# --- Java --------------------------------------------------------------------

def _java_homes():
    homes = set()
    for pattern in ('/usr/lib/jvm/*', '/usr/java/*', '/opt/java/*', '/opt/jdk*'):
        for path in glob.glob(pattern):
            if os.path.isdir(path) and not os.path.islink(path):
                homes.add(path)
    java_home = os.environ.get('JAVA_HOME')
    if java_home and os.path.isdir(java_home):
        homes.add(os.path.realpath(java_home))
    return sorted(homes)


def parse_java_security(text):
    """Return (disabledAlgorithms value, line number) with continuations joined."""
    lines = text.splitlines()
    value, start, i = None, None, 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith('jdk.tls.disabledAlgorithms'):
            start = i + 1
            parts = [stripped.split('=', 1)[1] if '=' in stripped else '']
            while parts[-1].rstrip().endswith('\\') and i + 1 < len(lines):
                parts[-1] = parts[-1].rstrip()[:-1]
                i += 1
                parts.append(lines[i].strip())
            value = ' '.join(p.strip() for p in parts)
        i += 1
    return value, start


def _java_version(home):
    release = read_file(os.path.join(home, 'release'), max_bytes=65536)
    if release.data is not None:
        match = re.search(r'JAVA_VERSION="([^"]+)"', release.data.decode('utf-8', 'replace'))
        if match:
            return match.group(1)
    return None


def gather_java(document):
    stacks = []
    for home in _java_homes():
        candidates = [os.path.join(home, 'conf', 'security', 'java.security'),
                      os.path.join(home, 'jre', 'lib', 'security', 'java.security'),
                      os.path.join(home, 'lib', 'security', 'java.security')]
        path = next((c for c in candidates if os.path.exists(c)), None)
        if path is None:
            continue
        name = os.path.basename(home)
        stack = new_stack('java:%s' % name, 'java', 'Java (%s)' % name, version=_java_version(home))
        stack['details']['home'] = home
        stack['details']['security_file'] = path
        document['stacks'].append(stack)
        stacks.append(stack)
        result = read_file(path, max_bytes=MAX_CONFIG_BYTES)
        add_source(stack, path, result.status, result.error)
        if result.data is None:
            add_finding(document, make_finding('java.config_unreadable', 'stack:%s' % stack['id'], [evidence('file', path=path, note=result.error)],
                                               path=path))
            continue
        value, line = parse_java_security(result.data.decode('utf-8', 'replace'))
        disabled = {}
        for token in re.split(r'\s*,\s*', value or ''):
            pid = protocol_id(token.strip())
            if pid:
                disabled.setdefault(pid, token.strip())
        # The whole list is kept once, in details; each protocol cites the file, line and key, and
        # a refused one the entry that refuses it.
        stack['details']['disabled_algorithms'] = value
        ev = [evidence('file', path=path, line=line, key='jdk.tls.disabledAlgorithms')]
        for proto in PROTOCOLS:
            if proto in disabled:
                set_protocol(stack, proto, 'refused', 'listed in jdk.tls.disabledAlgorithms',
                             [evidence('file', path=path, line=line, key='jdk.tls.disabledAlgorithms', value=disabled[proto])])
            elif proto == 'tls1_3' and stack['version'] and stack['version'].startswith('1.'):
                set_protocol(stack, proto, 'unknown', 'Java 8 has TLS 1.3 only from update 261', ev)
            else:
                set_protocol(stack, proto, 'allowed', 'not listed in jdk.tls.disabledAlgorithms', ev)
    return stacks


# --- Python ------------------------------------------------------------------

_PY_PROBE = (
    'import json,ssl\n'
    'c=ssl.create_default_context()\n'
    'print(json.dumps({"min":c.minimum_version.name,"max":c.maximum_version.name,'
    '"openssl":ssl.OPENSSL_VERSION,"tls13":bool(getattr(ssl,"HAS_TLSv1_3",False))}))\n'
)


def python_tls_defaults(interpreter):
    """(defaults, error) of ``interpreter``'s ssl module.

    When it is the interpreter running this code (the usual case: Ansible runs the module
    with the system Python), the answer comes from this process; only another interpreter
    costs a child process.
    """
    import json
    import sys
    if sys.executable and os.path.realpath(interpreter) == os.path.realpath(sys.executable):
        import ssl
        # The version bounds of ssl.create_default_context() (the child's probe), without loading the
        # CA store, which costs about 30 ms and changes no bound.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return {'min': context.minimum_version.name, 'max': context.maximum_version.name, 'openssl': ssl.OPENSSL_VERSION,
                'tls13': bool(getattr(ssl, 'HAS_TLSv1_3', False))}, None
    out = run_command([interpreter, '-c', _PY_PROBE])
    if out is None or out[0] != 0:
        return None, out[2] if out else 'cannot run %s' % interpreter
    return json.loads(out[1]), None


def gather_python(document, openssl_stack, interpreter=None):
    import sys
    interpreter = interpreter or ('/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable)
    data, error = python_tls_defaults(interpreter)
    stack = new_stack('python', 'python', 'Python ssl (%s)' % interpreter)
    document['stacks'].append(stack)
    if data is None:
        stack['present'] = False
        stack['details']['error'] = error
        return stack
    stack['version'] = data['openssl']
    stack['details'].update({'interpreter': interpreter, 'minimum_version': data['min'], 'maximum_version': data['max']})
    own_min = protocol_id(data['min'].replace('TLSv1_', 'tls1.').replace('TLSv1', 'tls1'))
    ev_min = evidence('default', key='ssl.create_default_context().minimum_version', value=data['min'], note=interpreter)
    for proto in PROTOCOLS:
        if own_min and protocol_rank(proto) < protocol_rank(own_min):
            set_protocol(stack, proto, 'refused', 'Python sets its own minimum %s' % data['min'], [ev_min])
        elif openssl_stack is not None:
            # The OpenSSL stack of this document holds the evidence; cite it instead of repeating it.
            dec = openssl_stack['protocols'][proto]
            ev_stack = evidence('policy', key='stacks[id=openssl].protocols.%s' % proto, value=dec['state'])
            set_protocol(stack, proto, dec['state'], 'follows the OpenSSL system policy: %s' % dec['reason'],
                         [ev_min, ev_stack], dec['conditions'])
    return stack


def gather_all(document, options):
    """Fill the document with every requested stack."""
    details, distro = host_details()
    document['host'].update(details)
    wanted = set(options.get('gather') or ['openssl', 'crypto_policies', 'gnutls', 'nss', 'java', 'python'])
    openssl_stack = policy_stack = None
    steps = (
        ('crypto_policies', lambda: gather_crypto_policies(document)),
        ('openssl', lambda: gather_openssl(document, distro, options.get('openssl_conf'))),
        ('gnutls', lambda: gather_gnutls(document, options.get('gnutls_config') or '/etc/gnutls/config', policy_stack)),
        ('nss', lambda: gather_nss(document, policy_stack)),
        ('java', lambda: gather_java(document)),
        ('python', lambda: gather_python(document, openssl_stack)),
    )
    for name, step in steps:
        if name not in wanted:
            continue
        try:
            result = step()
        except Exception as exc:  # a gatherer bug must not hide the rest of the posture
            add_finding(document, make_finding('gather_error', 'gather:%s' % name,
                                               [evidence('command', note='%s: %s' % (type(exc).__name__, exc))], what=name))
            continue
        if name == 'openssl':
            openssl_stack = result
        elif name == 'crypto_policies':
            policy_stack = result
    return document


def decision_summary(stack):
    return dict((p, stack['protocols'][p]['state']) for p in PROTOCOLS)


__all__ = ['gather_all', 'gather_openssl', 'gather_gnutls', 'gather_crypto_policies', 'gather_nss', 'gather_java', 'gather_python',
           'decision', 'decision_summary']
