#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mail_client_tls
short_description: Make per-user mail client settings negotiate TLS 1.2 or newer
version_added: "0.1.0"
description:
  - Finds the configuration files of fetchmail, mutt, neomutt, isync/mbsync, offlineimap, getmail6, msmtp, imapfilter,
    curl and Thunderbird (C(prefs.js), C(user.js), enterprise C(policies.json)) for the local users (home directories from
    the passwd database) and the system-wide files, or works on the files named in O(paths).
  - Rewrites only the settings that let a client negotiate less than O(min_protocol) or that keep it from negotiating
    O(min_protocol) or newer, for example C(sslproto 'tls1') in a fetchmailrc, C(SSLVersions TLSv1) in an mbsyncrc,
    C(set ssl_use_tlsv1=yes) in a muttrc or C(security.tls.version.max) of 1 in a Thunderbird profile.
  - Every other byte of a file stays as it was, including comments, ordering, owner, group and mode (a fetchmailrc stays private).
  - The decision to change a client is the one M(mailtls.remediation.tls_facts) reports for it (its C(plan)), from the client's
    own settings and protocol bounds combined with the system policy of its TLS library, read from the same host (and
    from C(OPENSSL_CONF) / C(GNUTLS_SYSTEM_PRIORITY_FILE) when set). A client whose program sets its own bounds in code
    (fetchmail, C(curl --tlsv1.0), Python C(ssl_version) pins) is changed even when the system minimum is TLS 1.2,
    because that minimum does not bind it, and a client that follows the system policy is left alone when the policy
    already refuses what it asks for.
  - A file is replaced atomically, only when it still has the content that was read, with a backup in a
    C(.mailtls-backup) directory next to it (a name unique per change that no client's file pattern matches).
  - A symbolic link is never replaced. Its target is edited (and the link kept) when the target is a regular file owned
    by the owner of the link; otherwise the file is reported (status C(link_refused)) and left alone. When root handles
    the files of users, it never follows a link into a file the user could not read.
  - Every change is recorded in O(state_dir) before the module reports success; when the record cannot be written,
    nothing is changed. O(state=rollback) without O(backup_files) restores what the last run recorded, byte for byte,
    with owner and mode.
  - Files that cannot be read or understood, FIFOs, devices, files larger than O(max_file_bytes) and documents nested too
    deeply are reported and left untouched.
  - Passwords and tokens found in the files (also on commented-out lines) never appear in the result or in the diff;
    they are replaced by a mask.
  - Scripts that pin legacy TLS in code are only reported by M(mailtls.remediation.tls_facts); this module does not edit them.
author:
  - mailtls.remediation contributors (@mailtls)
options:
  min_protocol:
    description:
      - The lowest TLS version the clients may negotiate after the change.
  clients:
    description:
      - Which clients to change. All when omitted.
    type: list
    elements: str
    choices: [fetchmail, mutt, neomutt, mbsync, offlineimap, getmail, msmtp, imapfilter, curl, thunderbird, postfix, exim]
  users:
    description:
      - Only the files of these local users. All users (and the system-wide files) when omitted.
      - System-wide files such as C(/etc/fetchmailrc) or C(/etc/Muttrc) are only handled when O(users) is omitted.
    type: list
    elements: str
  paths:
    description:
      - Work on exactly these files instead of searching the home directories.
      - A Thunderbird C(profiles.ini) or profile directory stands for the C(prefs.js) and C(user.js) of its profiles.
      - The format is recognised from the file name, else from the content; unknown files are reported and left untouched.
    type: list
    elements: path
  include_system:
    description:
      - Also handle the system-wide files when O(paths) and O(users) are omitted.
    type: bool
    default: true
  move_legacy_endpoints:
    description:
      - Also replace the closing C(pop-legacy.office365.com) and C(imap-legacy.office365.com) endpoints
        with C(outlook.office365.com) (and C(smtp-legacy.office365.com) with C(smtp.office365.com)).
    type: bool
    default: false
  backup:
    description:
      - Keep a copy of each file before it is changed, in a C(.mailtls-backup) directory next to it, with the same owner
        and mode. The record in O(state_dir) holds the original content either way.
    type: bool
    default: true
  state:
    description:
      - V(present) makes the change; V(rollback) puts the files back byte for byte, those listed in O(backup_files)
        or, when O(backup_files) is omitted, those the last run recorded in O(state_dir).
    type: str
    choices: [present, rollback]
    default: present
  state_dir:
    description:
      - Where the module records what it changed (C(mail_client_tls.json), mode 0600), for O(state=rollback) and the
        rollback playbook. The same directory as M(mailtls.remediation.system_tls) uses by default.
    type: path
    default: /var/lib/mailtls-remediation
  max_file_bytes:
    description:
      - Larger files are reported and left untouched.
    type: int
    default: 1048576
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.posix
  - mailtls.remediation.tls_policy
  - mailtls.remediation.tls_policy.rollback
  - mailtls.remediation.attributes.bytecode_cache
attributes:
  check_mode:
    support: full
    description: Predicts exactly which files change and how; no file it manages is written (only its bytecode cache, see the notes).
  diff_mode:
    support: full
    description: Shows each changed file before and after, with passwords masked.
notes:
  - Thunderbird rewrites C(prefs.js) when it exits; close Thunderbird before the change, or the old values may come back.
    The result warns when a profile looks in use.
  - Debian's mutt links GnuTLS and fetchmail, mbsync and curl link OpenSSL; the system policy of those libraries is handled by
    M(mailtls.remediation.system_tls), this module handles what the clients themselves pin.
seealso:
  - module: mailtls.remediation.tls_facts
  - module: mailtls.remediation.system_tls
'''

EXAMPLES = r'''
- name: Let every user's mail clients negotiate TLS 1.2 or newer
  mailtls.remediation.mail_client_tls:
    min_protocol: TLSv1.2
  register: mail_clients

- name: Only fetchmail and mbsync of two users, and move them off the closing endpoints
  mailtls.remediation.mail_client_tls:
    clients: [fetchmail, mbsync]
    users: [alice, bob]
    move_legacy_endpoints: true

- name: One explicit file, checked first
  mailtls.remediation.mail_client_tls:
    paths: [/srv/mail/.fetchmailrc]
  check_mode: true
  diff: true

- name: Undo the change of an earlier run
  mailtls.remediation.mail_client_tls:
    state: rollback
    backup_files: "{{ mail_clients.backup_files }}"

- name: Undo what the last run recorded, without passing anything back
  mailtls.remediation.mail_client_tls:
    state: rollback
'''

RETURN = r'''
changed:
  description: Whether a file was (or in check mode would be) changed.
  returned: always
  type: bool
  sample: true
files:
  description: One item per file looked at.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
      sample: /home/alice/.fetchmailrc
    format:
      description: The recognised format (fetchmail, mutt, neomutt, mbsync, offlineimap, getmail, msmtp, imapfilter, curl,
        thunderbird_prefs, thunderbird_user, thunderbird_policies, postfix_main, postfix_master) or null.
      type: str
      sample: fetchmail
    client:
      description: The client the file belongs to.
      type: str
      sample: fetchmail
    user:
      description: The owner user for files found in a home directory, null otherwise.
      type: str
      sample: alice
    status:
      description: >-
        changed, unchanged, restored, unknown_format, unparsable, unreadable, missing, not_editable,
        special (a FIFO, device or socket), too_large, link_refused (a symbolic link whose target may not be edited),
        changed_on_disk (the file changed between read and write and was not overwritten), invalid (the program's own
        check, for example C(postfix check), rejected the candidate, so nothing was written) or error.
      type: str
      sample: changed
    changes:
      description: What was changed, one line each (no secret values).
      type: list
      elements: str
      sample: ["line 12: sslproto 'tls1' -> tls1.2+"]
    backup_file:
      description: The backup made before the change.
      type: str
      sample: /home/alice/.mailtls-backup/.fetchmailrc.20260101T120000.123456789.4242.1
    written:
      description: The file that was replaced, when it differs from RV(files[].path) (the target of a symbolic link).
      type: str
      sample: /home/alice/dotfiles/fetchmailrc
    msg:
      description: Why a file was left alone.
      type: str
      sample: not a configuration file of a supported mail client; left untouched
    warning:
      description: A caveat, for example a Thunderbird profile that seems in use.
      type: str
      sample: Thunderbird may be running with this profile; it rewrites prefs.js on exit, so close it first
    validation:
      description: What the program's own check said about the candidate (MTAs, for example C(postfix -c COPY check)).
      type: str
      sample: postfix -c (copy) check passed
    restart_needed:
      description: >-
        Commands the running service needs before it uses the change (for example C(postfix reload)).
        The module never runs them.
      type: list
      elements: str
      sample: [postfix reload]
  sample:
    - path: /home/alice/.fetchmailrc
      format: fetchmail
      client: fetchmail
      user: alice
      status: changed
      changes: ["line 12: sslproto 'tls1' -> tls1.2+"]
      backup_file: /home/alice/.mailtls-backup/.fetchmailrc.20260101T120000.123456789.4242.1
backup_files:
  description: Changed files and their backups, in the shape O(backup_files) takes for O(state=rollback).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /home/alice/.fetchmailrc
      backup: /home/alice/.mailtls-backup/.fetchmailrc.20260101T120000.123456789.4242.1
created_files:
  description: Files the run created (this module edits files in place and creates none, so this is empty); kept for the roles.
  returned: always
  type: list
  elements: dict
  sample: []
state_file:
  description: The record of what was changed (O(state_dir)/mail_client_tls.json).
  returned: always
  type: str
  sample: /var/lib/mailtls-remediation/mail_client_tls.json
'''

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
# Compiled once per host and kept (see _bytecode_cache): must come before the other module_utils.
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache  # noqa: F401  pylint: disable=unused-import
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import FileChangedError, read_file, restore_backup, sha256_bytes
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import _files
from ansible_collections.mailtls.remediation.plugins.module_utils._posture import new_document

PROTOCOL_IDS = {'TLSv1.2': 'tls1_2', 'TLSv1.3': 'tls1_3'}
STACKS = ['crypto_policies', 'openssl', 'gnutls', 'nss']


def _targets(params):
    if params['paths']:
        targets = _mail_clients.targets_for_paths(params['paths'])
        if params['clients']:
            wanted = set(params['clients'])
            targets = [t for t in targets if t['format'] is None or _mail_clients.client_of(t['format']) in wanted]
        return targets
    return _mail_clients.discover(users=params['users'], clients=params['clients'], include_system=params['include_system'])


def _as_uid(target):
    """Root reading for a user reads with that user's rights: the discovered user, or the owner of an explicitly named link."""
    if os.geteuid() != 0:
        return None
    if target.get('user') and target.get('uid') is not None:
        return target['uid']
    try:
        lst = os.lstat(target['path'])
    except OSError:
        return None
    return lst.st_uid if os.path.islink(target['path']) else None


def _stacks_document():
    """The TLS stacks of this host, as tls_facts reads them: the decisions of the posture are remade here."""
    document = new_document('linux', 'localhost')
    _linux_tls.gather_all(document, {'gather': STACKS})
    return document


def _present(module):
    params = module.params
    options = {'min_protocol': PROTOCOL_IDS[params['min_protocol']], 'move_legacy_endpoints': params['move_legacy_endpoints']}
    toolbox = _mail_clients.Toolbox()
    context = _mail_clients.remediation_context(toolbox)
    document = _stacks_document()
    record = _files.StateRecord(params['state_dir'])
    files, diffs, backups, problems, planned = [], [], [], [], []
    for target in _targets(params):
        if target['format'] == 'thunderbird_profiles':
            continue
        plan = _mail_clients.plan_file(target['path'], target['format'], options, context, max_file_bytes=params['max_file_bytes'],
                                       document=document, toolbox=toolbox, as_uid=_as_uid(target))
        result = {
            'path': target['path'], 'format': plan['format'], 'client': _mail_clients.client_of(plan['format']) if plan['format'] else None,
            'user': target.get('user'), 'status': plan['status'], 'changes': plan['changes'], 'backup_file': None, 'msg': plan.get('msg'),
        }
        if plan.get('write_path') and plan['write_path'] != target['path']:
            result['written'] = plan['write_path']
        for key in ('validation', 'restart_needed'):
            if plan.get(key):
                result[key] = plan[key]
        if plan['status'] == 'invalid':
            problems.append(target['path'])
        if plan.get('warning'):
            result['warning'] = plan['warning']
            module.warn('%s: %s' % (target['path'], plan['warning']))
        if plan['status'] == 'changed':
            if module._diff:
                diffs.append({'before_header': target['path'], 'after_header': target['path'],
                              'before': plan['before_redacted'], 'after': plan['after_redacted']})
            planned.append((plan, result))
        files.append(result)
    if planned and not module.check_mode:
        try:
            record.check_writable()
        except (OSError, IOError, _files.RecordError) as exc:
            module.fail_json(msg='the change record in %s cannot be written (%s); nothing was changed' % (params['state_dir'], exc),
                             changed=False, files=files, backup_files=[], created_files=[], state_file=record.path)
        run = {'started': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'), 'changes': []}
        doc = record.load()
        doc['runs'].append(run)
        for plan, result in planned:
            path = plan['write_path']
            made = []
            try:
                backup = _files.replace_file(path, plan['after'], plan['sha256'], backup=params['backup'], created=made)
            except FileChangedError as exc:
                result['status'] = 'changed_on_disk'
                result['msg'] = str(exc)
                problems.append(result['path'])
                continue
            except (IOError, OSError) as exc:
                result['status'] = 'error'
                result['msg'] = 'could not write: %s' % exc
                problems.append(result['path'])
                continue
            result['backup_file'] = backup
            if backup:
                backups.append({'path': path, 'backup': backup})
            run['changes'].append(_files.change_item(path, plan.get('link'), backup, plan['before'], plan['after'], plan['stat'],
                                                     made[0] if made else None))
            try:
                record.save(doc)
            except (IOError, OSError) as exc:
                module.fail_json(msg='the change of %s was made but recording it in %s failed: %s; restore it from %s'
                                 % (path, record.path, exc, backup or 'its old content'), changed=True, files=files,
                                 backup_files=backups, created_files=[], state_file=record.path)
    changed = any(f['status'] == 'changed' for f in files)
    return changed, files, diffs, backups, problems


def _rollback_from_backups(module):
    files, diffs, problems = [], [], []
    for item in module.params['backup_files']:
        path, backup = item['path'], item['backup']
        result = {'path': path, 'format': None, 'client': None, 'user': None, 'status': 'unchanged', 'changes': [], 'backup_file': backup, 'msg': None}
        saved = read_file(backup, max_bytes=module.params['max_file_bytes'])
        if saved.data is None:
            result['status'] = 'missing' if saved.status == 'missing' else 'unreadable'
            result['msg'] = 'backup %s: %s' % (backup, saved.error)
            problems.append(path)
            files.append(result)
            continue
        current = read_file(path, max_bytes=module.params['max_file_bytes'])
        if current.data != saved.data:
            result['status'] = 'restored'
            result['changes'] = ['restored from %s' % backup]
            if module._diff:
                fmt = _mail_clients.detect_format(path, saved.data)
                diffs.append({'before_header': path, 'after_header': backup,
                              'before': _mail_clients.redacted_text(fmt, current.data) if current.data is not None else '',
                              'after': _mail_clients.redacted_text(fmt, saved.data)})
            if not module.check_mode:
                try:
                    restore_backup(path, backup)
                except (IOError, OSError) as exc:
                    result['status'] = 'error'
                    result['msg'] = str(exc)
                    problems.append(path)
        files.append(result)
    return files, diffs, problems


def _rollback_from_record(module):
    record = _files.StateRecord(module.params['state_dir'])
    try:
        doc, run = record.last_run()
    except _files.RecordError as exc:
        module.fail_json(msg=str(exc), changed=False, files=[], backup_files=[], created_files=[], state_file=record.path)
    files, diffs, problems = [], [], []
    if run is None:
        return files, diffs, problems
    for item in reversed(run['changes']):
        path = item.get('path')
        shown = item.get('link') or path
        result = {'path': shown, 'format': None, 'client': None, 'user': None, 'status': 'unchanged', 'changes': [],
                  'backup_file': item.get('backup'), 'msg': None}
        if path != shown:
            result['written'] = path
        try:
            original = _files.item_bytes(item)
        except _files.RecordError as exc:
            module.fail_json(msg='%s: %s; nothing was restored' % (record.path, exc), changed=False, files=[], backup_files=[],
                             created_files=[], state_file=record.path)
        current = _files.read_client_file(path, max(module.params['max_file_bytes'], len(original) * 2 + 1024))
        if current.data is not None and current.link_stat is None and current.data == original:
            if not module.check_mode:
                _files.remove_backup(item)
            files.append(result)
            continue
        if current.status not in ('read', 'missing') or current.link_stat is not None or \
                (current.data is not None and sha256_bytes(current.data) != item.get('after_sha256')):
            result['status'] = 'changed_on_disk'
            result['msg'] = '%s changed after the recorded run (%s); not overwritten' % (path, current.error or 'other content')
            problems.append(shown)
            files.append(result)
            continue
        result['status'] = 'restored'
        result['changes'] = ['restored from the record in %s' % record.path]
        if module._diff:
            fmt = _mail_clients.detect_format(shown, original)
            diffs.append({'before_header': shown, 'after_header': shown,
                          'before': _mail_clients.redacted_text(fmt, current.data) if current.data is not None else '',
                          'after': _mail_clients.redacted_text(fmt, original)})
        if not module.check_mode:
            try:
                _files.restore_bytes(path, original, item['mode'], item['uid'], item['gid'])
            except (IOError, OSError, KeyError) as exc:
                result['status'] = 'error'
                result['msg'] = 'could not restore: %s' % exc
                problems.append(shown)
            else:
                # what the change created goes again: its backup and the .mailtls-backup directory it made
                _files.remove_backup(item)
        files.append(result)
    if not module.check_mode and not problems and any(f['status'] == 'restored' for f in files):
        run['rolled_back'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        try:
            record.save(doc)
        except (IOError, OSError) as exc:
            module.warn('the files were restored, but marking the run as rolled back in %s failed: %s' % (record.path, exc))
    return files, diffs, problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            min_protocol=dict(type='str', choices=['TLSv1.2', 'TLSv1.3'], default='TLSv1.2'),
            clients=dict(type='list', elements='str', choices=list(_mail_clients.CLIENT_NAMES)),
            users=dict(type='list', elements='str'),
            paths=dict(type='list', elements='path'),
            include_system=dict(type='bool', default=True),
            move_legacy_endpoints=dict(type='bool', default=False),
            backup=dict(type='bool', default=True),
            state=dict(type='str', choices=['present', 'rollback'], default='present'),
            state_dir=dict(type='path', default='/var/lib/mailtls-remediation'),
            backup_files=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                backup=dict(type='path', required=True),
            )),
            max_file_bytes=dict(type='int', default=1048576),
        ),
        supports_check_mode=True,
    )
    state_file = os.path.join(module.params['state_dir'], _files.RECORD_NAME)
    if module.params['state'] == 'rollback':
        if module.params['backup_files']:
            files, diffs, problems = _rollback_from_backups(module)
        else:
            files, diffs, problems = _rollback_from_record(module)
        changed = any(f['status'] == 'restored' for f in files)
        backups = []
    else:
        changed, files, diffs, backups, problems = _present(module)
    result = dict(changed=changed, files=files, backup_files=backups, created_files=[], state_file=state_file)
    if module._diff:
        result['diff'] = diffs
    if problems:
        module.fail_json(msg='%d file(s) could not be changed: %s' % (len(problems), ', '.join(problems)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
