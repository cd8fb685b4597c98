# -*- coding: utf-8 -*-
"""The posture's predictions equal what the real clients did, cell by cell.

``tests/data/client_matrix.json`` records what Debian's real mail clients
negotiated (``tests/harness/matrix.py`` drives them: each client with its legacy
pin, no pin and a TLS 1.2 pin, under the system OpenSSL/GnuTLS policy before and
after ``system_tls`` (copies passed through ``OPENSSL_CONF`` /
``GNUTLS_SYSTEM_PRIORITY_FILE``), against a TLS 1.2+ server and TLS 1.0-only
servers with ECDHE and with RSA key exchange).

Here the same configuration files go through the inventory of ``tls_facts``
(its mail client part) with the stacks read from the same policy files, and
``_clients/_predict.predict_session`` says what each client record will do
against each server.  Every cell must agree.
"""
import json
import os
import pwd

from harness import matrix as harness_matrix
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc

CANARY = 'Matrix-Canary-Pw-7'
# MTAs are judged by their own descriptors (postfix, exim), whose files live outside a home directory.
MTAS = ('postfix', 'exim', 'exim4')


def _records(matrix_mod, client, setting, stacks, home, toolbox):
    params = {'imaps_port': 993, 'pop3s_port': 995, 'smtp_port': 587, 'user': 'cell', 'password': CANARY, 'smtp_user': 'cell',
              'ca': '/etc/ssl/certs/ca-certificates.crt', 'home': str(home)}
    for name, text in matrix_mod.config_files(client, setting, params).items():
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.chmod(str(path), 0o600)
    document = json.loads(json.dumps(stacks))
    passwd = [pwd.struct_passwd(('cell', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False, toolbox=toolbox,
                           script_paths=[str(home)] if client == 'python_imaplib' else None)
    assert CANARY not in json.dumps(document)
    return document['clients']


def test_predictions_match_every_recorded_cell(tmp_path):
    matrix = harness_matrix.load()
    stacks = dict((policy, harness_matrix.policy_stacks(matrix, policy)) for policy in ('before', 'after'))
    toolbox = mc.Toolbox()
    cells = [c for c in matrix['cells'] if c['client'] not in MTAS]
    assert cells, 'the matrix records no mail client'
    records = {}

    def record_for(cell):
        key = (cell['client'], cell['setting'], cell['policy'])
        if key not in records:
            home = tmp_path / ('%s-%s-%s' % key) / 'home'
            home.mkdir(parents=True)
            found = _records(harness_matrix, cell['client'], cell['setting'], stacks[cell['policy']], home, toolbox)
            assert len(found) == 1, (key, [r['client'] for r in found])
            records[key] = found[0]
        return records[key]

    mismatches = harness_matrix.prediction_mismatches(matrix, cells, record_for)
    assert not mismatches, '\n'.join(mismatches)
    assert len(records) == len(set((c['client'], c['setting'], c['policy']) for c in cells))


def test_own_bounds_and_rsa_condition_are_structured(tmp_path):
    """fetchmail without a pin, after system_tls: 'TLS 1.0 whatever the system policy says, only with RSA key exchange'."""
    matrix = harness_matrix.load()
    stacks = harness_matrix.policy_stacks(matrix, 'after')
    home = tmp_path / 'home'
    home.mkdir()
    [record] = _records(harness_matrix, 'fetchmail', 'none', stacks, home, mc.Toolbox())
    assert record['bounds'] == 'own'
    assert record['protocols']['tls1_0']['state'] == 'allowed'
    assert record['conditions']['tls1_0'] == [{'kx': ['rsa']}]
    assert record['plan']['change'] and record['plan']['files'][0]['changes']
    real = [c for c in matrix['cells'] if (c['client'], c['setting'], c['policy']) == ('fetchmail', 'none', 'after')]
    assert dict((c['server'], c['protocol']) for c in real) == {'modern': 'tls1_3', 'legacy_ecdhe': None, 'legacy_rsa': 'tls1_0'}
