# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one tls_facts call costs: processes it starts, and repetition in the posture it returns."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import stat
import subprocess
import sys

import jsonschema
import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls as L
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture as P
from harness.collection_root import COLLECTIONS_ROOT

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'schemas', 'posture-v1.schema.json')


def test_python_defaults_of_this_interpreter_match_a_child_of_it():
    here, error = L.python_tls_defaults(sys.executable)
    assert error is None
    proc = subprocess.run([sys.executable, '-c', L._PY_PROBE], stdout=subprocess.PIPE, check=True)
    assert here == json.loads(proc.stdout)


@pytest.mark.parametrize('policy', ['MinProtocol = TLSv1\nCipherString = DEFAULT@SECLEVEL=0', 'MinProtocol = TLSv1.3\nMaxProtocol = TLSv1.3',
                                    'MaxProtocol = TLSv1.1'])
def test_python_defaults_in_process_match_create_default_context_under_any_policy(tmp_path, policy):
    conf = tmp_path / 'openssl.cnf'
    conf.write_text('openssl_conf = d\n[d]\nssl_conf = s\n[s]\nsystem_default = sd\n[sd]\n%s\n' % policy)
    env = dict(os.environ, OPENSSL_CONF=str(conf))
    here = ('import json, sys; sys.path.insert(0, %r); '
            'from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls as L; '
            'print(json.dumps(L.python_tls_defaults(sys.executable)[0]))' % COLLECTIONS_ROOT)
    results = [json.loads(subprocess.run([sys.executable, '-c', code], env=env, stdout=subprocess.PIPE, check=True).stdout)
               for code in (here, L._PY_PROBE)]
    assert results[0] == results[1]
    assert results[0]['min'] != 'MINIMUM_SUPPORTED' or results[0]['max'] != 'MAXIMUM_SUPPORTED', 'the policy was not read'


def test_python_defaults_of_this_interpreter_start_no_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('a process was started: %r' % (args,))
    monkeypatch.setattr(L, 'run_command', refuse)
    monkeypatch.setattr(subprocess, 'run', refuse)
    data, error = L.python_tls_defaults(sys.executable)
    assert error is None and data['openssl'].startswith(('OpenSSL', 'LibreSSL'))


def test_another_interpreter_is_asked_in_a_child(tmp_path):
    fake = tmp_path / 'python3'
    fake.write_text('#!/bin/sh\necho \'{"min": "TLSv1_2", "max": "MAXIMUM_SUPPORTED", "openssl": "OpenSSL 1.1.1w", "tls13": true}\'\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    data, error = L.python_tls_defaults(str(fake))
    assert error is None and data['min'] == 'TLSv1_2' and data['openssl'] == 'OpenSSL 1.1.1w'
    missing, why = L.python_tls_defaults(str(tmp_path / 'nothing'))
    assert missing is None and why


def _java_home(tmp_path, value):
    home = tmp_path / 'jdk-17'
    (home / 'conf' / 'security').mkdir(parents=True)
    (home / 'release').write_text('JAVA_VERSION="17.0.15"\n')
    (home / 'conf' / 'security' / 'java.security').write_text('# comment\nsecurity.provider.1=SUN\njdk.tls.disabledAlgorithms=%s\n' % value)
    return str(home)


def test_java_cites_the_entry_that_refuses_and_keeps_the_list_once(tmp_path, monkeypatch):
    listed = 'SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL'
    home = _java_home(tmp_path, listed)
    monkeypatch.setattr(L, '_java_homes', lambda: [home])
    doc = P.new_document('linux', 'h')
    (stack,) = L.gather_java(doc)
    assert stack['details']['disabled_algorithms'] == listed
    protocols = stack['protocols']
    assert [protocols[p]['state'] for p in P.PROTOCOLS] == ['refused', 'refused', 'refused', 'allowed', 'allowed']
    assert [e['value'] for e in protocols['tls1_0']['evidence']] == ['TLSv1']
    assert [e['value'] for e in protocols['tls1_1']['evidence']] == ['TLSv1.1']
    for proto in P.PROTOCOLS:
        (item,) = protocols[proto]['evidence']
        assert item['path'].endswith('java.security') and item['line'] == 3 and item['key'] == 'jdk.tls.disabledAlgorithms'
    assert json.dumps(stack).count(listed) == 1


def test_python_stack_points_at_the_openssl_evidence_instead_of_copying_it():
    doc = P.new_document('linux', 'h')
    L.gather_all(doc, {'gather': ['openssl', 'python']})
    openssl = next(s for s in doc['stacks'] if s['id'] == 'openssl')
    python = next(s for s in doc['stacks'] if s['id'] == 'python')
    if not python['present']:
        pytest.skip('no Python interpreter to inventory: %s' % python['details'].get('error'))
    for proto in P.PROTOCOLS:
        decision = python['protocols'][proto]
        if decision['reason'].startswith('Python sets its own minimum'):
            continue
        assert decision['state'] == openssl['protocols'][proto]['state']
        pointer = [e for e in decision['evidence'] if e['source'] == 'policy']
        assert pointer == [{'source': 'policy', 'key': 'stacks[id=openssl].protocols.%s' % proto, 'value': decision['state']}]
        copied = [e for e in openssl['protocols'][proto]['evidence'] if e in decision['evidence']]
        assert copied == []
    P.evaluate(doc)
    with open(SCHEMA_PATH) as handle:
        jsonschema.Draft202012Validator(json.load(handle)).validate(doc)


def _counting_binary(tmp_path, answer):
    counter = tmp_path / 'runs'
    binary = tmp_path / 'tool'
    binary.write_text('#!/bin/sh\necho run >> "%s"\necho "%s"\n' % (counter, answer))
    binary.chmod(0o755)
    return str(binary), counter


def test_a_build_answer_is_asked_once_per_binary(tmp_path):
    binary, counter = _counting_binary(tmp_path, 'tool 1.0')
    first = L.run_command([binary, 'version', '-a'], memo=True)
    again = L.run_command([binary, 'version', '-a'], memo=True)
    assert first == again and first[1] == 'tool 1.0\n'
    assert counter.read_text().count('run') == 1
    # Asked another way, or without memo, the program runs.
    L.run_command([binary, 'version'], memo=True)
    L.run_command([binary, 'version', '-a'])
    assert counter.read_text().count('run') == 3


def test_a_replaced_binary_is_asked_again(tmp_path):
    binary, counter = _counting_binary(tmp_path, 'tool 1.0')
    assert L.run_command([binary, '--version'], memo=True)[1] == 'tool 1.0\n'
    os.unlink(binary)
    # An upgrade in place: the same path, maybe the same inode, another size.
    binary, counter = _counting_binary(tmp_path, 'tool 2.0.1')
    assert L.run_command([binary, '--version'], memo=True)[1] == 'tool 2.0.1\n'
