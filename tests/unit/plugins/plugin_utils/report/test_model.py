# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

import json
import os

import jsonschema
import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model

import fleet_data

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))))
SCHEMA = json.load(open(os.path.join(REPO, 'schemas', 'posture-v1.schema.json')))
COUNTS = {'compliant': 7, 'legacy': 5, 'pinned': 3, 'undetermined': 2, 'unreachable': 2, 'failed': 1, 'silent': 1}


@pytest.fixture(scope='module')
def fleet():
    hosts, hostvars, expected = fleet_data.make_fleet(COUNTS)
    return model.build_fleet(hosts, hostvars, run={'limit': 'web*'}), hosts, expected


def test_every_host_once_and_schema_valid(fleet):
    built, hosts, _expected = fleet
    assert [d['host']['name'] for d in built['hosts']] == hosts
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for doc in built['hosts']:
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, (doc['host']['name'], [e.message for e in errors[:3]])


def test_totals_follow_the_rules(fleet):
    built, hosts, expected = fleet
    totals = built['report']['totals']
    assert totals['hosts'] == len(hosts)
    for outcome in model.OUTCOMES:
        assert totals['by_outcome'][outcome] == expected.get(outcome, 0), outcome
    assert totals['gating'] == expected['at_risk'] + expected['will_fail']
    assert sum(sum(c.values()) for c in totals['by_os'].values()) == len(hosts)
    top = dict((f['id'], f['hosts']) for f in totals['top_findings'])
    assert top['legacy_protocol_allowed'] == COUNTS['legacy']
    assert top['client_pinned_below_tls12'] == COUNTS['pinned']
    assert top['host_unreachable'] == COUNTS['unreachable']
    openssl = totals['stack_protocols']['openssl']
    linux_legacy = sum(1 for d in built['hosts'] if d['host']['os_family'] == 'linux'
                       and any(f['id'] == 'legacy_protocol_allowed' for f in d['findings']))
    assert openssl['allowed']['tls1_0'] == linux_legacy
    assert openssl['allowed']['ssl3'] == 0


def test_unreachable_and_silent_hosts_get_placeholders(fleet):
    built, _hosts, _expected = fleet
    states = dict((d['host']['name'], d) for d in built['hosts'])
    unreachable = [d for d in states.values() if d['run']['status'] == 'unreachable']
    assert len(unreachable) == COUNTS['unreachable']
    for doc in unreachable:
        assert doc['verdict']['status'] == 'unknown'
        assert doc['findings'][0]['id'] == 'host_unreachable'
        assert 'simulated unreachable' in doc['run']['message']
    silent = [d for d in states.values() if d['run']['status'] == 'not_reported']
    assert len(silent) == 1 and model.outcome(silent[0]) == 'not_reported'


def test_duplicates_and_unknown_hosts():
    doc = model.build_fleet(['a', 'a', 'b'], {'a': {'mailtls_posture': fleet_data.make_posture('machine-a', 'compliant')}})
    names = [d['host']['name'] for d in doc['hosts']]
    assert names == ['a', 'b']
    # a posture from the fact cache without a status of this run is "cached", and keyed by inventory name
    assert doc['hosts'][0]['run']['status'] == 'cached'
    assert doc['hosts'][0]['host']['reported_name'] == 'machine-a'
    assert doc['hosts'][1]['run']['status'] == 'not_reported'


def test_unreachable_keeps_last_known_posture():
    old = fleet_data.make_posture('w1', 'legacy', 'windows')
    doc = model.build_fleet(['w1'], {'w1': {'mailtls_posture': old, 'tls_inventory_status': {'status': 'unreachable', 'msg': 'timeout'}}})
    entry = doc['hosts'][0]
    assert entry['run']['status'] == 'unreachable'
    assert entry['run']['last_known'] == {'gathered_at': old['gathered_at'], 'verdict': 'at_risk'}
    assert entry['host']['os_family'] == 'windows'
    assert entry['stacks'] == []


def test_rolled_back_remediation_is_a_failure():
    hv = {'h': {'mailtls_posture': fleet_data.make_posture('h', 'compliant'), 'tls_inventory_status': {'status': 'reported'},
                'tls_remediation_result': {'status': 'rolled_back', 'reason': 'TLS 1.2 no longer works'}}}
    doc = model.build_fleet(['h'], hv)
    assert model.outcome(doc['hosts'][0]) == 'failed'
    assert model.fail_matches(doc, ['failed']) == ['h']
    assert model.fail_matches(doc, ['will_fail']) == []


def test_views_select_hosts(fleet):
    _built, hosts, _expected = fleet
    _h, hostvars, _e = fleet_data.make_fleet(COUNTS)
    views = [{'name': 'windows', 'query': "[?host.os_family=='windows'].host.name"},
             {'name': 'count', 'query': "length([?verdict.status=='at_risk'])"}]
    built = model.build_fleet(hosts, hostvars, views=views)
    win = built['report']['views'][0]
    assert win['hosts'] == [d['host']['name'] for d in built['hosts'] if d['host']['os_family'] == 'windows']
    assert built['report']['views'][1]['result'] == COUNTS['legacy']
    with pytest.raises(ValueError, match='invalid JMESPath'):
        model.build_fleet(hosts, hostvars, views=[{'name': 'bad', 'query': '[?'}])


def test_exo_scan_shapes():
    scan = {'findings': [{'path': '/s/a.ps1', 'line': 3, 'id': 'EXO-RPS', 'severity': 'error', 'message': 'legacy session'}],
            'files': [{'path': '/s/a.ps1', 'findings': 1}, {'path': '/s/b.ps1', 'findings': [{'line': 9, 'rule': 'uri', 'title': 'old uri'}]}]}
    items = model.normalise_exo(scan)
    assert [(i['path'], i['line'], i['id']) for i in items] == [('/s/a.ps1', 3, 'EXO-RPS'), ('/s/b.ps1', 9, 'uri')]
    assert model.normalise_exo(None) == []
    doc = model.build_fleet(['h'], {'h': {'mailtls_posture': fleet_data.make_posture('h', 'compliant'), 'exo_migration_scan': scan}})
    assert doc['report']['totals']['exo'] == {'findings': 2, 'hosts': 1}


def test_plain_converts_nested_types():
    class Tagged(str):
        pass
    out = model.plain({'a': (Tagged('x'), 1, 2.5, None, True, b'z')})
    assert out == {'a': ['x', 1, 2.5, None, True, 'z']}
    assert isinstance(out['a'][0], str) and not isinstance(out['a'][0], Tagged)


@pytest.mark.parametrize('status, failed', [('rolled_back', True), ('rollback_failed', True), ('failed', True),
                                            ('blocked', False), ('changed', False), ('would_change', False)])
def test_remediation_status_and_outcome(status, failed):
    hv = {'h': {'mailtls_posture': fleet_data.make_posture('h', 'legacy'), 'tls_inventory_status': {'status': 'reported'},
                'tls_remediation_result': {'status': status, 'plan': None, 'applied': None}}}
    built = model.build_fleet(['h'], hv)
    assert model.outcome(built['hosts'][0]) == ('failed' if failed else 'at_risk')
    assert built['report']['totals']['remediation'][status] == 1
    # check mode leaves applied empty: no plan, nothing counted as planned
    assert model.plan_of(built['hosts'][0]) is None
