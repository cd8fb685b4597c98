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
  - Writes C(posture.json), C(hosts.csv), C(junit.xml), C(summary.md) and a self-contained C(index.html) on the controller, and
    C(change-plan.json) when any host's C(tls_remediation_result) holds a C(plan) (or, after a real run, C(applied)).
    O(formats) can add C(report.pdf), printed from the HTML page by headless Chromium.
  - The report is built by streaming, one host at a time, so memory stays flat with the number of hosts.
  - Each run is kept in its own directory C(runs/<run id>) under O(dest) (the run id is the UTC time, for example C(20261202T180212Z));
    C(latest) links to the newest, whose files are also at the top of O(dest); C(history.json) lists the kept runs.
    The report compares itself with the previous kept run (hosts newly failing, regressed, fixed, improved, unchanged, new)
    and charts the trend over the kept runs. O(keep_runs) sets how many runs are kept.
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
    description:
      - Report files to write.
      - V(pdf) prints C(index.html) to C(report.pdf) with headless Chromium (it needs V(html) too).
    type: list
    elements: str
    choices: [csv, html, json, junit, markdown, pdf]
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
      - Views are evaluated one host at a time on a list holding that host only; results are combined across hosts. Lists are
        concatenated (filters and projections select from the whole fleet), numbers are added (V(length([?...])) counts hosts).
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
  keep_runs:
    description:
      - Number of runs kept under C(<dest>/runs/); the oldest are removed after this run is written.
      - V(0) keeps no history and writes the files straight into O(dest), as a single report.
    type: int
    default: 10
  pretty_json:
    description: Indent C(posture.json) and C(change-plan.json). Off by default (smaller and several times faster to write).
    type: bool
    default: false
  pdf_timeout:
    description: Seconds Chromium may take to print C(report.pdf).
    type: int
    default: 300
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.action
requirements:
  - Controller - the Python package C(jmespath), only when O(views) are given.
  - Controller - Chromium (Debian package C(chromium)), only for the C(pdf) format.
  - Controller - the Python package C(orjson) is optional; with it the JSON files are written faster.
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
    keep_runs: 30
    views:
      - name: windows-at-risk
        query: "[?host.os_family=='windows' && verdict.status=='at_risk'].host.name"
  delegate_to: localhost
  run_once: true

- name: A single report with a PDF for the change board, no history
  mailtls.remediation.fleet_report:
    dest: /srv/change-board/CHG0042
    hosts: "{{ groups['mail_servers'] }}"
    formats: [json, markdown, html, pdf]
    keep_runs: 0
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
dest:
  description: Absolute report directory (the newest run's files are at its top).
  returned: always
  type: str
  sample: /srv/ops/mailtls-report
dir:
  description: Directory holding this run's files (C(dest/runs/<run id>), or O(dest) itself when O(keep_runs=0)).
  returned: when the report was written
  type: str
  sample: /srv/ops/mailtls-report/runs/20261202T180212Z
run_id:
  description: Id of this run (UTC time of the report, with C(-2), C(-3)... for runs in the same second).
  returned: when the report was written and O(keep_runs) > 0
  type: str
  sample: 20261202T180212Z
latest:
  description: The C(latest) link, pointing at this run's directory.
  returned: when the report was written and O(keep_runs) > 0
  type: str
  sample: /srv/ops/mailtls-report/latest
history:
  description: Number of runs kept, this one included.
  returned: when the report was written and O(keep_runs) > 0
  type: int
  sample: 10
removed_runs:
  description: Run ids removed by the retention.
  returned: when the report was written and O(keep_runs) > 0
  type: list
  elements: str
  sample: [20261101T020000Z]
comparison:
  description: Hosts per change class since the previous kept run, the hosts no longer in scope and the previous run id.
  returned: when a previous kept run exists
  type: dict
  sample: {newly_failing: 2, regressed: 1, fixed: 30, improved: 4, unchanged: 210, new: 3, no_data: 2, removed: 1, previous: 20261201T020000Z}
change_plan:
  description: Path of C(change-plan.json) in this run's directory.
  returned: when at least one host has a change plan
  type: str
  sample: /srv/ops/mailtls-report/runs/20261202T180212Z/change-plan.json
remediation:
  description:
    - Hosts per remediation status (from C(tls_remediation_result.status)), hosts whose plan has a blocking guard, hosts with a plan.
  returned: always
  type: dict
  sample: {changed: 12, would_change: 0, unchanged: 200, rolled_back: 1, failed: 0, blocked_by_guards: 2, with_plan: 213}
summary:
  description: The few lines the role prints at the end (hosts per outcome, remediation, comparison, where the files are).
  returned: always
  type: list
  elements: str
  sample:
    - "250 host(s): will fail 3, at risk 40, unreachable 2, unknown 5, compliant 200"
    - "since 20261201T020000Z: 2 newly failing, 1 regressed, 30 fixed, 4 improved, 210 unchanged, 3 new"
    - "report: /srv/ops/mailtls-report/index.html"
    - "this run: /srv/ops/mailtls-report/runs/20261202T180212Z (kept runs: 10)"
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
