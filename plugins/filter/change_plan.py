# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: change_plan
short_description: The change plan (or what was applied) of one host, from the results of the remediation modules
version_added: 0.2.0
description:
  - Turns the registered results of M(mailtls.remediation.system_tls) and M(mailtls.remediation.mail_client_tls)
    (check mode for the plan, the real run for what was applied) into one document per host, the shape a change
    board reads and the C(tls_remediation) role stores under C(tls_remediation_result.plan) and C(.applied).
  - C(changes) lists every file (Linux) or registry value (Windows) with its unified diff (secrets already masked
    by the modules), and the ids of the posture findings it fixes; C(guards) the checks that stop (C(blocking))
    or would have stopped the change; C(restarts) and C(reboot) what the change needs; C(verify) the handshakes
    that will prove it.
  - The finding ids come from the posture document (C(mailtls_posture)) gathered before the change, whose
    findings carry the targets of the same planner (system stacks) or name the client file they are about.
positional: clients_result, posture, endpoints
requirements:
  - Controller - nothing beyond ansible-core.
options:
  _input:
    description: The registered result of C(system_tls) (an empty mapping when it did not run).
    type: raw
    required: true
  clients_result:
    description: The registered result of C(mail_client_tls) (an empty mapping when it did not run).
    type: raw
  posture:
    description: The posture document gathered before the change.
    type: raw
  endpoints:
    description: The endpoints the verify step probes (mappings with C(host) and C(port)).
    type: list
    elements: raw
author:
  - mailtls.remediation contributors
'''

EXAMPLES = r'''
- name: Plan of this host
  ansible.builtin.set_fact:
    host_plan: "{{ system_result | mailtls.remediation.change_plan(clients_result, mailtls_posture, tls_remediation_probe_endpoints) }}"
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    changes:
      description: C(module), C(kind) (V(file) or V(registry)), C(target), C(action) (V(create), V(modify), V(remove)),
        C(finding_ids) and C(diff) per change.
      type: list
      elements: dict
    guards:
      description: C(id), C(blocking) and C(msg) per guard.
      type: list
      elements: dict
    restarts:
      description: C(service) and C(why) per restart the change needs.
      type: list
      elements: dict
    reboot:
      description: Whether the change needs a reboot.
      type: bool
    verify:
      description: C(what), C(how) and C(endpoints) per verify step; a client step has C(probe), the
        M(mailtls.remediation.tls_probe) O(mailtls.remediation.tls_probe#module:clients) entry that verifies it.
      type: list
      elements: dict
'''

import difflib

from ansible.module_utils.common.text.converters import to_text


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _endpoint_names(endpoints):
    return ['%s:%s' % (e.get('host'), e.get('port')) for e in endpoints or [] if isinstance(e, dict)]


def _findings(posture):
    return [f for f in _mapping(posture).get('findings') or [] if isinstance(f, dict) and f.get('effect') != 'none']


def _system_finding_ids(posture, change):
    ids = set()
    for finding in _findings(posture):
        plan = _mapping(finding.get('plan'))
        if change['target'] in (plan.get('targets') or []):
            ids.add(finding['id'])
        elif change['kind'] == 'registry':
            for evidence in finding.get('evidence') or []:
                if isinstance(evidence, dict) and evidence.get('path') and change['target'].startswith(evidence['path']) \
                        and (not evidence.get('key') or change['target'].endswith('\\' + evidence['key'])):
                    ids.add(finding['id'])
    return sorted(ids | set(change.get('finding_ids') or []))


def _client_finding_ids(posture, path):
    ids = set()
    by_id = dict((c.get('id'), c) for c in _mapping(posture).get('clients') or [] if isinstance(c, dict))
    for finding in _findings(posture):
        subject = finding.get('subject') or ''
        if subject.startswith('client:') and _mapping(by_id.get(subject[len('client:'):])).get('path') == path:
            ids.add(finding['id'])
        elif any(isinstance(e, dict) and e.get('path') == path for e in finding.get('evidence') or []) and subject.startswith('client'):
            ids.add(finding['id'])
    return sorted(ids)


def _unified(path, before, after, old_label=None):
    return ''.join(difflib.unified_diff(to_text(before or '').splitlines(True), to_text(after or '').splitlines(True),
                                        old_label or path, path))


def _registry_value(value):
    value = _mapping(value)
    if not value.get('exists', True) or value.get('value') is None:
        return None
    return '%s (%s)' % (value.get('value'), value.get('type') or 'value')


def _windows_changes(result):
    changes = []
    for change in result.get('changes') or []:
        target = '%s\\%s\\%s' % (change.get('hive') or 'HKLM', change.get('path'), change.get('name'))
        before, after = _registry_value(change.get('before')), _registry_value(change.get('after'))
        action = 'create' if before is None else ('remove' if after is None else 'modify')
        diff = ''.join(['--- %s\n+++ %s\n' % (target, target)] + (['-%s = %s\n' % (change.get('name'), before)] if before is not None else [])
                       + (['+%s = %s\n' % (change.get('name'), after)] if after is not None else []))
        changes.append({'module': 'system_tls', 'kind': 'registry', 'target': target, 'action': action, 'finding_ids': [],
                        'diff': diff, 'part': change.get('part')})
    return changes


def _system(result, posture, endpoints, plan):
    result = _mapping(result)
    if not result or result.get('skipped'):
        return
    own = _mapping(result.get('plan'))
    if own:  # Linux: the module's own plan
        changes = [dict(c) for c in own.get('changes') or []]
        plan['guards'].extend(dict(g) for g in own.get('guards') or [])
        plan['restarts'].extend(own.get('restarts') or [])
    else:  # Windows: registry changes and lockout guards from the action plugin
        changes = _windows_changes(result)
        for guard in result.get('guards') or []:
            guard = _mapping(guard)
            if guard.get('status') in ('fired', 'overridden'):
                plan['guards'].append({'id': guard.get('id'), 'blocking': guard.get('status') == 'fired', 'msg': guard.get('message')})
        if changes:
            plan['restarts'].append({'service': 'programs using SChannel, .NET, WinHTTP or WinINet',
                                     'why': 'the protocol settings are read when a process starts'})
    if result.get('failed') and not any(g.get('blocking') for g in plan['guards']):
        plan['guards'].append({'id': result.get('guard') or 'system_tls_failed', 'blocking': True, 'msg': result.get('msg')})
    for change in changes:
        change.pop('stack', None)
        change.pop('part', None)
        change['finding_ids'] = _system_finding_ids(posture, change)
        plan['changes'].append(change)
    reboot = result.get('reboot_required')
    plan['reboot'] = plan['reboot'] or (any(bool(v) for v in reboot.values()) if isinstance(reboot, dict) else bool(reboot))
    if changes:
        plan['verify'].append({'what': 'system TLS stacks', 'how': 'mailtls.remediation.tls_probe through every TLS stack of the host '
                               '(TLS 1.2 must still work where it worked before)', 'endpoints': _endpoint_names(endpoints)})


def _clients(result, posture, endpoints, plan):
    result = _mapping(result)
    if not result or result.get('skipped'):
        return
    own = _mapping(result.get('plan'))
    diffs = dict((d.get('before_header'), d) for d in result.get('diff') or [] if isinstance(d, dict))
    changed = [f for f in result.get('files') or [] if isinstance(f, dict) and f.get('status') == 'changed']
    if own.get('changes'):
        changes = [dict(c) for c in own['changes']]
    else:
        changes = []
        for item in changed:
            diff = diffs.get(item['path'], {})
            changes.append({'module': 'mail_client_tls', 'kind': 'file', 'target': item['path'], 'action': 'modify',
                            'diff': _unified(item['path'], diff.get('before'), diff.get('after')) if diff else '',
                            'client': item.get('client')})
    for guard in own.get('guards') or []:
        plan['guards'].append(dict(guard))
    if result.get('failed'):
        plan['guards'].append({'id': 'mail_client_tls_failed', 'blocking': True, 'msg': result.get('msg')})
    for change in changes:
        change['finding_ids'] = sorted(set(change.get('finding_ids') or []) | set(_client_finding_ids(posture, change['target'])))
        client = change.pop('client', None)
        plan['changes'].append(change)
        plan['verify'].append({'what': 'mail client %s (%s)' % (client or 'configuration', change['target']),
                               'how': "mailtls.remediation.tls_probe clients: the client's library with the bounds of its own file "
                                      "must negotiate TLS 1.2 or newer", 'endpoints': _endpoint_names(endpoints),
                               'probe': {'name': client or change['target'], 'path': change['target']}})
    if changes:
        plan['restarts'].append({'service': 'running mail client daemons (for example fetchmail -d)',
                                 'why': 'they read their configuration file when they start'})


def change_plan(system_result, clients_result=None, posture=None, endpoints=None):
    plan = {'changes': [], 'guards': [], 'restarts': [], 'reboot': False, 'verify': []}
    _system(system_result, posture, endpoints, plan)
    _clients(clients_result, posture, endpoints, plan)
    return plan


class FilterModule(object):
    def filters(self):
        return {'change_plan': change_plan}
