"""A real Postfix relay pinned to TLSv1, fixed by mail_client_tls, proven by delivering mail.

A private Postfix instance (``postfix -c DIR``, its own queue and data
directories, no listener of its own; ``tests/harness/postfix.py``) relays to
the three loopback SMTP servers (TLS 1.2+, TLS 1.0 ECDHE only, TLS 1.0 RSA
only) with SASL AUTH at security level ``encrypt``.  Its main.cf pins
``smtp_tls_protocols``/``smtp_tls_mandatory_protocols`` to TLSv1, as old
relays to Exchange Online were.  The relay's daemons read the remediated
system OpenSSL policy copy (MinProtocol TLSv1.2) and still speak TLS 1.0:
only the main.cf change helps.

``mail_client_tls`` runs for real (``ansible localhost -m``) on that main.cf:
check mode predicts the edit and writes nothing, the real run validates the
candidate with ``postfix check`` and reports the reload it needs, the test
reloads (as the operator would), and then mail reaches the TLS 1.2 server and
is deferred by both TLS 1.0 servers.  A second run changes nothing; rollback
restores the original bytes.
"""
import os
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import dovecot  # noqa: E402  pylint: disable=wrong-import-position
from harness import matrix  # noqa: E402  pylint: disable=wrong-import-position
from harness import postfix  # noqa: E402  pylint: disable=wrong-import-position
from harness.ansible import run_module  # noqa: E402  pylint: disable=wrong-import-position
from harness.smtp import SmtpServer  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import postfix as pf  # noqa: E402

SERVERS = ('modern', 'legacy_ecdhe', 'legacy_rsa')
PIN = {'smtp_tls_protocols': 'TLSv1', 'smtp_tls_mandatory_protocols': 'TLSv1'}


@pytest.fixture
def relay(tmp_path):
    assert postfix.available(), 'Postfix must be installed and the test must run as root (its master needs root)'
    root = tempfile.mkdtemp(prefix='mailtls-relay-', dir=matrix._build_dir())  # pylint: disable=protected-access
    os.chmod(root, 0o755)
    pki = os.path.join(root, 'pki')
    os.makedirs(pki)
    os.chmod(pki, 0o755)
    cert, key = dovecot.make_certificate(pki)
    smtp = {}
    instance = None
    try:
        for name in SERVERS:
            server = SmtpServer(name, cert, key, matrix.SMTP_USER, matrix.PASSWORD, lifetime=300.0)
            if name == 'legacy_ecdhe':
                server.context.set_ciphers(matrix.ECDHE_ONLY)
            smtp[name] = server.start()
        openssl_after, unused = matrix.policy_files('after')
        instance = postfix.Instance(os.path.join(root, 'postfix'), openssl_conf=openssl_after, main_extra=PIN)
        domains = dict((name, instance.add_route('relay', name, smtp[name].port)) for name in SERVERS)
        instance.configure(matrix.SMTP_USER, matrix.PASSWORD, cert)
        instance.reload_or_start()
        yield instance, smtp, domains, tmp_path
    finally:
        if instance is not None:
            instance.stop()
        for server in smtp.values():
            server.stop()
        import shutil  # pylint: disable=import-outside-toplevel
        shutil.rmtree(root, ignore_errors=True)


def _round(instance, smtp, domains, tag, timeout=60):
    """Send one message per server; ``{server: (status, tls version or None)}`` once Postfix logged each attempt."""
    ids = dict((name, instance.submit(domains[name], 'Subject: relay %s %s' % (tag, name))) for name in SERVERS)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(instance.status(ids[n]) is None for n in SERVERS):
        time.sleep(0.3)
    out = {}
    for name in SERVERS:
        smtp[name].settle(5.0)
        got = [m for m in smtp[name].messages if 'Subject: relay %s %s\r\n' % (tag, name) in m['data']]
        out[name] = (instance.status(ids[name]), got[0]['tls_version'] if got else None)
    return out


def _posture(instance):
    with open(instance.main_cf) as handle:
        main = handle.read()
    with open(instance.master_cf) as handle:
        master = handle.read()
    unused, entries = pf.instance_entries(main, master, {'postfix_version': (3, 7)})
    [entry] = [e for e in entries if e['name'] == 'smtp']
    return entry


def test_postfix_pinned_to_tls1_then_fixed_by_mail_client_tls(relay):
    instance, smtp, domains, tmp_path = relay
    before = _round(instance, smtp, domains, 'before')
    assert before == {'modern': ('deferred', None), 'legacy_ecdhe': ('sent', 'TLSv1'), 'legacy_rsa': ('sent', 'TLSv1')}, (
        before, instance.log_text()[-3000:])
    entry = _posture(instance)
    assert entry['bounds'] == 'own' and entry['versions']['tls1_0'][0] == 'on' and entry['versions']['tls1_2'][0] == 'off'

    original = open(instance.main_cf, 'rb').read()
    args = {'paths': [instance.main_cf], 'min_protocol': 'TLSv1.2', 'state_dir': str(tmp_path / 'state')}
    check = run_module('mail_client_tls', args, check=True, diff=True)
    assert not check.failed, check.output
    assert open(instance.main_cf, 'rb').read() == original, 'check mode wrote main.cf'
    [planned] = check['files']
    assert planned['format'] == 'postfix_main' and planned['status'] == 'changed', planned
    assert planned['restart_needed'] == ['postfix reload']

    real = run_module('mail_client_tls', args, diff=True)
    assert not real.failed, real.output
    [changed] = real['files']
    assert changed['changes'] == planned['changes'] and len(changed['changes']) == 2, changed
    assert 'postfix -c (copy) check passed' in changed['validation']
    assert changed['restart_needed'] == ['postfix reload'] and changed['backup_file']
    text = open(instance.main_cf).read()
    assert 'smtp_tls_protocols = >=TLSv1.2\n' in text and 'smtp_tls_mandatory_protocols = >=TLSv1.2\n' in text
    # every other line is kept, in order
    assert [line for line in original.decode().splitlines() if 'smtp_tls_protocols' not in line and 'mandatory_protocols' not in line] == \
        [line for line in text.splitlines() if 'smtp_tls_protocols' not in line and 'mandatory_protocols' not in line]

    second = run_module('mail_client_tls', args)
    assert not second.failed and not second['changed'], second.output

    instance.reload_or_start()  # what restart_needed asks the operator to do
    after = _round(instance, smtp, domains, 'after')
    assert after['modern'][0] == 'sent' and after['modern'][1] in ('TLSv1.2', 'TLSv1.3'), (after, instance.log_text()[-3000:])
    assert after['legacy_ecdhe'] == ('deferred', None) and after['legacy_rsa'] == ('deferred', None), after
    entry = _posture(instance)
    assert entry['versions']['tls1_0'][0] == 'off' and entry['versions']['tls1_2'][0] == 'on'

    back = run_module('mail_client_tls', dict(args, state='rollback'))
    assert not back.failed and back['changed'], back.output
    assert open(instance.main_cf, 'rb').read() == original


def test_postfix_check_rejects_a_broken_candidate(relay):
    instance, unused_smtp, unused_domains, unused_tmp = relay
    ok, message = pf.validate_candidate(instance.main_cf, open(instance.main_cf).read() + 'this is not a parameter\n')
    assert not ok and 'does not parse' in message
    ok, message = pf.validate_candidate(instance.main_cf, open(instance.main_cf).read().replace(
        'queue_directory = ', 'queue_directory = /nonexistent-mailtls'))
    assert not ok and 'postfix check rejected' in message, message
