# -*- coding: utf-8 -*-
"""change_plan: one plan shape from the Linux and Windows module results, with the posture's finding ids."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.mailtls.remediation.plugins.filter.change_plan import change_plan
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_system_tls as L
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P
from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W

DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'windows')
HEAD = 'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sd\n[sd]\nCipherString = DEFAULT\n'
ENDPOINTS = [{'host': '127.0.0.1', 'port': 10993}]


def _linux_result(tmp_path):
    conf = tmp_path / 'openssl.cnf'
    conf.write_text(HEAD)
    edits = L.plan_openssl(str(conf), 'TLSv1.2', 'enforce_minimum')
    return str(conf), {'changed': True, 'plan': {'changes': L.plan_changes(edits), 'guards': [], 'restarts': [{'service': 'x', 'why': 'y'}],
                                                 'reboot': False, 'verify': []},
                       'reboot_required': {'openssl': False, 'gnutls': False}}


def test_linux_changes_carry_the_posture_finding_that_names_their_target(tmp_path):
    conf, result = _linux_result(tmp_path)
    posture = {'findings': [
        {'id': 'legacy_protocol_allowed', 'subject': 'stack:openssl', 'effect': 'at_risk', 'plan': {'targets': [conf]}},
        {'id': 'unrelated', 'subject': 'stack:java', 'effect': 'at_risk', 'plan': {'targets': ['/elsewhere']}},
        {'id': 'fine', 'subject': 'stack:openssl', 'effect': 'none', 'plan': {'targets': [conf]}},
    ]}
    clients = {'changed': True, 'files': [{'path': '/home/u/.fetchmailrc', 'client': 'fetchmail', 'status': 'changed'},
                                          {'path': '/home/u/.muttrc', 'client': 'mutt', 'status': 'unchanged'}],
               'diff': [{'before_header': '/home/u/.fetchmailrc', 'before': 'sslproto tls1\npassword "********"\n',
                         'after': 'sslproto tls1.2+\npassword "********"\n'}]}
    posture['clients'] = [{'id': 'c1', 'client': 'fetchmail', 'path': '/home/u/.fetchmailrc'}]
    posture['findings'].append({'id': 'client_pinned_below_tls12', 'subject': 'client:c1', 'effect': 'will_fail'})
    plan = change_plan(result, clients, posture, ENDPOINTS)
    system, client = plan['changes']
    assert (system['target'], system['finding_ids'], system['kind']) == (conf, ['legacy_protocol_allowed'], 'file')
    assert 'stack' not in system and '+MinProtocol = TLSv1.2' in system['diff']
    assert (client['module'], client['target'], client['finding_ids']) == ('mail_client_tls', '/home/u/.fetchmailrc', ['client_pinned_below_tls12'])
    assert client['diff'].splitlines()[2:5] == ['@@ -1,2 +1,2 @@', '-sslproto tls1', '+sslproto tls1.2+']
    assert [v['endpoints'] for v in plan['verify']] == [['127.0.0.1:10993']] * 2
    assert plan['verify'][1]['probe'] == {'name': 'fetchmail', 'path': '/home/u/.fetchmailrc'}
    json.dumps(plan)


def test_a_failed_module_becomes_a_blocking_guard_and_nothing_is_planned_twice(tmp_path):
    refused = {'failed': True, 'msg': 'refusing to change anything: the state directory /x cannot be written',
               'plan': {'changes': [], 'guards': [{'id': 'state_dir_unwritable', 'blocking': True, 'msg': 'refusing...'}],
                        'restarts': [], 'reboot': False, 'verify': []}}
    plan = change_plan(refused, {'failed': True, 'msg': 'record cannot be written', 'files': []})
    assert [(g['id'], g['blocking']) for g in plan['guards']] == [('state_dir_unwritable', True), ('mail_client_tls_failed', True)]
    assert plan['changes'] == [] and plan['verify'] == []
    assert change_plan({}, {}) == {'changes': [], 'guards': [], 'restarts': [], 'reboot': False, 'verify': []}
    assert change_plan({'skipped': True}, {'skipped': True})['changes'] == []


def test_windows_registry_plan_from_a_recorded_read():
    with open(os.path.join(DATA, '2012r2_default.json')) as handle:
        raw = json.load(handle)
    planned = W.plan_system_tls(raw, {})
    doc = W.posture_from_raw(raw, 'win')
    result = {'changed': True, 'changes': [dict((k, c[k]) for k in ('hive', 'path', 'name', 'part', 'before', 'after'))
                                           for c in planned['changes']],
              'guards': planned['guards'], 'reboot_required': planned['reboot_required'], 'backup_file': None}
    plan = change_plan(result, {}, doc, ENDPOINTS)
    assert plan['changes'] and all(c['kind'] == 'registry' and c['target'].startswith('HKLM\\') for c in plan['changes'])
    assert set(c['action'] for c in plan['changes']) <= {'create', 'modify', 'remove'}
    assert plan['reboot'] is True, 'SCHANNEL changes need a reboot'
    tls10 = [c for c in plan['changes'] if 'TLS 1.0\\Client' in c['target'] and c['target'].endswith('\\Enabled')]
    assert tls10 and tls10[0]['diff'].splitlines()[-1] == '+Enabled = 0 (DWord)'
    fixed = set(i for c in plan['changes'] for i in c['finding_ids'])
    assert fixed and fixed <= set(f['id'] for f in doc['findings']), 'finding ids come from the posture of the same read'
    assert not [g for g in plan['guards'] if g['blocking']]
    assert P.verdict(doc['findings'])['status'] != 'compliant'
