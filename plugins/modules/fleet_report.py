# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_report
short_description: Write the mail TLS fleet report on the controller
version_added: 0.1.0
description:
  - Builds one report for every host in O(hosts) from the variables the collection's roles leave on each host
    (C(mailtls_posture), C(tls_inventory_status), C(tls_remediation_result), C(exo_migration_scan)), from this run or from the fact cache.
  - Writes C(posture.json), C(hosts.csv), C(junit.xml), C(summary.md) and a self-contained C(index.html) into O(dest) on the controller.
  - Every host in O(hosts) is in the report exactly once. A host without a posture is listed as C(unreachable), C(failed) or C(not_reported)
    with a schema-valid placeholder posture that says why; no host is silently dropped.
  - This is an action plugin; nothing is executed on the managed hosts. Run it once for the whole scope, for example through the
    C(mailtls.remediation.fleet_report) role.
options:
  dest:
    description:
      - Directory to write the report into. It is created when missing.
      - A relative path is relative to the current working directory of the controller process (where C(ansible-playbook) was started),
        not to the playbook directory.
    type: path
    required: true
  hosts:
    description:
      - Host names in scope. Use the hosts targeted by the gathering play (C(ansible_play_hosts_all)), not only those that are still active.
    type: list
    elements: str
    required: true
  formats:
    description: Report files to write.
    type: list
    elements: str
    choices: [csv, html, json, junit, markdown]
    default: [json, csv, junit, markdown, html]
  title:
    description: Title of the report.
    type: str
    default: Mail TLS posture
  fail_on:
    description:
      - Fail the task, after the report is written, when any host has one of these outcomes or run states.
      - For example V([will_fail, unreachable]) makes a pipeline gate on hosts that will fail or could not be inventoried.
    type: list
    elements: str
    choices: [at_risk, cached, compliant, failed, not_reported, reported, unknown, unreachable, will_fail]
    default: []
  views:
    description:
      - Named views, each a JMESPath expression over the list of host posture documents (the C(hosts) list of C(posture.json)).
      - Each view is written to C(views/<name>.json), counted in C(summary.md) and offered as a filter in C(index.html) when it selects hosts
        (a list of host names or of posture documents).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the view.
        type: str
        required: true
      query:
        description: JMESPath expression.
        type: str
        required: true
      description:
        description: What the view shows.
        type: str
        default: ''
  run:
    description: Extra facts about the run shown in the report header (for example C(pattern) or C(batches)).
    type: dict
    default: {}
  max_evidence:
    description: Evidence items shown per finding in C(index.html) (C(posture.json) keeps all of them).
    type: int
    default: 5
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.action
requirements:
  - Controller - the Python package C(jmespath), only when O(views) are given.
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written and the files that would be written are returned.
  diff_mode:
    description: No diff is produced.
    support: none
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
notes:
  - The report is correct under C(serial) when it is written after all batches (a final play on C(localhost)) or rewritten after every batch;
    hosts not reached yet are listed as C(not_reported). See C(docs/fleet-report.md).
author:
  - mailtls.remediation contributors (@mailtls)
'''

EXAMPLES = r'''
- name: Write the report for the hosts of the previous play
  mailtls.remediation.fleet_report:
    dest: mailtls-report
    hosts: "{{ hostvars['localhost']['fleet_report_run_scope'] }}"
    fail_on: [will_fail]
    views:
      - name: windows-at-risk
        query: "[?host.os_family=='windows' && verdict.status=='at_risk'].host.name"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
dest:
  description: Absolute directory the report was (or would be) written to.
  returned: always
  type: str
  sample: /srv/ops/mailtls-report
files:
  description: Files written (or, in check mode, that would be written).
  returned: always
  type: list
  elements: str
  sample: [/srv/ops/mailtls-report/index.html, /srv/ops/mailtls-report/posture.json]
hosts:
  description: Number of hosts in the report.
  returned: always
  type: int
  sample: 250
totals:
  description: Hosts per outcome.
  returned: always
  type: dict
  sample: {will_fail: 3, at_risk: 40, failed: 1, unreachable: 2, not_reported: 0, unknown: 4, compliant: 200}
run_states:
  description: Hosts per run state.
  returned: always
  type: dict
  sample: {reported: 247, cached: 0, unreachable: 2, failed: 1, not_reported: 0}
gated_hosts:
  description: Hosts that matched O(fail_on) (at most 1000).
  returned: when the task failed because of O(fail_on)
  type: list
  elements: str
  sample: [mx01, web17]
'''
