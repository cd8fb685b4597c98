# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of tls_facts: the same task name on Linux and Windows.

The tls_inventory role also asks it (internal option ``_record_status``) to record
the outcome of the gathering as the cacheable fact ``tls_inventory_status``, in the
same round trip, so the role needs no second task per host:

* ``record``: a host that answered gets ``status: reported``; a host that could not be
  reached, or where gathering failed, gets ``unreachable`` / ``failed`` with the
  message, and the task reports a warning instead of an error, so the host is listed
  in the fleet report (and cached for a report-only run) rather than dropped;
* ``fail``: as ``record`` for reachable hosts, but a failure stays a failure (the
  role's rescue records it and fails the host).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.mailtls.remediation.plugins.plugin_utils._dispatch import PlatformDispatchAction

STATUS_FACT = 'tls_inventory_status'
RECORD_MODES = ('record', 'fail')


def _status(state, msg=''):
    return {'status': state, 'msg': msg, 'at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}


class ActionModule(PlatformDispatchAction):
    module_name = 'mailtls.remediation.tls_facts'
    windows_handler = 'run_tls_facts'

    def run(self, tmp=None, task_vars=None):
        record = self._task.args.pop('_record_status', None)
        if record is None:
            return super(ActionModule, self).run(tmp, task_vars)
        if record not in RECORD_MODES:
            return {'failed': True, 'msg': '_record_status must be one of %s, not %r' % (', '.join(RECORD_MODES), record)}
        try:
            result = super(ActionModule, self).run(tmp, task_vars)
        except AnsibleConnectionFailure as exc:
            msg = to_text(exc)
            return {'changed': False, 'msg': msg, 'ansible_facts': {STATUS_FACT: _status('unreachable', msg)},
                    'warnings': ['host unreachable, recorded as %s.status=unreachable: %s' % (STATUS_FACT, msg)]}
        if result.get('unreachable'):
            msg = to_text(result.get('msg', ''))
            return {'changed': False, 'msg': msg, 'ansible_facts': {STATUS_FACT: _status('unreachable', msg)},
                    'warnings': ['host unreachable, recorded as %s.status=unreachable: %s' % (STATUS_FACT, msg)]}
        if result.get('failed'):
            if record == 'fail':
                return result
            msg = to_text(result.get('msg') or 'tls_facts failed')
            # 'rc' would make Ansible count the task as failed again; keep it under another name.
            out = dict((k, v) for k, v in result.items() if k not in ('failed', 'exception', 'ansible_facts', 'rc'))
            if 'rc' in result:
                out['module_rc'] = result['rc']
            out.update({'changed': False, 'msg': msg, 'ansible_facts': {STATUS_FACT: _status('failed', msg)}})
            out['warnings'] = list(result.get('warnings') or []) + [
                'gathering failed, recorded as %s.status=failed: %s' % (STATUS_FACT, msg)]
            return out
        result.setdefault('ansible_facts', {})[STATUS_FACT] = _status('reported')
        return result
