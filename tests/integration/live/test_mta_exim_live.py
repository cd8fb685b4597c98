"""Debian's real Exim pinned to TLS 1.0, fixed by mail_client_tls, proven by delivering mail.

Exim cannot be installed next to Postfix, so the test runs Debian's
``exim4-daemon-light`` unpacked under ``build/exim`` from a private
configuration (``tests/harness/exim.py`` says how and why).  Its smtp
transport carries ``tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0`` as
relays set up for an old smarthost do; the host's GnuTLS policy is the stock
one.  ``mail_client_tls`` edits that configuration for real (``ansible
localhost -m``); the module has no Exim binary on this host to run ``exim -bV``
with, so the test runs the unpacked Exim's ``-bV`` on the result and on a
broken candidate through the same validation function.  Before: mail reaches
only the TLS 1.0 servers (ECDHE and RSA).  After: only the TLS 1.2 server.
"""
import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import dovecot  # noqa: E402  pylint: disable=wrong-import-position
from harness import exim  # noqa: E402  pylint: disable=wrong-import-position
from harness import matrix  # noqa: E402  pylint: disable=wrong-import-position
from harness.ansible import run_module  # noqa: E402  pylint: disable=wrong-import-position
from harness.smtp import SmtpServer  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import exim as ex  # noqa: E402

SERVERS = ('modern', 'legacy_ecdhe', 'legacy_rsa')
PIN = 'NORMAL:-VERS-ALL:+VERS-TLS1.0'


@pytest.fixture
def relay(tmp_path):
    assert exim.available(), 'Exim runs unpacked in a private mount namespace: root, unshare and apt-get are needed'
    exim.ensure()
    root = tempfile.mkdtemp(prefix='mailtls-exim-', dir=matrix._build_dir())  # pylint: disable=protected-access
    os.chmod(root, 0o755)
    pki = os.path.join(root, 'pki')
    os.makedirs(pki)
    os.chmod(pki, 0o755)
    cert, key = dovecot.make_certificate(pki)
    smtp = {}
    try:
        for name in SERVERS:
            server = SmtpServer(name, cert, key, matrix.SMTP_USER, matrix.PASSWORD, lifetime=300.0)
            if name == 'legacy_ecdhe':
                server.context.set_ciphers(matrix.ECDHE_ONLY)
            smtp[name] = server.start()
        domains = dict((name, '%s.test' % name.replace('_', '')) for name in SERVERS)
        folder = os.path.join(root, 'relay')
        os.makedirs(folder)
        config = exim.relay_config(folder, cert, dict((domains[n], smtp[n].port) for n in SERVERS), matrix.SMTP_USER,
                                   matrix.PASSWORD, PIN)
        yield exim.Relay(folder, config), smtp, domains, tmp_path
    finally:
        for server in smtp.values():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _round(relay, smtp, domains, tag):
    stock_gnutls, unused = matrix.policy_files('before')[1], None
    out = {}
    for name in SERVERS:
        code, text = relay.send('rcpt@%s' % domains[name], 'relay %s %s' % (tag, name), gnutls_config=stock_gnutls)
        smtp[name].settle(5.0)
        got = [m for m in smtp[name].messages if 'Subject: relay %s %s\r\n' % (tag, name) in m['data']]
        out[name] = got[0]['tls_version'] if got else None
    return out


def _runner(argv):
    return exim.run(argv, timeout=60)


def test_exim_pinned_to_tls1_then_fixed_by_mail_client_tls(relay):
    server_relay, smtp, domains, tmp_path = relay
    ok, message = server_relay.check()
    assert ok, message
    before = _round(server_relay, smtp, domains, 'before')
    assert before == {'modern': None, 'legacy_ecdhe': 'TLSv1', 'legacy_rsa': 'TLSv1'}, before

    original = open(server_relay.config, 'rb').read()
    args = {'paths': [server_relay.config], 'min_protocol': 'TLSv1.2', 'state_dir': str(tmp_path / 'state')}
    check = run_module('mail_client_tls', args, check=True, diff=True)
    assert not check.failed, check.output
    assert open(server_relay.config, 'rb').read() == original
    [planned] = check['files']
    assert planned['format'] == 'exim_conf' and planned['status'] == 'changed', planned

    real = run_module('mail_client_tls', args, diff=True)
    assert not real.failed, real.output
    [changed] = real['files']
    assert changed['changes'] == planned['changes'] == [
        'line 26: transport remote_smtp: tls_require_ciphers %s -> NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2' % PIN], changed
    assert changed['restart_needed'] and changed['backup_file']
    assert matrix.PASSWORD not in real.output
    text = open(server_relay.config).read()
    # the unpacked Exim accepts the result, and rejects a broken candidate through the same check
    assert ex.validate_candidate(server_relay.config, text, runner=_runner) == (True, 'exim -C (copy) -bV passed')
    ok, message = ex.validate_candidate(server_relay.config, text.replace('driver = smtp', 'driver = smtpp'), runner=_runner)
    assert not ok and 'exim -bV rejected' in message, message

    second = run_module('mail_client_tls', args)
    assert not second.failed and not second['changed'], second.output

    after = _round(server_relay, smtp, domains, 'after')
    assert after['modern'] in ('TLSv1.2', 'TLSv1.3') and after['legacy_ecdhe'] is None and after['legacy_rsa'] is None, after
