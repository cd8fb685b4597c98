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

import difflib
import os
import shutil
import tempfile

from ansible_collections.mailtls.remediation.plugins.module_utils import _gnutls_conf
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_conf
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_policy
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file
from ansible_collections.mailtls.remediation.plugins.module_utils._linux_tls import gnutls_build_ssl3, openssl_build_info, run_command

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
    """Plan the OpenSSL configuration edits; returns a list of FileEdit.

    The edits land in the file where each setting (or the section in force)
    is defined, which may be an included file; every OpenSSL edit keeps the
    loaded chain (``edit.chain``) so validation can rebuild the whole of it.
    """
    edits = []
    config = _openssl_conf.load_config(config_path)
    for path, before, after in _openssl_conf.plan_policy(config, min_protocol=min_protocol, mode=mode, main_path=config_path):
        current = read_file(path)
        if current.data is not None and _openssl_conf.read_bytes_lossless(current.data) != before:
            raise PolicyError('%s changed while it was being planned' % path)
        edit = FileEdit(path, before, after, current.sha256, 'openssl')
        edit.chain = config
        edits.append(edit)
    return edits


class ChainCopyError(Exception):
    """The chain cannot be reproduced in a scratch copy (the message says why)."""


def _prefixed_item(item, root):
    """The raw text of an .include or .pragma includedir line pointing into ``root``; None to keep it."""
    value = item.value or ''
    offset = 0
    if item.kind == 'pragma':
        name, sep, rest = value.partition(':')
        if not sep or name.strip() != 'includedir':
            return None
        offset = len(value) - len(rest.lstrip(' \t'))
        value = value[offset:]
    if not value:
        return None
    bare = value.lstrip('"\'`')
    if not (bare.startswith('/') or bare.startswith('$')):
        return None  # relative: resolved from a (rewritten) includedir, or from the working directory (refused below)
    start = item.vstart + offset
    if item.nlines == 1:
        return item.raw[:start] + root + item.raw[start:]
    ending = item.raw[len(item.raw.rstrip('\r\n')):]
    return item.logical[:start] + root + item.logical[start:] + ending


def mirror_chain(config, replacements, root):
    """Write the chain OpenSSL loads from ``config`` under ``root``, with ``replacements`` {path: text} in place.

    Every file keeps its absolute path below ``root`` (so the relative layout
    and directory includes stay as they are); absolute ``.include`` targets
    and ``.pragma includedir`` values are rewritten to point into the copy.
    The copy is then loaded again and must read the same files, all from
    inside the copy, or ChainCopyError says which differ (a relative include
    resolved from the working directory cannot be copied: it fails closed).
    Returns the main file of the copy.
    """
    texts = {}
    for path, doc in config.documents.items():
        items = _openssl_conf.parse(replacements[path], path).items if path in replacements else doc.items
        out = []
        for item in items:
            raw = _prefixed_item(item, root) if item.kind in ('include', 'pragma') else None
            out.append(item.raw if raw is None else raw)
        texts[path] = ''.join(out)
    for path, text in replacements.items():
        if path not in texts:
            texts[path] = text
    for path, text in texts.items():
        target = root + path
        parent = os.path.dirname(target)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o700)
        with open(target, 'wb') as handle:
            handle.write(_openssl_conf.encode_lossless(text))
    main = root + config.main_path
    check = _openssl_conf.load_config(main)
    got = sorted(f['path'][len(root):] if f['path'].startswith(root + '/') else '%s (outside the copy)' % f['path'] for f in check.files)
    want = sorted(set(f['path'] for f in config.files) | set(replacements))
    if got != want:
        raise ChainCopyError('the scratch copy of the OpenSSL configuration does not load the same files as %s '
                             '(copy: %s; original: %s), so the change cannot be validated as OpenSSL will load it'
                             % (config.main_path, ', '.join(got) or 'none', ', '.join(want) or 'none'))
    return main


def plan_gnutls(config_path, mode, min_protocol):
    current = read_file(config_path)
    if current.status not in ('read', 'missing'):
        raise PolicyError('cannot read %s: %s' % (config_path, current.error))
    target = 'tls1_3' if min_protocol == 'TLSv1.3' else 'tls1_2'
    # A build without SSL 3.0 gets no line for it: the posture calls it refused, so the plan has nothing to fix there.
    include_ssl3 = gnutls_build_ssl3()[0] is not False
    return [FileEdit(path, before, after, current.sha256, 'gnutls')
            for path, before, after in _gnutls_conf.plan_policy(current.data, config_path, mode, min_protocol=target,
                                                                include_ssl3=include_ssl3)]


def validate(edits, mode, openssl_bin, timeout=20, min_protocol='TLSv1.2'):
    """Prove the candidates with live handshakes before anything is written.

    OpenSSL: the whole chain is copied to a scratch directory with every
    edited file in place (main file, includes, directory includes), and
    ``OPENSSL_CONF`` points at the copy of the main file, so the check sees
    what OpenSSL will load.  One result covers the chain; ``files`` lists the
    edited files.  GnuTLS: the candidate file on its own.
    """
    results = []
    workdir = tempfile.mkdtemp(prefix='mailtls-validate-')
    try:
        openssl_edits = [edit for edit in edits if edit.kind == 'openssl']
        if openssl_edits:
            results.append(_validate_openssl_chain(openssl_edits, mode, openssl_bin, timeout, min_protocol, workdir))
        for edit in edits:
            if edit.kind == 'openssl':
                continue
            candidate = os.path.join(workdir, os.path.basename(edit.path) or 'candidate')
            with open(candidate, 'wb') as handle:
                handle.write(_openssl_conf.encode_lossless(edit.after))
            if shutil.which('gnutls-cli') is None:
                ok, details = True, {'warning': 'gnutls-cli is not installed: %s was checked by the parser only, not with a live handshake' % edit.path}
            else:
                ok, details = _canary().validate_gnutls_config(candidate, timeout=timeout, expect_legacy_refused=(mode == 'enforce_minimum'),
                                                               min_protocol=min_protocol)
            results.append({'path': edit.path, 'kind': edit.kind, 'ok': ok, 'details': details})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _canary():
    """The live-handshake validators, loaded only when a change is validated: the posture never needs
    them, and compiling them is a noticeable part of every tls_facts call (AnsiballZ ships sources)."""
    from ansible_collections.mailtls.remediation.plugins.module_utils import _canary as canary
    return canary


def _validate_openssl_chain(edits, mode, openssl_bin, timeout, min_protocol, workdir):
    config = getattr(edits[0], 'chain', None)
    main_path = config.main_path if config is not None else edits[0].path
    entry = {'path': main_path, 'kind': 'openssl', 'files': [edit.path for edit in edits], 'ok': False}
    after_root, before_root = os.path.join(workdir, 'candidate'), os.path.join(workdir, 'current')
    try:
        if config is None:
            raise ChainCopyError('internal: the OpenSSL edit carries no loaded chain')
        candidate = mirror_chain(config, dict((edit.path, edit.after) for edit in edits), after_root)
        baseline = None
        if not config.main_missing:
            baseline = mirror_chain(config, {}, before_root)
    except (ChainCopyError, IOError, OSError) as exc:
        entry['details'] = {'error': str(exc), 'checks': []}
        return entry
    if mode == 'enforce_minimum':
        ok, details = _canary().validate_openssl_conf(candidate, openssl_bin=openssl_bin, timeout=timeout, baseline_path=baseline,
                                                      min_protocol=min_protocol, roots=(after_root, before_root))
    else:
        ok, details = _canary().validate_openssl_conf_keeps_tls12(candidate, openssl_bin=openssl_bin, timeout=timeout,
                                                                  baseline_path=baseline, roots=(after_root, before_root))
    details['chain'] = sorted(f['path'] for f in config.files)
    entry.update({'ok': ok, 'details': details})
    return entry


def current_crypto_policy():
    out = run_command(['update-crypto-policies', '--show'])
    if out and out[0] == 0:
        return out[1].strip()
    data = read_file(CRYPTO_POLICIES_CONFIG).data
    return data.decode('utf-8', 'replace').strip() if data else None


def gnutls_present():
    from ansible_collections.mailtls.remediation.plugins.module_utils._linux_tls import gnutls_version
    return gnutls_version()[1] is not None


# --------------------------------------------------------------------------
# the change plan: one decision for the posture's findings and for system_tls

def unified_diff(path, before, after):
    """Unified diff text of one planned file (``before`` None: the file is created)."""
    old = _openssl_conf.encode_lossless(before).decode('utf-8', 'replace') if before is not None else ''
    new = _openssl_conf.encode_lossless(after).decode('utf-8', 'replace')
    return ''.join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        '/dev/null' if before is None else path, path))


def plan_changes(edits):
    """The ``changes`` entries of a change plan for these edits (shape shared with mail_client_tls)."""
    return [{'module': 'system_tls', 'kind': 'file', 'target': edit.path, 'action': 'create' if edit.before is None else 'modify',
             'stack': edit.kind, 'finding_ids': [], 'diff': unified_diff(edit.path, edit.before, edit.after)} for edit in edits]


def crypto_policy_change(current, target):
    return {'module': 'system_tls', 'kind': 'file', 'target': CRYPTO_POLICIES_CONFIG, 'action': 'modify', 'stack': 'crypto_policies',
            'finding_ids': [], 'diff': unified_diff(CRYPTO_POLICIES_CONFIG, (current or '') + '\n', target + '\n')}


def plan_system(openssl_conf=None, gnutls_config='/etc/gnutls/config', gnutls=True, min_protocol='TLSv1.2', mode='enforce_minimum',
                openssl=True):
    """Everything system_tls would change, without validating: (edits, crypto policy change or None, refusals).

    ``refusals`` maps a stack (openssl, gnutls, crypto_policies) to the reason
    the planner refuses to touch it.  system_tls and the posture both call this.
    """
    edits, refusals, policy_change = [], {}, None
    try:
        _binary, version, config_path = locate_openssl(config_path=openssl_conf)
    except PolicyError as exc:
        refusals['openssl'] = str(exc)
        version = config_path = None
    if config_path is not None and crypto_policies_active() and openssl_conf is None:
        current = current_crypto_policy()
        target = plan_crypto_policy(current, mode, min_protocol)
        if target is not None:
            policy_change = crypto_policy_change(current, target)
        return edits, policy_change, refusals
    if config_path is not None and openssl:
        try:
            check_version(version, mode)
            edits.extend(plan_openssl(config_path, min_protocol, mode))
        except (PolicyError, _openssl_conf.OpenSSLConfError) as exc:
            refusals['openssl'] = str(exc)
    if gnutls and (os.path.exists(gnutls_config) or gnutls_present()):
        try:
            edits.extend(plan_gnutls(gnutls_config, mode, min_protocol))
        except (PolicyError, _gnutls_conf.GnuTLSConfError) as exc:
            refusals['gnutls'] = str(exc)
    return edits, policy_change, refusals


def attach_posture_plan(document, openssl_conf=None, gnutls_config='/etc/gnutls/config', min_protocol='TLSv1.2', mode='enforce_minimum'):
    """Put the system_tls plan on the posture: per stack in ``details.plan`` and on every finding of that stack.

    The finding ids a change fixes are those of its stack's findings, so a
    change board reads the same decision in the report, the change plan and
    the result of the real run.
    """
    stacks = dict((s['id'], s) for s in document.get('stacks', []) if s.get('present', True))
    if not any(k in stacks for k in ('openssl', 'gnutls', 'crypto_policies')):
        return document
    try:
        edits, policy_change, refusals = plan_system(openssl_conf, gnutls_config, 'gnutls' in stacks, min_protocol, mode,
                                                     openssl='openssl' in stacks or 'crypto_policies' in stacks)
    except Exception as exc:  # the plan is an addition to the posture; it must never break the inventory
        edits, policy_change, refusals = [], None, {'openssl': 'planning failed: %s: %s' % (type(exc).__name__, exc)}
    changes = plan_changes(edits) + ([policy_change] if policy_change else [])
    for stack_id, stack in stacks.items():
        if stack_id not in ('openssl', 'gnutls', 'crypto_policies'):
            continue
        mine = [c for c in changes if c['stack'] == stack_id]
        findings = [f for f in document.get('findings', []) if f.get('subject') == 'stack:%s' % stack_id and f.get('effect') != 'none']
        for change in mine:
            change['finding_ids'] = sorted(set(f['id'] for f in findings))
        stack_plan = {'module': 'system_tls', 'min_protocol': min_protocol, 'mode': mode,
                      'changes': [dict((k, v) for k, v in c.items() if k != 'diff') for c in mine],
                      'refused': refusals.get(stack_id)}
        stack.setdefault('details', {})['plan'] = stack_plan
        for finding in findings:
            finding['plan'] = {'module': 'system_tls', 'targets': [c['target'] for c in mine], 'refused': refusals.get(stack_id)}
    document.setdefault('plan', {})['system_tls'] = {'min_protocol': min_protocol, 'mode': mode, 'changes': changes, 'refused': refusals}
    return document
