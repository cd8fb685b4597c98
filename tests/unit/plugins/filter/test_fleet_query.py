# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailtls.remediation.plugins.filter.fleet_query import FilterModule, fleet_documents, fleet_query
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture


def _doc(name, os_family, legacy):
    doc = posture.new_document(os_family, name)
    stack = posture.new_stack('openssl', 'openssl', 'OpenSSL')
    for proto in posture.PROTOCOLS:
        state = 'allowed' if proto in ('tls1_2', 'tls1_3') or (legacy and proto == 'tls1_0') else 'refused'
        posture.set_protocol(stack, proto, state, 'test')
    doc['stacks'].append(stack)
    return posture.evaluate(doc)


@pytest.fixture()
def hostvars():
    return {
        'a': {'mailtls_posture': _doc('a', 'linux', True), 'tls_inventory_status': {'status': 'reported'}},
        'b': {'mailtls_posture': _doc('b', 'windows', True)},
        'c': {'mailtls_posture': _doc('c', 'linux', False)},
        'd': {'ansible_host': '10.0.0.4'},
    }


def test_registered():
    assert FilterModule().filters()['fleet_query'] is fleet_query


def test_hostvars_input(hostvars):
    assert fleet_query(hostvars, "[?verdict.status=='at_risk'].host.name") == ['a', 'b']
    assert fleet_query(hostvars, "[?host.os_family=='windows' && stacks[?protocols.tls1_0.state=='allowed']].host.name") == ['b']
    assert fleet_query(hostvars, 'length(@)') == 3
    assert fleet_query(hostvars, "[?run.status=='reported'].host.name") == ['a']


def test_documents_are_named_by_inventory_name(hostvars):
    hostvars['a']['mailtls_posture']['host']['name'] = 'a.example.internal'
    docs = fleet_documents(hostvars)
    assert docs[0]['host']['name'] == 'a' and docs[0]['host']['reported_name'] == 'a.example.internal'


def test_hosts_restricts_and_orders(hostvars):
    assert fleet_query(hostvars, '[].host.name', hosts=['c', 'a', 'zz']) == ['c', 'a']


def test_report_and_list_inputs(hostvars):
    report = {'report': {}, 'hosts': fleet_documents(hostvars)}
    assert fleet_query(report, "[?verdict.status=='compliant'].host.name") == ['c']
    assert fleet_query(report, '[].host.name', hosts=['b']) == ['b']
    summary = [{'host': 'x', 'port': 993, 'tls12_ok': True}, {'host': 'y', 'port': 587, 'tls12_ok': False}]
    assert fleet_query(summary, "[?tls12_ok].join(':', [host, to_string(port)])") == ['x:993']


def test_errors(hostvars):
    with pytest.raises(AnsibleFilterError, match='invalid JMESPath'):
        fleet_query(hostvars, '[?')
    with pytest.raises(AnsibleFilterError, match='non-empty'):
        fleet_query(hostvars, '  ')
    with pytest.raises(AnsibleFilterError, match='expected hostvars'):
        fleet_query(42, '@')
