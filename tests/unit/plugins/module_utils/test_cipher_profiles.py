# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipher suite data: every entry names its public source and the day it was read, every
Exchange Online family covers IMAP, POP, SMTP and PowerShell hosts, and the Windows defaults
keep the build differences Microsoft documents."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import os
import re

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _cipher_profiles as C
from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W

IANA = re.compile(r'^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256|[A-Z0-9]+(_[A-Z0-9]+)*_WITH_[A-Z0-9_]+)$')
DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'windows')


@pytest.mark.parametrize('pid', sorted(C.PROFILES))
def test_profile_entry_is_sourced_dated_and_complete(pid):
    profile = C.PROFILES[pid]
    assert profile['source'].startswith('https://')
    datetime.date.fromisoformat(profile['retrieved'])
    assert profile['confidence'] in ('documented', 'same_as_worldwide')
    assert set(profile['hosts']) == {'imap', 'pop3', 'smtp', 'powershell'} and all(profile['hosts'].values())
    assert profile['tls12'] and all(IANA.match(s) for s in profile['tls12'] + tuple(profile['tls13']))


def test_every_family_is_there():
    assert set(C.PROFILES) == {'exo_worldwide', 'exo_gcc_high', 'exo_dod', 'exo_21vianet'}


def test_windows7_has_no_ecdhe_rsa_gcm_and_windows10_has():
    win7 = C.windows_defaults(6, 1, 7601)
    assert 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' not in win7['supported']
    assert 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384' in win7['tls12']
    assert 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' in C.windows_defaults(10, 0, 17763)['tls12']
    # 8.1 / 2012 R2: only with the update, so not in the default order but accepted from a policy
    w81 = C.windows_defaults(6, 3, 9600)
    assert 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' not in w81['tls12'] and 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' in w81['supported']
    assert C.windows_defaults(10, 0, 20348)['tls13'] and not C.windows_defaults(10, 0, 17763)['tls13']
    assert C.windows_defaults(6, 0, 6003)['tls12'] == ()


def test_orders_are_normalised():
    assert C.split_order('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P256,TLS_RSA_WITH_AES_128_CBC_SHA256') == [
        'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA256']
    assert C.split_order(['TLS_AES_256_GCM_SHA384', '']) == ['TLS_AES_256_GCM_SHA384']
    assert C.split_order(None) is None


def test_in_common_keeps_the_client_order():
    common = C.in_common(['TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'TLS_AES_128_GCM_SHA256',
                          'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'])
    assert common == {'tls12': ['TLS_RSA_WITH_AES_128_CBC_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'], 'tls13': ['TLS_AES_128_GCM_SHA256']}


def test_every_windows_posture_matches_the_json_schema():
    import jsonschema  # pylint: disable=import-outside-toplevel
    with open(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'schemas', 'posture-v1.schema.json')) as fh:
        schema = json.load(fh)
    validator = jsonschema.validators.validator_for(schema)(schema)
    for name in sorted(f[:-5] for f in os.listdir(DATA) if f.endswith('.json')):
        with open(os.path.join(DATA, name + '.json')) as fh:
            validator.validate(W.posture_from_raw(json.load(fh), name))
