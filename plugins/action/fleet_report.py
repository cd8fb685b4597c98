# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: write the fleet report on the controller from the hostvars of the scope.

Nothing runs on a managed host: the plugin reads the variables the roles left on
every host in ``hosts`` (from this run or the fact cache) and writes the report
files into ``dest`` on the controller.  Documentation: plugins/modules/fleet_report.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model, writer

ARGUMENT_SPEC = dict(
    dest=dict(type='path', required=True),
    hosts=dict(type='list', elements='str', required=True),
    formats=dict(type='list', elements='str', default=list(writer.DEFAULT_FORMATS), choices=sorted(writer.FORMATS)),
    title=dict(type='str', default='Mail TLS posture'),
    fail_on=dict(type='list', elements='str', default=[], choices=sorted(set(model.OUTCOMES) | set(model.RUN_STATES))),
    views=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        query=dict(type='str', required=True),
        description=dict(type='str', default=''),
    )),
    run=dict(type='dict', default={}),
    max_evidence=dict(type='int', default=5),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _host_vars(self, hostvars, name):
        """Only the variables the report needs, as plain data (never the whole hostvars)."""
        if name not in hostvars:
            return {}
        source = hostvars[name]
        out = {}
        for key in model.HOST_VARS:
            try:
                if key in source:
                    out[key] = model.plain(source[key])
            except Exception as exc:  # a broken variable on one host must not lose the others
                out.setdefault('tls_inventory_status', {'status': 'failed', 'msg': 'variable %s could not be read: %s' % (key, to_text(exc))})
        return out

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        dest = args['dest']
        if not os.path.isabs(dest):
            # relative to where ansible-playbook (or ansible-runner) was started, not the playbook directory
            dest = os.path.join(os.getcwd(), dest)
        dest = os.path.normpath(dest)

        hostvars = task_vars.get('hostvars') or {}
        per_host = dict((str(name), self._host_vars(hostvars, str(name))) for name in args['hosts'])
        run = {
            'started_at': task_vars.get('fleet_report_run_started'),
            'play': task_vars.get('ansible_play_name'),
            'limit': task_vars.get('ansible_limit'),
            'check_mode': bool(task_vars.get('ansible_check_mode')),
            'ansible_version': (task_vars.get('ansible_version') or {}).get('full'),
        }
        run.update(args['run'])
        run = dict((k, v) for k, v in run.items() if v not in (None, ''))
        try:
            fleet = model.build_fleet(args['hosts'], per_host, run=run, views=args['views'], title=args['title'])
        except ValueError as exc:
            raise AnsibleActionFail(to_text(exc)) from exc

        totals = fleet['report']['totals']
        result.update(
            dest=dest,
            hosts=totals['hosts'],
            totals=dict(totals['by_outcome']),
            run_states=dict(totals['by_run']),
            changed=False,
        )
        if self._task.check_mode:
            result['msg'] = 'check mode: the report would be written to %s' % dest
            result['changed'] = True
            result['files'] = [os.path.join(dest, writer.FORMATS[f][0]) for f in args['formats']]
        else:
            try:
                os.makedirs(dest, exist_ok=True)
                written = writer.write_report(dest, fleet, args['formats'], max_evidence=args['max_evidence'])
            except (OSError, ValueError) as exc:
                raise AnsibleActionFail('could not write the fleet report to %s: %s' % (dest, to_text(exc))) from exc
            result['files'] = sorted(written.values())
            result['changed'] = True
            result['msg'] = 'fleet report for %d host(s) written to %s' % (totals['hosts'], dest)

        gate = model.fail_matches(fleet, args['fail_on'])
        if gate:
            result['failed'] = True
            result['gated_hosts'] = gate[:1000]
            result['msg'] = '%s; %d host(s) match fail_on (%s): %s%s' % (
                result['msg'], len(gate), ', '.join(args['fail_on']), ', '.join(gate[:20]), ' ...' if len(gate) > 20 else '')
        return result
