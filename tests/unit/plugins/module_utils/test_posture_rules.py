# -*- coding: utf-8 -*-
"""The verdict rules of the posture document, and the document against its schema."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import jsonschema
import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as posture

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'schemas', 'posture-v1.schema.json')


@pytest.fixture(scope='module')
def validator():
    with open(SCHEMA_PATH) as handle:
        return jsonschema.Draft202012Validator(json.load(handle))


def _stack(states, stack_id='openssl'):
    stack = posture.new_stack(stack_id, 'openssl', 'OpenSSL', version='3.0.19')
    for proto, state in states.items():
        posture.set_protocol(stack, proto, state, 'test', [posture.evidence('default', note='test')])
    return stack


def _doc(*stacks):
    doc = posture.new_document('linux', 'host1')
    doc['stacks'].extend(stacks)
    return doc


MODERN_ONLY = {'ssl3': 'refused', 'tls1_0': 'refused', 'tls1_1': 'refused', 'tls1_2': 'allowed', 'tls1_3': 'allowed'}


def test_modern_only_is_compliant(validator):
    doc = posture.evaluate(_doc(_stack(MODERN_ONLY)))
    assert doc['verdict']['status'] == 'compliant'
    assert doc['findings'] == []
    validator.validate(doc)


def test_legacy_allowed_is_at_risk_with_evidence(validator):
    states = dict(MODERN_ONLY, tls1_0='allowed')
    doc = posture.evaluate(_doc(_stack(states)))
    assert doc['verdict']['status'] == 'at_risk'
    assert doc['verdict']['reasons'] == ['legacy_protocol_allowed']
    finding = doc['findings'][0]
    assert finding['subject'] == 'stack:openssl'
    assert 'TLS 1.0' in finding['title'] and 'TLS 1.1' not in finding['title']
    assert finding['evidence'], 'the finding must carry the evidence of the decision'
    validator.validate(doc)


def test_no_tls12_will_fail_and_outranks_legacy(validator):
    states = {'ssl3': 'refused', 'tls1_0': 'allowed', 'tls1_1': 'refused', 'tls1_2': 'refused', 'tls1_3': 'refused'}
    doc = posture.evaluate(_doc(_stack(states), _stack(MODERN_ONLY, 'gnutls')))
    assert doc['verdict']['status'] == 'will_fail'
    assert doc['verdict']['reasons'] == ['tls12_unavailable']
    assert {f['id'] for f in doc['findings']} == {'tls12_unavailable', 'legacy_protocol_allowed'}
    validator.validate(doc)


def test_undetermined_stack_gives_unknown_not_compliant():
    doc = posture.evaluate(_doc(posture.new_stack('java:x', 'java', 'Java')))
    assert doc['verdict']['status'] == 'unknown'


def test_absent_stack_is_ignored_and_empty_host_is_unknown():
    stack = _stack(dict(MODERN_ONLY, tls1_0='allowed'))
    stack['present'] = False
    doc = posture.evaluate(_doc(stack))
    assert doc['verdict']['status'] == 'unknown'
    assert [f['id'] for f in doc['findings']] == ['no_stack_found']


def test_evaluate_is_idempotent_and_keeps_gather_findings():
    doc = _doc(_stack(dict(MODERN_ONLY, tls1_1='allowed')))
    posture.add_finding(doc, posture.make_finding('gather_error', 'gather:java', what='java'))
    posture.evaluate(doc)
    first = json.dumps(doc, sort_keys=True)
    posture.evaluate(doc)
    assert json.dumps(doc, sort_keys=True) == first
    assert sorted(f['id'] for f in doc['findings']) == ['gather_error', 'legacy_protocol_allowed']
    assert doc['verdict']['status'] == 'at_risk'


def test_client_pinned_below_tls12_will_fail(validator):
    doc = _doc(_stack(MODERN_ONLY))
    client = {'id': 'fetchmail:alice:1', 'client': 'fetchmail', 'user': 'alice', 'path': '/home/alice/.fetchmailrc', 'line': 3,
              'library': 'openssl', 'servers': [], 'settings': {},
              'protocols': dict((p, posture.decision('refused', 'pinned')) for p in posture.PROTOCOLS)}
    client['protocols']['tls1_0'] = posture.decision('allowed', 'sslproto tls1')
    doc['clients'].append(client)
    posture.evaluate(doc)
    assert doc['verdict']['status'] == 'will_fail'
    assert doc['verdict']['reasons'] == ['client_pinned_below_tls12']
    validator.validate(doc)


@pytest.mark.parametrize('spelling, expected', [
    ('TLSv1.2', 'tls1_2'), ('tlsv1', 'tls1_0'), ('TLS1.1', 'tls1_1'), ('SSLv3', 'ssl3'), ('tls1_3', 'tls1_3'),
    ('TLS1.2x', None), ('', None), (None, None),
])
def test_protocol_spellings(spelling, expected):
    assert posture.protocol_id(spelling) == expected


def test_register_findings_refuses_conflicting_redefinition():
    posture.register_findings({'test.same': {'severity': 'low', 'effect': 'none', 'title': 't', 'remediation': 'r'}})
    posture.register_findings({'test.same': {'severity': 'low', 'effect': 'none', 'title': 't', 'remediation': 'r'}})
    with pytest.raises(ValueError):
        posture.register_findings({'test.same': {'severity': 'high', 'effect': 'none', 'title': 't', 'remediation': 'r'}})
