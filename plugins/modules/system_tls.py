#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: system_tls
short_description: Require TLS 1.2 or newer in the system TLS policy, with validation and rollback
version_added: 0.1.0
description:
  - Sets the system-wide TLS policy that mail clients inherit.
  - On Linux without crypto-policies it edits the OpenSSL configuration in place (adding the
    C(openssl_conf) -> C(ssl_conf) -> C(system_default) chain where it is missing, inside the existing
    sections, never as a second C(openssl_conf) line) and, when legacy protocols are to be refused,
    adds C(disabled-version) lines to the GnuTLS system configuration. Every other byte of the files
    is kept.
  - On Linux with crypto-policies (RHEL, Fedora and relatives) it changes the policy with
    C(update-crypto-policies), keeping subpolicies, and never edits the generated back-end files.
  - B(Fails closed.) Before a new OpenSSL file counts, a real C(openssl s_client) using it must fail
    against a loopback TLS 1.0-only server with RSA key exchange and succeed against a loopback
    TLS 1.2 server, both started by the module on 127.0.0.1 for a few seconds. A GnuTLS file must load
    with C(GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1) and behave the same way. If validation fails,
    the original files stay untouched and the task fails with the reason. Check mode validates too,
    so it predicts a real run exactly.
  - Files are replaced atomically (temporary file in the same directory, fsync, rename) with their
    owner, group, mode and SELinux context, after a byte-for-byte backup; a file that changed since
    it was read is not overwritten.
  - Services that loaded the old policy keep it until restarted; the module reports that and never
    restarts anything.
  - On Windows the same task name applies the policy to SChannel, .NET, WinHTTP and WinINet (see the
    collection's Windows guide).
author:
  - mailtls.remediation contributors (@mailtls)
options:
  min_protocol:
    description:
      - The lowest protocol to allow when O(mode=enforce_minimum).
  mode:
    description:
      - V(enforce_minimum) refuses every protocol below O(min_protocol).
      - V(ensure_tls12) only makes sure TLS 1.2 is enabled (removes limits that block it) and leaves
        older protocols alone.
    type: str
    choices: [enforce_minimum, ensure_tls12]
    default: enforce_minimum
  openssl_conf:
    description:
      - The OpenSSL configuration file to manage. Default is the one OpenSSL uses (C(OPENSSL_CONF),
        else C(OPENSSLDIR/openssl.cnf) from C(openssl version -d)).
    type: path
  gnutls:
    description:
      - Also manage the GnuTLS system configuration (Debian's mutt and msmtp use GnuTLS, not OpenSSL).
    type: bool
    default: true
  backup:
    description:
      - Keep a byte-for-byte copy of each file before it is replaced, next to it.
    type: bool
    default: true
  state:
    description:
      - V(present) applies the policy.
      - V(rollback) restores the backups given in O(backup_files) and removes the O(created_files), or
        undoes what the last run recorded in O(state_dir) (nothing, unchanged, when there is no record; a record
        that cannot be parsed is an error naming the file).
    type: str
    choices: [present, rollback]
    default: present
  created_files:
    description:
      - With O(state=rollback), files the change created (they did not exist before), to remove
        again. Each is removed only if it is still exactly what the change wrote.
    type: list
    elements: dict
    suboptions:
      path:
        description: The file to remove.
        type: path
        required: true
      sha256:
        description: The SHA-256 of the content the change wrote.
        type: str
        required: true
  state_dir:
    description:
      - Where the module records what it changed, for O(state=rollback) and the rollback playbook.
    type: path
    default: /var/lib/mailtls-remediation
  validation_timeout:
    description:
      - Upper bound, in seconds, for each live validation handshake.
    type: int
    default: 20
  dotnet:
    description:
      - Windows only. Also set C(SchUseStrongCrypto) and C(SystemDefaultTlsVersions) for .NET 2.0/3.5
        and 4.x, in the 64-bit and 32-bit registry views.
    type: bool
    default: true
  winhttp:
    description:
      - Windows only. Also set WinHTTP C(DefaultSecureProtocols) in both registry views.
    type: bool
    default: true
  wininet:
    description:
      - Windows only. Also set WinINet C(SecureProtocols) for the machine.
    type: bool
    default: true
  force_guards:
    description:
      - Windows only. Lockout guards to override deliberately, by id (V(os_tls12_unsupported),
        V(tls12_prerequisites_missing), V(tls12_unusable_after_change), V(winrm_https_protocol_removed),
        V(winrm_credssp_tls10_only), V(winrm_certificate_tls13), V(rdp_tls10_only), V(sql_server_tls12_unsupported)).
        A guard that fires says which id to list here.
    type: list
    elements: str
    default: []
  backup_dir:
    description:
      - Windows only. Where the backup of the registry values is kept on the host.
        Default is C(%ProgramData%\mailtls\backups).
    type: path
  backup_file:
    description:
      - Windows only. With O(state=rollback), the registry backup to restore (default the latest).
    type: path
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.dual_platform
  - mailtls.remediation.tls_policy
  - mailtls.remediation.tls_policy.rollback
  - mailtls.remediation.tls_policy.gnutls_config
  - mailtls.remediation.attributes.bytecode_cache
attributes:
  check_mode:
    support: full
    description: Plans and validates; no configuration file is written (only its bytecode cache, see the notes).
  diff_mode:
    support: full
    description: Shows each file's change (or the crypto policy change) as a unified diff.
requirements:
  - Linux targets - the C(openssl) command, to validate a new OpenSSL configuration before it counts.
notes:
  - Needs the C(openssl) command on Linux to validate; C(gnutls-cli) to validate GnuTLS changes
    (without it the GnuTLS file is only checked by the collection's own parser, and a warning says so).
  - OpenSSL 1.0.x has no C(MinProtocol); the module refuses O(mode=enforce_minimum) there and says
    what is possible on that host. OpenSSL 0.9.8 cannot do TLS 1.2 at all.
seealso:
  - module: mailtls.remediation.tls_facts
  - module: mailtls.remediation.tls_probe
'''

EXAMPLES = r'''
- name: Require TLS 1.2 or newer system-wide (check first)
  mailtls.remediation.system_tls:
    min_protocol: TLSv1.2
  check_mode: true
  diff: true

- name: Only make sure TLS 1.2 is enabled, leave legacy protocols alone
  mailtls.remediation.system_tls:
    mode: ensure_tls12

- name: Apply, keep the result for a rollback
  mailtls.remediation.system_tls:
  register: tls_change

- name: Roll back exactly that change
  mailtls.remediation.system_tls:
    state: rollback
    backup_files: "{{ tls_change.backup_files }}"
'''

RETURN = r'''
changed:
  description: Whether files or the crypto policy changed (or would change in check mode).
  returned: always
  type: bool
  sample: true
files:
  description: The files the module manages and what happened to each.
  returned: always
  type: list
  elements: dict
  sample:
    - {path: /etc/ssl/openssl.cnf, kind: openssl, changed: true,
       before_sha256: 7ae8cae2e64856b34c80276deb1dcf60f76da27bc1e00382201ba7bb7dc33311,
       after_sha256: 3e99391b8dd3915ed9b18f4184943403a9710e9422d1a8a33426328afebfb099}
    - {path: /etc/gnutls/config, kind: gnutls, changed: true, before_sha256: null,
       after_sha256: 472e1e40d783eb20281dc363b087c26310dc502fd9cdc19b290dac7ad9d400f7}
backup_files:
  description: Backups taken, as C(path)/C(backup) pairs; pass them to O(state=rollback).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/ssl/openssl.cnf, backup: /etc/ssl/openssl.cnf.20261202T182011.mailtls-backup}]
created_files:
  description: Files that did not exist before, as C(path)/C(sha256) pairs; pass them to O(state=rollback).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/gnutls/config, sha256: 472e1e40d783eb20281dc363b087c26310dc502fd9cdc19b290dac7ad9d400f7}]
validation:
  description:
    - The live handshake checks of each candidate file, against loopback servers the module started.
    - Each check (C(canary)) says what was expected (C(expect)), whether that happened (C(passed)) and the handshake seen.
  returned: when a file was planned
  type: list
  elements: dict
  sample:
    - path: /etc/ssl/openssl.cnf
      kind: openssl
      ok: true
      details:
        kind: openssl
        syntax_ok: true
        error: null
        checks:
          - canary: tls1_0_krsa
            expect: refused
            passed: true
            server_flags: -tls1
            handshake: {ok: false, reason: protocol_version, refused_by: server, protocol: null}
          - canary: tls1_2
            expect: success
            passed: true
            server_flags: -tls1_2
            handshake: {ok: true, protocol: tls1_2, cipher: ECDHE-RSA-AES256-GCM-SHA384}
crypto_policy:
  description: The crypto policy before and after, on crypto-policies systems.
  returned: when crypto-policies is in use
  type: dict
  sample: {before: LEGACY, after: DEFAULT}
restart_required:
  description: Whether running services must be restarted to pick up the new policy.
  returned: always
  type: bool
  sample: true
reboot_required:
  description: Per part, whether a reboot is needed (never on Linux; kept for the same shape as Windows).
  returned: always
  type: dict
  sample: {openssl: false, gnutls: false}
plan:
  description:
    - Linux. The change plan of this run, also when a guard stopped it (then the guard is in C(guards) with
      C(blocking) true). The same planner gives the findings of M(mailtls.remediation.tls_facts) their plan.
  returned: always on Linux
  type: dict
  contains:
    changes:
      description: One entry per file, with C(module), C(kind) (V(file)), C(target), C(action) (V(create) or V(modify)),
        C(stack), C(finding_ids) (filled by the change_plan filter from the posture) and C(diff) (unified diff).
      type: list
      elements: dict
      sample: [{module: system_tls, kind: file, target: /etc/ssl/openssl.cnf, action: modify, stack: openssl, finding_ids: [],
                diff: "--- /etc/ssl/openssl.cnf\n+++ /etc/ssl/openssl.cnf\n@@ -1,3 +1,4 @@\n..."}]
    guards:
      description: Checks that stopped the change, with C(id) (V(state_dir_unwritable), V(validation_failed),
        V(openssl_refused), V(gnutls_refused), V(openssl_unusable)), C(blocking) and C(msg).
      type: list
      elements: dict
      sample: [{id: state_dir_unwritable, blocking: true, msg: "refusing to change anything: ..."}]
    restarts:
      description: What must be restarted to pick the policy up, with C(service) and C(why).
      type: list
      elements: dict
      sample: [{service: every running program that uses OpenSSL, why: the system TLS policy is read when a program starts}]
    reboot:
      description: Whether a reboot is needed (never on Linux).
      type: bool
      sample: false
    verify:
      description: How the change is proven after it is made, with C(what), C(how) and C(endpoints).
      type: list
      elements: dict
      sample: [{what: system TLS stacks (openssl), how: mailtls.remediation.tls_probe handshakes, endpoints: []}]
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
# Compiled once per host and kept (see _bytecode_cache): must come before the other module_utils.
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache  # noqa: F401  pylint: disable=unused-import
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_system_tls as policy
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import (
    FileChangedError,
    ManifestError,
    atomic_replace,
    check_state_dir,
    mark_run_rolled_back,
    read_file,
    read_manifest,
    remove_created,
    sha256_bytes,
    restore_backup,
    unique_stamp,
    unlink_quietly,
    write_manifest,
)
from ansible_collections.mailtls.remediation.plugins.module_utils._openssl_conf import encode_lossless

MANIFEST = 'system_tls.json'


def _manifest_path(params):
    return os.path.join(params['state_dir'], MANIFEST)


def _last_run_from_manifest(params):
    """(run id, restores, removals) of the newest run not yet rolled back.

    None without a record; (None, [], []) when every recorded run was undone
    already; ManifestError when the record is unusable.
    """
    path = _manifest_path(params)
    entries = read_manifest(path)
    if entries is None:
        return None
    pending = [e for e in entries if not e.get('rolled_back')]
    last_run = pending[-1].get('run') if pending else None
    entries = [e for e in pending if e.get('run') == last_run]
    try:
        return (last_run,
                [{'path': e['path'], 'backup': e['backup']} for e in entries if e.get('backup')],
                [{'path': e['path'], 'sha256': e['sha256'], 'created_dirs': e.get('created_dirs') or []}
                 for e in entries if not e.get('existed')])
    except KeyError as exc:
        raise ManifestError('the rollback record %s is corrupt: an entry of run %s has no %s' % (path, last_run, exc))


def rollback(module):
    restores, removals = module.params['backup_files'] or [], module.params['created_files'] or []
    # Rolling back from the record undoes the whole run, its backups included, and marks it undone.
    run_id = None
    if not restores and not removals:
        try:
            recorded = _last_run_from_manifest(module.params)
        except ManifestError as exc:
            module.fail_json(msg=str(exc), backup_files=[], created_files=[])
        if recorded is None or recorded[0] is None:
            # Nothing changed through this state directory, or all of it was undone: nothing to do (the playbook runs everywhere).
            module.exit_json(changed=False, files=[], backup_files=[], created_files=[], restart_required=False,
                             reboot_required={'openssl': False, 'gnutls': False},
                             msg='nothing to roll back: no backup_files or created_files given and no pending run in %s'
                                 % _manifest_path(module.params))
        run_id, restores, removals = recorded
    files, changed = [], False
    for pair in restores:
        backup = read_file(pair['backup'])
        if backup.data is None:
            module.fail_json(msg='backup %s for %s cannot be read: %s' % (pair['backup'], pair['path'], backup.error))
        current = read_file(pair['path'])
        differs = current.data != backup.data
        if differs and not module.check_mode:
            try:
                restore_backup(pair['path'], pair['backup'])
            except (IOError, OSError) as exc:
                module.fail_json(msg='restoring %s from %s failed: %s' % (pair['path'], pair['backup'], exc))
        changed = changed or differs
        files.append({'path': pair['path'], 'backup': pair['backup'], 'changed': differs,
                      'diff': {'before_header': pair['path'], 'after_header': pair['path'],
                               'before': (current.data or b'').decode('utf-8', 'replace'), 'after': backup.data.decode('utf-8', 'replace')}})
    for item in removals:
        current = read_file(item['path'])
        exists = current.exists
        if exists and current.sha256 != item['sha256']:
            module.fail_json(msg='%s was created by the change but has been modified since; not removed' % item['path'])
        if not module.check_mode:
            try:
                remove_created(item['path'], item['sha256'], item.get('created_dirs') or ())
            except (FileChangedError, IOError, OSError) as exc:
                module.fail_json(msg='removing %s failed: %s' % (item['path'], exc))
        changed = changed or exists
        files.append({'path': item['path'], 'removed': exists, 'changed': exists,
                      'diff': {'before_header': item['path'], 'after_header': '/dev/null',
                               'before': (current.data or b'').decode('utf-8', 'replace'), 'after': ''}})
    if run_id is not None and not module.check_mode:
        # Every file is back: the backups of this run have served and go too, so the host is as it was.
        for pair in restores:
            unlink_quietly(pair['backup'])
        try:
            mark_run_rolled_back(_manifest_path(module.params), run_id, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
        except (IOError, OSError) as exc:
            module.warn('the files were restored, but marking run %s as rolled back in %s failed: %s'
                        % (run_id, _manifest_path(module.params), exc))
    module.exit_json(changed=changed, files=[dict((k, v) for k, v in f.items() if k != 'diff') for f in files],
                     backup_files=[], created_files=[], restart_required=changed,
                     reboot_required={'openssl': False, 'gnutls': False},
                     diff=[f['diff'] for f in files if f['changed']])


def apply_crypto_policy(module, result):
    current = policy.current_crypto_policy()
    target = policy.plan_crypto_policy(current, module.params['mode'], module.params['min_protocol'])
    result['crypto_policy'] = {'before': current, 'after': target or current}
    if target is None:
        return
    result['changed'] = True
    result['restart_required'] = True
    result['plan']['changes'] = [policy.crypto_policy_change(current, target)]
    result['plan']['restarts'] = [{'service': 'every running program that follows the crypto policy',
                                   'why': 'update-crypto-policies regenerates the back-ends; programs read them when they start'}]
    result['diff'].append({'before_header': policy.CRYPTO_POLICIES_CONFIG, 'after_header': policy.CRYPTO_POLICIES_CONFIG,
                           'before': (current or '') + '\n', 'after': target + '\n'})
    if module.check_mode:
        return
    rc, out, err = module.run_command(['update-crypto-policies', '--set', target])
    if rc != 0:
        module.fail_json(msg='update-crypto-policies --set %s failed: %s' % (target, (err or out).strip()), **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            min_protocol=dict(type='str', choices=['TLSv1.2', 'TLSv1.3'], default='TLSv1.2'),
            mode=dict(type='str', choices=list(policy.MODES), default='enforce_minimum'),
            openssl_conf=dict(type='path'),
            gnutls=dict(type='bool', default=True),
            gnutls_config=dict(type='path', default='/etc/gnutls/config'),
            backup=dict(type='bool', default=True),
            state=dict(type='str', choices=['present', 'rollback'], default='present'),
            backup_files=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                backup=dict(type='path', required=True),
            )),
            created_files=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                sha256=dict(type='str', required=True),
            )),
            state_dir=dict(type='path', default='/var/lib/mailtls-remediation'),
            validation_timeout=dict(type='int', default=20),
            # Windows-only options share the task name; the Linux module accepts and ignores them.
            dotnet=dict(type='bool', default=True),
            winhttp=dict(type='bool', default=True),
            wininet=dict(type='bool', default=True),
            force_guards=dict(type='list', elements='str', default=[]),
            backup_dir=dict(type='path'),
            backup_file=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    if module.params['state'] == 'rollback':
        rollback(module)
    params = module.params
    result = dict(changed=False, files=[], backup_files=[], created_files=[], validation=[], diff=[], restart_required=False,
                  reboot_required={'openssl': False, 'gnutls': False},
                  plan=dict(changes=[], guards=[], restarts=[], reboot=False, verify=[]))
    plan = result['plan']

    def refuse(guard_id, msg):
        plan['guards'].append({'id': guard_id, 'blocking': True, 'msg': msg})
        module.fail_json(msg=msg, **result)

    try:
        binary, version, config_path = policy.locate_openssl(config_path=params['openssl_conf'])
        result['openssl'] = {'binary': binary, 'version': '.'.join(str(v) for v in version), 'config_file': config_path}
        if policy.crypto_policies_active() and params['openssl_conf'] is None:
            apply_crypto_policy(module, result)
            module.exit_json(**result)
    except policy.PolicyError as exc:
        refuse('openssl_unusable', str(exc))
    # The same planner gives the posture's findings their plan (tls_facts), so both agree.
    edits, _policy_change, refusals = policy.plan_system(params['openssl_conf'], params['gnutls_config'], params['gnutls'],
                                                         params['min_protocol'], params['mode'])
    for stack, reason in sorted(refusals.items()):
        refuse('%s_refused' % stack, reason)

    for edit in edits:
        result['files'].append({'path': edit.path, 'kind': edit.kind, 'changed': True, 'before_sha256': edit.sha256,
                                'after_sha256': sha256_bytes(encode_lossless(edit.after))})
        result['diff'].append(edit.as_diff())
    plan['changes'] = policy.plan_changes(edits)
    if not edits:
        module.exit_json(**result)
    plan['restarts'] = [{'service': 'every running program that uses %s' % ('OpenSSL or GnuTLS' if len(set(e.kind for e in edits)) > 1
                                                                            else {'openssl': 'OpenSSL', 'gnutls': 'GnuTLS'}[edits[0].kind]),
                         'why': 'the system TLS policy is read when a program starts; running daemons keep the old one until restarted'}]
    plan['verify'] = [{'what': 'system TLS stacks (%s)' % ', '.join(sorted(set(e.kind for e in edits))),
                       'how': 'mailtls.remediation.tls_probe handshakes through each stack, after live canary validation of every file',
                       'endpoints': []}]

    # The rollback record must be writable before anything changes (in check mode: predicted from permissions).
    refusal = check_state_dir(params['state_dir'], MANIFEST, create=not module.check_mode)
    if refusal:
        refuse('state_dir_unwritable', 'refusing to change anything: %s, so a rollback would have no record; fix it or pass another '
               'state_dir' % refusal)

    result['validation'] = policy.validate(edits, params['mode'], binary, timeout=params['validation_timeout'],
                                           min_protocol=params['min_protocol'])
    failed = [v for v in result['validation'] if not v['ok']]
    if failed:
        refuse('validation_failed', 'validation failed, nothing was changed: %s' % '; '.join(
            '%s: %s' % (v['path'], v['details'].get('error')) for v in failed))
    for item in result['validation']:
        if item['details'].get('warning'):
            module.warn(item['details']['warning'])
    result['changed'] = True
    result['restart_required'] = True
    if module.check_mode:
        module.exit_json(**result)

    # Unique per run, not per process: hosts in their own PID namespace reuse the same small pids.
    run_id = '%s-%s' % (module.params['mode'], unique_stamp())
    manifest = []

    def fail_half_way(msg):
        # The files already written are recorded first, so a rollback from the record undoes exactly them.
        if manifest:
            try:
                write_manifest(_manifest_path(params), manifest)
            except (IOError, OSError) as exc:
                msg += '; recording the files already written in %s failed too (%s): roll back with backup_files' % (
                    _manifest_path(params), exc)
        module.fail_json(msg=msg, **result)

    for edit in edits:
        created_dirs = []
        try:
            backup = atomic_replace(edit.path, encode_lossless(edit.after), edit.sha256, backup=params['backup'],
                                    created_dirs=created_dirs)
        except FileChangedError as exc:
            fail_half_way(str(exc))
        except (IOError, OSError) as exc:
            fail_half_way('writing %s failed: %s' % (edit.path, exc))
        written = sha256_bytes(encode_lossless(edit.after))
        if backup:
            result['backup_files'].append({'path': edit.path, 'backup': backup})
        if edit.sha256 is None:
            result['created_files'].append({'path': edit.path, 'sha256': written})
        manifest.append({'run': run_id, 'path': edit.path, 'backup': backup, 'kind': edit.kind, 'existed': edit.sha256 is not None,
                         'sha256': written, 'created_dirs': created_dirs})
    try:
        write_manifest(_manifest_path(params), manifest)
    except (IOError, OSError) as exc:
        # Checked writable before the change; if it still fails, say so loudly: the backups are listed in backup_files.
        module.fail_json(msg='the change was applied but could not be recorded in %s: %s; roll back with the backup_files '
                         'and created_files of this result' % (_manifest_path(params), exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
