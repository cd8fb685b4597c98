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
  - A file is replaced atomically, only when it still has the content that was read; a backup is kept when O(backup=true).
  - Files that cannot be read or understood are reported and left untouched.
  - Passwords found in the files never appear in the result or in the diff; they are replaced by a mask.
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
    choices: [fetchmail, mutt, neomutt, mbsync, offlineimap, getmail, msmtp, imapfilter, curl, thunderbird]
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
      - Keep a copy of each file before it is changed, next to it, with the same owner and mode.
    type: bool
    default: true
  state:
    description:
      - V(present) makes the change; V(rollback) puts the files listed in O(backup_files) back byte for byte.
    type: str
    choices: [present, rollback]
    default: present
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
attributes:
  check_mode:
    support: full
    description: Predicts exactly which files change and how; nothing is written.
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
        thunderbird_prefs, thunderbird_user, thunderbird_policies) or null.
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
        changed_on_disk (the file changed between read and write and was not overwritten) or error.
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
      sample: /home/alice/.fetchmailrc.20260101T120000.mailtls-backup
    msg:
      description: Why a file was left alone.
      type: str
      sample: not a configuration file of a supported mail client; left untouched
    warning:
      description: A caveat, for example a Thunderbird profile that seems in use.
      type: str
      sample: Thunderbird may be running with this profile; it rewrites prefs.js on exit, so close it first
  sample:
    - path: /home/alice/.fetchmailrc
      format: fetchmail
      client: fetchmail
      user: alice
      status: changed
      changes: ["line 12: sslproto 'tls1' -> tls1.2+"]
      backup_file: /home/alice/.fetchmailrc.20260101T120000.mailtls-backup
backup_files:
  description: Changed files and their backups, in the shape O(backup_files) takes for O(state=rollback).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /home/alice/.fetchmailrc
      backup: /home/alice/.fetchmailrc.20260101T120000.mailtls-backup
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import (
    FileChangedError, atomic_replace, read_file, restore_backup)

PROTOCOL_IDS = {'TLSv1.2': 'tls1_2', 'TLSv1.3': 'tls1_3'}


def _targets(params):
    if params['paths']:
        targets = _mail_clients.targets_for_paths(params['paths'])
        if params['clients']:
            wanted = set(params['clients'])
            targets = [t for t in targets if t['format'] is None or _mail_clients.client_of(t['format']) in wanted]
        return targets
    return _mail_clients.discover(users=params['users'], clients=params['clients'], include_system=params['include_system'])


def _present(module):
    params = module.params
    options = {'min_protocol': PROTOCOL_IDS[params['min_protocol']], 'move_legacy_endpoints': params['move_legacy_endpoints']}
    context = _mail_clients.remediation_context()
    files = []
    diffs = []
    backups = []
    problems = []
    for target in _targets(params):
        if target['format'] == 'thunderbird_profiles':
            continue
        plan = _mail_clients.plan_file(target['path'], target['format'], options, context, max_file_bytes=params['max_file_bytes'])
        result = {
            'path': target['path'], 'format': plan['format'], 'client': _mail_clients.client_of(plan['format']) if plan['format'] else None,
            'user': target.get('user'), 'status': plan['status'], 'changes': plan['changes'], 'backup_file': None, 'msg': plan.get('msg'),
        }
        if plan.get('warning'):
            result['warning'] = plan['warning']
            module.warn('%s: %s' % (target['path'], plan['warning']))
        if plan['status'] == 'changed':
            if module._diff:
                diffs.append({'before_header': target['path'], 'after_header': target['path'],
                              'before': plan['before_redacted'], 'after': plan['after_redacted']})
            if not module.check_mode:
                try:
                    backup = atomic_replace(target['path'], plan['after'], plan['sha256'], backup=params['backup'])
                except FileChangedError as exc:
                    result['status'] = 'changed_on_disk'
                    result['msg'] = str(exc)
                    problems.append(target['path'])
                except (IOError, OSError) as exc:
                    result['status'] = 'error'
                    result['msg'] = 'could not write: %s' % exc
                    problems.append(target['path'])
                else:
                    result['backup_file'] = backup
                    if backup:
                        backups.append({'path': target['path'], 'backup': backup})
        files.append(result)
    changed = any(f['status'] == 'changed' for f in files)
    return changed, files, diffs, backups, problems


def _rollback(module):
    files = []
    diffs = []
    problems = []
    for item in module.params['backup_files'] or []:
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
    changed = any(f['status'] == 'restored' for f in files)
    return changed, files, diffs, [], problems


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
            backup_files=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                backup=dict(type='path', required=True),
            )),
            max_file_bytes=dict(type='int', default=1048576),
        ),
        required_if=[('state', 'rollback', ('backup_files',))],
        supports_check_mode=True,
    )
    if module.params['state'] == 'rollback':
        changed, files, diffs, backups, problems = _rollback(module)
    else:
        changed, files, diffs, backups, problems = _present(module)
    result = dict(changed=changed, files=files, backup_files=backups)
    if module._diff:
        result['diff'] = diffs
    if problems:
        module.fail_json(msg='%d file(s) could not be changed: %s' % (len(problems), ', '.join(problems)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
