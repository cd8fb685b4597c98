# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: plan, validate and apply the system TLS policy on Linux.

The flow is plan -> validate -> write, and nothing is written unless the plan
validated: a candidate OpenSSL file must make a real client refuse a loopback
TLS 1.0 server with RSA key exchange and still reach a TLS 1.2 server, and a
candidate GnuTLS file must load with GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1.
On crypto-policies systems the policy is changed with update-crypto-policies;
generated back-end files are never edited.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.mailtls.remediation.plugins.module_utils import _canary
from ansible_collections.mailtls.remediation.plugins.module_utils import _gnutls_conf
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_conf
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_policy
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file
from ansible_collections.mailtls.remediation.plugins.module_utils._linux_tls import openssl_build_info, run_command

MODES = ('enforce_minimum', 'ensure_tls12')
CRYPTO_POLICIES_CONFIG = '/etc/crypto-policies/config'


class PolicyError(Exception):
    """The policy cannot be applied on this host; the message says why and what is possible."""


class FileEdit(object):
    """One planned change of one file: what was read and what will be written."""

    def __init__(self, path, before, after, sha256, kind):
        self.path = path
        self.before = before
        self.after = after
        self.sha256 = sha256
        self.kind = kind

    def as_diff(self):
        return {
            'before_header': self.path,
            'after_header': self.path,
            'before': _openssl_conf.encode_lossless(self.before).decode('utf-8', 'replace') if self.before is not None else '',
            'after': _openssl_conf.encode_lossless(self.after).decode('utf-8', 'replace'),
        }


def locate_openssl(openssl_bin='openssl', config_path=None):
    """Return (openssl binary, version tuple, config path) or raise PolicyError."""
    binary = openssl_bin if os.path.isabs(openssl_bin) else shutil.which(openssl_bin)
    if not binary:
        raise PolicyError('the openssl command is needed to validate a new configuration and was not found; install the openssl package')
    info = openssl_build_info(binary)
    if info is None or info.get('library_version') is None:
        raise PolicyError('could not read the OpenSSL version from %s version -a' % binary)
    if config_path is None:
        config_path = os.environ.get('OPENSSL_CONF') or (os.path.join(info['openssldir'], 'openssl.cnf') if info.get('openssldir') else None)
    if not config_path:
        raise PolicyError('could not locate the OpenSSL configuration file; pass openssl_conf')
    # Edit the file a symlink points at (Debian: /usr/lib/ssl/openssl.cnf -> /etc/ssl/openssl.cnf),
    # never replace the link itself.
    return binary, info['library_version'], os.path.realpath(config_path)


def check_version(version, mode):
    """Refuse, with what is possible instead, on libraries that cannot take the policy."""
    text = '.'.join(str(v) for v in version)
    if version < (1, 0, 1):
        raise PolicyError('OpenSSL %s cannot negotiate TLS 1.2 at all; nothing in its configuration can fix that. '
                          'Upgrade OpenSSL (or the distribution) on this host.' % text)
    if mode == 'enforce_minimum' and not _openssl_policy.min_protocol_supported(version):
        raise PolicyError('OpenSSL %s has no MinProtocol setting (added in 1.1.0), so a system-wide minimum cannot be set. '
                          'TLS 1.2 is already available; refuse legacy protocols per application with '
                          'mailtls.remediation.mail_client_tls, or upgrade OpenSSL.' % text)


def crypto_policies_active():
    return os.path.exists(CRYPTO_POLICIES_CONFIG) and shutil.which('update-crypto-policies') is not None


def plan_crypto_policy(current, mode, min_protocol):
    """Return the policy string to set, or None when the current one already fits.

    Base policies LEGACY (RHEL 8 allows TLS 1.0/1.1) move to DEFAULT; subpolicies are kept.
    TLS 1.3 as a minimum needs the FUTURE base.
    """
    parts = (current or 'DEFAULT').strip().split(':')
    base, subs = parts[0].upper(), parts[1:]
    if mode == 'ensure_tls12':
        return None  # every shipped base policy allows TLS 1.2
    target = base
    if base == 'LEGACY':
        target = 'DEFAULT'
    if min_protocol == 'TLSv1.3' and base != 'FUTURE':
        target = 'FUTURE'
    if target == base:
        return None
    return ':'.join([target] + subs)


def plan_openssl(config_path, min_protocol, mode):
    """Plan the OpenSSL configuration edits; returns a list of FileEdit."""
    edits = []
    config = _openssl_conf.load_config(config_path)
    for path, before, after in _openssl_conf.plan_policy(config, min_protocol=min_protocol, mode=mode, main_path=config_path):
        current = read_file(path)
        if current.data is not None and _openssl_conf.read_bytes_lossless(current.data) != before:
            raise PolicyError('%s changed while it was being planned' % path)
        edits.append(FileEdit(path, before, after, current.sha256, 'openssl'))
    return edits


def plan_gnutls(config_path, mode, min_protocol):
    current = read_file(config_path)
    if current.status not in ('read', 'missing'):
        raise PolicyError('cannot read %s: %s' % (config_path, current.error))
    target = 'tls1_3' if min_protocol == 'TLSv1.3' else 'tls1_2'
    return [FileEdit(path, before, after, current.sha256, 'gnutls')
            for path, before, after in _gnutls_conf.plan_policy(current.data, config_path, mode, min_protocol=target)]


def validate(edits, mode, openssl_bin, timeout=20):
    """Prove each candidate with live handshakes before anything is written."""
    results = []
    workdir = tempfile.mkdtemp(prefix='mailtls-validate-')
    try:
        for edit in edits:
            candidate = os.path.join(workdir, os.path.basename(edit.path) or 'candidate')
            with open(candidate, 'wb') as handle:
                handle.write(_openssl_conf.encode_lossless(edit.after))
            if edit.kind == 'openssl':
                baseline = edit.path if edit.before is not None else None
                check = _canary.validate_openssl_conf if mode == 'enforce_minimum' else _canary.validate_openssl_conf_keeps_tls12
                ok, details = check(candidate, openssl_bin=openssl_bin, timeout=timeout, baseline_path=baseline)
            elif shutil.which('gnutls-cli') is None:
                ok, details = True, {'warning': 'gnutls-cli is not installed: %s was checked by the parser only, not with a live handshake' % edit.path}
            else:
                ok, details = _canary.validate_gnutls_config(candidate, timeout=timeout, expect_legacy_refused=(mode == 'enforce_minimum'))
            results.append({'path': edit.path, 'kind': edit.kind, 'ok': ok, 'details': details})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def current_crypto_policy():
    out = run_command(['update-crypto-policies', '--show'])
    if out and out[0] == 0:
        return out[1].strip()
    data = read_file(CRYPTO_POLICIES_CONFIG).data
    return data.decode('utf-8', 'replace').strip() if data else None


def gnutls_present():
    from ansible_collections.mailtls.remediation.plugins.module_utils._linux_tls import gnutls_version
    return gnutls_version()[1] is not None
