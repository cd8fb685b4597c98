"""The behaviour matrix file itself, and the posture's predictions for the MTA cells.

``tests/data/client_matrix.json`` holds what the real programs did per cell
(client, setting, system policy, server).  The mail clients' cells are
compared with the posture in ``test_client_matrix_predictions.py``; here the
Postfix cells are: the same main.cf and master.cf the live relay used
(``tests/harness/postfix.py`` renders them) go through the Postfix descriptor
and the shared decision with the stacks read from the recorded policy files,
and ``_predict.predict_session`` must say what the relay really did.
No network and no program runs here; the live test
``tests/integration/live/test_client_matrix.py`` keeps the file honest.
"""
import re

import pytest

from harness import matrix as harness_matrix
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import exim as ex
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import postfix as pf

SETTINGS = ('legacy', 'none', 'tls12')
POLICIES = ('before', 'after')
SERVERS = ('modern', 'legacy_ecdhe', 'legacy_rsa')


@pytest.fixture(scope='module')
def matrix():
    return harness_matrix.load()


def test_the_matrix_is_complete(matrix):
    driven = sorted(matrix['clients'])
    assert {'fetchmail', 'mutt', 'neomutt', 'mbsync', 'msmtp', 'offlineimap', 'getmail', 'imapfilter', 'curl',
            'python_imaplib', 'postfix', 'exim'} <= set(driven)
    cells = set((c['client'], c['setting'], c['policy'], c['server']) for c in matrix['cells'])
    expected = set((client, s, p, v) for client in driven for s in SETTINGS for p in POLICIES for v in SERVERS)
    assert cells == expected
    assert len(matrix['cells']) == len(expected)
    for cell in matrix['cells']:
        assert cell['result'] in ('connected', 'failed'), cell
        assert (cell['protocol'] is None) == (cell['result'] == 'failed'), cell
        assert cell['observed'], cell
    for name in SERVERS:
        assert matrix['servers'][name]['protocols'] and matrix['servers'][name]['kx'] in ('rsa', 'ecdhe')
        # every listener was proven with openssl s_client to accept exactly its kind of handshake
        assert all(len(kinds) == 1 for kinds in matrix['servers'][name]['s_client'].values()), matrix['servers'][name]
    assert [item['client'] for item in matrix['not_driven']] == ['thunderbird']


def test_every_driven_client_says_its_library_and_version(matrix):
    for name, facts in matrix['clients'].items():
        assert facts['version'], name
        assert facts['tls_library'], name
        assert facts['settings']['legacy'] and facts['settings']['tls12'], name


def test_the_file_holds_no_path_of_the_recording_machine():
    with open(harness_matrix.DATA_FILE) as handle:
        text = handle.read()
    assert not re.search(r'"/(?:work|root|home|tmp)/', text)


def _postfix_record(document, setting):
    """The posture record of the Postfix transport a cell used, from the files the live relay ran with."""
    from harness import postfix as harness_postfix  # pylint: disable=import-outside-toplevel
    transports = dict((harness_postfix.transport_name(s), harness_matrix.CLIENTS['postfix']['settings'][s]) for s in SETTINGS)
    main = harness_postfix.main_cf_text('/srv/relay', '/srv/relay/ca.pem', '/srv/relay/openssl.cnf')
    master = harness_postfix.master_cf_text(transports)
    unused, entries = pf.instance_entries(main, master, {'postfix_version': (3, 7, 11)})
    wanted = 'smtp' if not transports[harness_postfix.transport_name(setting)] else 'master.cf %s' % harness_postfix.transport_name(setting)
    [entry] = [e for e in entries if e['name'] == wanted]
    info = {'library': 'openssl', 'library_source': 'test'}
    return mc.build_client(document, 'postfix', None, '/srv/relay/etc/main.cf', entry, info)


def test_postfix_predictions_equal_the_recorded_relay(matrix):
    stacks = dict((policy, harness_matrix.policy_stacks(matrix, policy)) for policy in POLICIES)
    cells = [c for c in matrix['cells'] if c['client'] == 'postfix']
    assert len(cells) == 18
    mismatches = harness_matrix.prediction_mismatches(
        matrix, cells, lambda cell: _postfix_record(stacks[cell['policy']], cell['setting']))
    assert not mismatches, '\n'.join(mismatches)


def test_postfix_pinned_relay_is_a_finding_whatever_the_system_policy(matrix):
    """After system_tls a TLSv1-pinned relay still allows TLS 1.0 (own bounds), with RSA and ECDHE alike."""
    record = _postfix_record(harness_matrix.policy_stacks(matrix, 'after'), 'legacy')
    assert record['bounds'] == 'own'
    assert record['protocols']['tls1_0']['state'] == 'allowed'
    assert not record.get('conditions', {}).get('tls1_0')
    assert record['protocols']['tls1_2']['state'] == 'refused'


def _exim_record(document, setting):
    """The posture record of the Exim transport a cell used, from the configuration the live relay ran with."""
    from harness import exim as harness_exim  # pylint: disable=import-outside-toplevel
    pin = harness_matrix.CLIENTS['exim']['settings'][setting]
    text = harness_exim.relay_config('/srv/exim', '/srv/exim/ca.pem', {'cell.test': 2525}, 'user', 'pw',
                                     pin.partition('=')[2].strip() or None)
    parsed = ex.parse_exim(text, {'exim_library': 'gnutls'})
    [entry] = parsed.entries
    return mc.build_client(document, 'exim', None, '/srv/exim/exim.conf', entry, {'library': 'gnutls', 'library_source': 'test'})


def test_exim_predictions_equal_the_recorded_relay(matrix):
    stacks = dict((policy, harness_matrix.policy_stacks(matrix, policy)) for policy in POLICIES)
    cells = [c for c in matrix['cells'] if c['client'] == 'exim']
    assert len(cells) == 18
    mismatches = harness_matrix.prediction_mismatches(
        matrix, cells, lambda cell: _exim_record(stacks[cell['policy']], cell['setting']))
    assert not mismatches, '\n'.join(mismatches)
