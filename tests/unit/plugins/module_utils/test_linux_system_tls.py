# -*- coding: utf-8 -*-
"""Pure decisions of system_tls on Linux: crypto policy targets and library version gates."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_system_tls as policy


@pytest.mark.parametrize('current, mode, minimum, expected', [
    ('LEGACY', 'enforce_minimum', 'TLSv1.2', 'DEFAULT'),
    ('LEGACY:AD-SUPPORT', 'enforce_minimum', 'TLSv1.2', 'DEFAULT:AD-SUPPORT'),
    ('DEFAULT', 'enforce_minimum', 'TLSv1.2', None),
    ('DEFAULT:SHA1', 'enforce_minimum', 'TLSv1.2', None),
    ('FUTURE', 'enforce_minimum', 'TLSv1.3', None),
    ('DEFAULT', 'enforce_minimum', 'TLSv1.3', 'FUTURE'),
    ('LEGACY', 'ensure_tls12', 'TLSv1.2', None),
    ('', 'enforce_minimum', 'TLSv1.2', None),
    ('legacy', 'enforce_minimum', 'TLSv1.2', 'DEFAULT'),
])
def test_crypto_policy_target_keeps_subpolicies(current, mode, minimum, expected):
    assert policy.plan_crypto_policy(current, mode, minimum) == expected


def test_openssl_098_cannot_do_tls12_at_all():
    with pytest.raises(policy.PolicyError) as err:
        policy.check_version((0, 9, 8), 'ensure_tls12')
    assert 'cannot negotiate TLS 1.2' in str(err.value) and 'Upgrade' in str(err.value)


def test_openssl_102_has_no_min_protocol_but_ensure_mode_is_fine():
    with pytest.raises(policy.PolicyError) as err:
        policy.check_version((1, 0, 2), 'enforce_minimum')
    message = str(err.value)
    assert 'MinProtocol' in message and 'mail_client_tls' in message
    policy.check_version((1, 0, 2), 'ensure_tls12')
    policy.check_version((1, 1, 1), 'enforce_minimum')
    policy.check_version((3, 0, 19), 'enforce_minimum')
