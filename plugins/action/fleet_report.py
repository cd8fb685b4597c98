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

import json
import os
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.vars.hostvars import HostVarsVars

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
    keep_runs=dict(type='int', default=10),
    pretty_json=dict(type='bool', default=False),
    pdf_timeout=dict(type='int', default=300),
)
MAX_GATED = 1000


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _host_vars(self, hostvars, name):
        """Only the variables the report needs, as plain data (never the whole hostvars)."""
        if name not in hostvars:
            return {}
        raw_get = getattr(hostvars, 'raw_get', None)
        if raw_get is None:
            # a plain mapping of hosts to variables (report-only tools, tests)
            source, raw = hostvars[name], {}
        else:
            # One variable lookup per host, as hostvars[name] does, kept raw for the posture: it is a
            # fact (a module result or the fact cache, data the template engine leaves as it is) and
            # by far the largest variable, and reading it through the engine walks every node of it
            # (about 17 ms a host, most of a 20-host report).  The rest is templated as before.
            raw = raw_get(name)
            source = HostVarsVars(raw, loader=self._loader, host=name)
        out = {}
        for key in model.HOST_VARS:
            try:
                value = raw.get(key) if key == model.POSTURE_VAR else None
                if isinstance(value, Mapping):
                    out[key] = model.plain(value)
                elif key in source:
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
        if args['keep_runs'] < 0:
            raise AnsibleActionFail('keep_runs must be 0 (no history: files straight into dest) or a number of runs to keep, not %d' % args['keep_runs'])

        hostvars = task_vars.get('hostvars') or {}
        started = task_vars.get('fleet_report_run_started')
        if not started:
            # record_scope keeps it on localhost; a report task of a play over the fleet (remediate) sees it there
            try:
                started = hostvars['localhost'].get('fleet_report_run_started') if 'localhost' in hostvars else None
            except Exception:  # pylint: disable=broad-except
                started = None
        run = {
            'started_at': model.plain(started) if started else None,
            'play': task_vars.get('ansible_play_name'),
            'limit': task_vars.get('ansible_limit'),
            'check_mode': bool(task_vars.get('ansible_check_mode')),
            'ansible_version': (task_vars.get('ansible_version') or {}).get('full'),
        }
        run.update(args['run'])
        run = dict((k, v) for k, v in run.items() if v not in (None, ''))
        wanted = set(args['fail_on'])
        gated = []

        def get_vars(name):
            return self._host_vars(hostvars, name)

        if self._task.check_mode:
            # nothing is written: count the hosts with the same rules the writer uses
            acc = model.Totals()
            stamp = model.utc_now()
            for name in model.unique_names(args['hosts']):
                doc = model.host_entry(name, get_vars(name), stamp)
                acc.add(doc)
                if wanted and model.matches(doc, wanted):
                    gated.append(name)
            totals = acc.result()
            result.update(dest=dest, changed=True, files=[os.path.join(dest, writer.stream.FILES[f]) for f in args['formats']],
                          msg='check mode: the report would be written to %s' % dest, summary=[])
        else:
            try:
                written = writer.write_report(dest, args['hosts'], get_vars, args['formats'], title=args['title'], run=run,
                                              views=args['views'], max_evidence=args['max_evidence'], keep_runs=args['keep_runs'],
                                              pretty_json=args['pretty_json'], pdf_timeout=args['pdf_timeout'])
            except (OSError, ValueError) as exc:
                raise AnsibleActionFail('could not write the fleet report to %s: %s' % (dest, to_text(exc))) from exc
            report = written['report']
            totals = report['totals']
            if wanted:
                gated = [name for name, out, status in _outcomes(written) if out in wanted or status in wanted]
            result.update(dest=dest, dir=written['dir'], files=written['files'], changed=True,
                          msg='fleet report for %d host(s) written to %s' % (totals['hosts'], written['dir']),
                          summary=writer.console_summary(written, dest))
            if written.get('run_id'):
                result.update(run_id=written['run_id'], latest=os.path.join(dest, 'latest'), history=len(written['history']),
                              removed_runs=written['removed_runs'])
            if report.get('comparison'):
                result['comparison'] = dict(report['comparison']['counts'], removed=report['comparison']['removed'],
                                            previous=report['comparison']['previous'])
            if written['plan']['hosts']:
                result['change_plan'] = os.path.join(written['dir'], writer.stream.PLAN_FILE)
        result.update(
            hosts=totals['hosts'],
            totals=dict(totals['by_outcome']),
            run_states=dict(totals['by_run']),
            remediation=dict(totals['remediation']),
        )
        if gated:
            result['failed'] = True
            result['gated_hosts'] = gated[:MAX_GATED]
            result['msg'] = '%s; %d host(s) match fail_on (%s): %s%s' % (
                result['msg'], len(gated), ', '.join(args['fail_on']), ', '.join(gated[:20]), ' ...' if len(gated) > 20 else '')
        return result


def _outcomes(written):
    """(host, outcome, run status) of every host of the run just written, read back from its outcomes file."""
    with open(os.path.join(written['dir'], writer.stream.OUTCOMES_FILE), encoding='utf-8') as handle:
        data = json.load(handle)
    for name, value in data['hosts'].items():
        yield name, value[0], value[2] if len(value) > 2 else None
