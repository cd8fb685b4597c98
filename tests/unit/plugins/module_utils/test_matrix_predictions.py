"""The posture's predictions against the behaviour matrix of the real programs.

``tests/data/client_matrix.json`` holds, per cell (client, setting, system
policy, server), what the real program did, and, per client/setting/policy,
the client records that the posture code made of that cell's own files under
that policy.  ``_predict.predict_session(record, server)`` must say for every
cell what the program really did: connected or failed, and over which
protocol.  No network and no program runs here; the live test
``tests/integration/live/test_client_matrix.py`` keeps the file honest.
"""
import json
import os
import re

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DATA = os.path.join(TESTS, 'data', 'client_matrix.json')

SETTINGS = ('legacy', 'none', 'tls12')
POLICIES = ('before', 'after')
SERVERS = ('modern', 'legacy_ecdhe', 'legacy_rsa')


@pytest.fixture(scope='module')
def matrix():
    with open(DATA) as handle:
        return json.load(handle)


def test_the_matrix_is_complete(matrix):
    driven = sorted(matrix['clients'])
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
    assert [item['client'] for item in matrix['not_driven']] == ['thunderbird']


def test_every_driven_client_says_its_library_and_version(matrix):
    for name, facts in matrix['clients'].items():
        assert facts['version'], name
        assert facts['tls_library'], name
        assert facts['settings']['legacy'] and facts['settings']['tls12'], name


def test_the_file_holds_no_path_of_the_recording_machine():
    with open(DATA) as handle:
        text = handle.read()
    assert not re.search(r'"/(?:work|root|home|tmp)/', text)


def _records(matrix, cell):
    return matrix['postures']['%s.%s.%s' % (cell['client'], cell['setting'], cell['policy'])]


def _real(cell):
    return {'result': cell['result'], 'protocol': cell['protocol']}


def test_prediction_equals_the_recorded_behaviour_for_every_cell(matrix):
    # the prediction API lands with the per-client descriptors (issue 9 part 1)
    _predict = pytest.importorskip('ansible_collections.mailtls.remediation.plugins.module_utils._clients._predict')
    mismatches = []
    for cell in matrix['cells']:
        server = dict((k, matrix['servers'][cell['server']][k]) for k in ('protocols', 'kx'))
        records = _records(matrix, cell)
        if not records:
            mismatches.append((cell['client'], cell['setting'], cell['policy'], cell['server'], _real(cell), 'no posture record'))
            continue
        for record in records:
            got = _predict.predict_session(record, server)
            predicted = {'result': got['result'], 'protocol': got.get('protocol') if got['result'] == 'connected' else None}
            if predicted != _real(cell):
                mismatches.append((cell['client'], cell['setting'], cell['policy'], cell['server'], _real(cell), predicted))
    assert not mismatches, '%d of %d cells differ:\n%s' % (
        len(mismatches), len(matrix['cells']), '\n'.join('%s %s %s %s real=%s predicted=%s' % m for m in mismatches))
