"""The real programs still do what ``tests/data/client_matrix.json`` says they do.

Every cell of the behaviour matrix runs again (``tests/harness/matrix.py``):
Debian's fetchmail, mutt, neomutt, mbsync, msmtp, offlineimap3, getmail6,
imapfilter, curl, a Python imaplib script, a private Postfix relay and Debian's Exim
(unpacked, private configuration), each with
its legacy pin, no pin and a TLS 1.2 pin, under the stock and the system_tls
OpenSSL/GnuTLS policy copies, against the TLS 1.2+, TLS 1.0 ECDHE-only and TLS
1.0 RSA-only servers.  A cell whose outcome (connected or not, and over which
protocol) differs from the file fails the test; re-record with
``python -m tests.harness.matrix --record`` once the change is understood.
"""
import json
import os
import shutil
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import dovecot  # noqa: E402  pylint: disable=wrong-import-position
from harness import exim  # noqa: E402  pylint: disable=wrong-import-position
from harness import matrix  # noqa: E402  pylint: disable=wrong-import-position
from harness import postfix  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='module')
def recorded():
    with open(matrix.DATA_FILE) as handle:
        return json.load(handle)


def test_the_after_policy_is_what_system_tls_plans_today(tmp_path):
    """The stored 'after' copies are the real planner's output for the stored 'before' copies."""
    folder = tmp_path / 'policies'
    before_ssl, before_gnutls = matrix.policy_files('before')
    matrix.make_policies(str(folder), system_openssl=before_ssl, system_gnutls=before_gnutls)
    for policy in ('before', 'after'):
        for stored in matrix.policy_files(policy):
            fresh = folder / os.path.basename(stored)
            assert fresh.read_bytes() == open(stored, 'rb').read(), stored


def test_the_real_programs_match_the_recorded_matrix(recorded):
    for name in ('fetchmail', 'mutt', 'neomutt', 'mbsync', 'msmtp', 'offlineimap', 'getmail', 'imapfilter', 'curl'):
        assert shutil.which(name), '%s is not installed (hack/bootstrap.sh installs it)' % name
    assert dovecot.dovecot_available(), 'dovecot is not installed'
    assert postfix.available(), 'Postfix must be installed and the test must run as root (its master needs root)'
    assert exim.available(), 'Exim runs unpacked in a private mount namespace: root, unshare and apt-get are needed'
    exim.ensure()
    started = time.monotonic()
    root = tempfile.mkdtemp(prefix='mailtls-matrix-', dir=matrix._build_dir())  # pylint: disable=protected-access
    try:
        with matrix.Runner(root=root, workers=4) as runner:
            cells = runner.run()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    seconds = time.monotonic() - started
    want = dict((matrix.key_of(c), (c['result'], c['protocol'])) for c in recorded['cells'])
    got = dict((matrix.key_of(c), (c['result'], c['protocol'])) for c in cells)
    assert set(got) == set(want)
    details = dict((matrix.key_of(c), c) for c in cells)
    differ = ['%s %s %s %s: recorded %s, now %s (%s; %s)' % (key + (want[key], got[key], details[key].get('failure'),
                                                                    details[key].get('client_output')))
              for key in sorted(want) if want[key] != got[key]]
    assert not differ, '%d of %d cells changed in %.0fs:\n%s' % (len(differ), len(want), seconds, '\n'.join(differ))
