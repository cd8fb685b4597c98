# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report reads each host's variables from Ansible's real hostvars: the posture raw, the rest templated."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager
from unittest.mock import MagicMock

from ansible_collections.mailtls.remediation.plugins.action import fleet_report as action_mod
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model


def _posture():
    """A posture built with the real rules: nested stacks, evidence, findings, a verdict."""
    doc = P.new_document('linux', 'web1')
    stack = P.new_stack('openssl', 'openssl', 'OpenSSL 3.0.15', version='3.0.15')
    ev = [P.evidence('file', path='/etc/ssl/openssl.cnf', line=52, key='MinProtocol', value='TLSv1')]
    for proto in ('tls1_0', 'tls1_1', 'tls1_2', 'tls1_3'):
        P.set_protocol(stack, proto, 'allowed', 'minimum protocol {{ not a template }}', ev)
    doc['stacks'].append(stack)
    P.evaluate(doc)
    assert doc['findings'] and doc['verdict']
    return json.loads(json.dumps(doc))


def _hostvars(tmp_path, posture):
    inventory_file = tmp_path / 'hosts.ini'
    inventory_file.write_text('[fleet]\nweb1 ansible_connection="{{ \'lo\' ~ \'cal\' }}"\nweb2\n')
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(inventory_file)])
    variables = VariableManager(loader=loader, inventory=inventory)
    for name in ('web1', 'web2'):
        variables.set_host_facts(name, {model.POSTURE_VAR: posture,
                                        model.STATUS_VAR: {'status': 'reported', 'msg': '', 'at': '2026-12-03T00:00:00Z'}})
    return HostVars(inventory=inventory, variable_manager=variables, loader=loader), loader


def test_the_raw_posture_is_what_the_template_engine_gives_and_inventory_templates_still_render(tmp_path):
    posture = _posture()
    hostvars, loader = _hostvars(tmp_path, posture)
    action = action_mod.ActionModule(MagicMock(), MagicMock(), MagicMock(), loader, None, None)
    got = action._host_vars(hostvars, 'web1')
    # the slow way the report used to read it, through the template engine
    assert got[model.POSTURE_VAR] == model.plain(hostvars['web1'][model.POSTURE_VAR]) == posture
    assert got[model.STATUS_VAR]['status'] == 'reported'
    assert got['ansible_connection'] == 'local'
    assert action._host_vars(hostvars, 'absent') == {}


def test_a_plain_mapping_of_hosts_still_works(tmp_path):
    posture = _posture()
    action = action_mod.ActionModule(MagicMock(), MagicMock(), MagicMock(), DataLoader(), None, None)
    got = action._host_vars({'web1': {model.POSTURE_VAR: posture, 'other': 1}}, 'web1')
    assert got == {model.POSTURE_VAR: posture}
