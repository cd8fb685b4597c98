# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_query
short_description: Query the fleet's mail TLS posture documents with JMESPath
version_added: 0.1.0
description:
  - Runs a JMESPath expression over the posture documents of many hosts, so a playbook can slice the fleet
    (for example every Windows host whose SChannel still allows TLS 1.0) or name a report view.
  - The input may be C(hostvars) (or any mapping of host name to host variables). Every host that has a
    C(mailtls_posture) fact becomes one document, with its C(tls_inventory_status) under C(run) when present,
    and C(host.name) set to the inventory name (the name the host reported is kept in C(host.reported_name)).
  - The input may also be the content of a report's C(posture.json) (its C(hosts) list is queried),
    or a list (of posture documents, or of anything else, such as the per-endpoint summary of C(tls_probe)), queried as is.
positional: expression
requirements:
  - Controller - the Python package C(jmespath).
options:
  _input:
    description: C(hostvars), a mapping of host name to variables, a C(posture.json) document, or a list.
    type: raw
    required: true
  expression:
    description: JMESPath expression, evaluated over the list of documents.
    type: str
    required: true
  hosts:
    description: Only these host names, when the input is a mapping of hosts (for example O(hosts=ansible_play_hosts_all)).
    type: list
    elements: str
author:
  - mailtls.remediation contributors
'''

EXAMPLES = r'''
- name: Names of the hosts whose mail clients will fail against Exchange Online
  ansible.builtin.debug:
    msg: "{{ hostvars | mailtls.remediation.fleet_query(\"[?verdict.status=='will_fail'].host.name\", hosts=ansible_play_hosts_all) }}"

- name: Windows hosts where any TLS stack still allows TLS 1.0
  ansible.builtin.set_fact:
    legacy_windows: >-
      {{ hostvars | mailtls.remediation.fleet_query(
           "[?host.os_family=='windows' && stacks[?protocols.tls1_0.state=='allowed']].host.name") }}

- name: Count hosts per verdict from a saved report
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', 'mailtls-report/posture.json') | from_json
             | mailtls.remediation.fleet_query('length([?verdict.status==`at_risk`])') }}"
'''

RETURN = r'''
_value:
  description: Whatever the expression selects (a list, a number, a mapping...); null when nothing matches a field expression.
  type: raw
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report.model import POSTURE_VAR, STATUS_VAR, plain

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:
    HAS_JMESPATH = False


def _is_host_mapping(data):
    """A mapping of host name -> host variables (hostvars or a dict built like it)."""
    if not isinstance(data, Mapping) or 'hosts' in data and isinstance(data.get('hosts'), list):
        return False
    return True


def fleet_documents(data, hosts=None):
    """The list of documents an expression runs over (see DOCUMENTATION)."""
    if isinstance(data, Mapping) and isinstance(data.get('hosts'), list):
        docs = plain(data['hosts'])
        if hosts is not None:
            wanted = set(hosts)
            docs = [d for d in docs if isinstance(d, Mapping) and (d.get('host') or {}).get('name') in wanted]
        return docs
    if _is_host_mapping(data):
        names = list(hosts) if hosts is not None else list(data.keys())
        docs = []
        for name in names:
            if name not in data:
                continue
            host_vars = data[name]
            if not isinstance(host_vars, Mapping) or POSTURE_VAR not in host_vars:
                continue
            doc = plain(host_vars[POSTURE_VAR])
            if not isinstance(doc, dict):
                continue
            host = doc.setdefault('host', {})
            if host.get('name') and host['name'] != name:
                host['reported_name'] = host['name']
            host['name'] = str(name)
            status = host_vars.get(STATUS_VAR) if STATUS_VAR in host_vars else None
            if isinstance(status, Mapping) and 'run' not in doc:
                doc['run'] = plain(status)
            docs.append(doc)
        return docs
    if isinstance(data, (list, tuple)):
        return plain(data)
    raise AnsibleFilterError('fleet_query: expected hostvars, a posture.json document or a list, got %s' % type(data).__name__)


def fleet_query(data, expression, hosts=None):
    if not HAS_JMESPATH:
        raise AnsibleFilterError('fleet_query requires the jmespath Python package on the controller')
    if not isinstance(expression, str) or not expression.strip():
        raise AnsibleFilterError('fleet_query: the expression must be a non-empty string')
    docs = fleet_documents(data, hosts)
    try:
        return jmespath.search(expression, docs)
    except jmespath.exceptions.JMESPathError as exc:
        raise AnsibleFilterError('fleet_query: invalid JMESPath expression %r: %s' % (expression, to_native(exc))) from exc


class FilterModule(object):
    def filters(self):
        return {'fleet_query': fleet_query}
