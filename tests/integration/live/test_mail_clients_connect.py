"""Debian's mutt and msmtp (both GnuTLS) really connect, before and after mail_client_tls.

* mutt opens ``imaps://`` mailboxes of the harness Dovecot servers on a
  pseudo-terminal (``tests/harness/terminal.py``) and the test reads what it
  draws: the TLS line, the index with the harness message, or the GnuTLS error.
* msmtp submits a message over STARTTLS with AUTH PLAIN to the small SMTP
  servers of ``tests/harness/smtp.py``; the server records what it accepted.

Each client starts with a configuration pinned to TLS 1.0/1.1, as found on old
hosts.  ``mail_client_tls`` runs for real (``ansible localhost -m``) on the
files in a temporary HOME; afterwards the same client must reach the TLS 1.2
server and be refused by the TLS 1.0 ones.  The inventory of ``tls_facts``
(the mail client part, pointed at the temporary HOME through a passwd entry)
must say the same as the client did, before and after.
"""
import json
import os
import pwd
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import require_binary  # noqa: E402  pylint: disable=wrong-import-position
from harness import dovecot  # noqa: E402  pylint: disable=wrong-import-position
from harness.ansible import run_module  # noqa: E402  pylint: disable=wrong-import-position
from harness.smtp import SmtpServer  # noqa: E402  pylint: disable=wrong-import-position
from harness.terminal import run_in_terminal  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc  # noqa: E402
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture  # noqa: E402

FLAVOURS = ('modern', 'legacy_ecdhe', 'legacy_rsa')
LEGACY = ('legacy_ecdhe', 'legacy_rsa')
CLIENT_TIMEOUT = 45
LEGACY_FINDINGS = {'client_pinned_below_tls12', 'client_no_usable_protocol', 'client_allows_legacy'}


def _parallel(function, names):
    """``{name: function(name)}``, the clients of one round running side by side."""
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return dict(zip(names, pool.map(function, names)))


@pytest.fixture(scope='module')
def servers(mail_servers):
    """The session's Dovecot servers (tests/integration/live/conftest.py)."""
    return mail_servers


@pytest.fixture(scope='module')
def posture_base():
    """The OpenSSL and GnuTLS stacks of this host, as tls_facts reports them (one run for the module)."""
    facts = run_module('tls_facts', {'gather': ['openssl', 'gnutls']})
    assert not facts.failed, facts.output
    return facts['ansible_facts']['mailtls_posture']


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / 'home'
    folder.mkdir()
    os.chmod(str(folder), 0o700)
    return folder


def _remediate(paths):
    state = os.path.join(os.path.dirname(os.path.dirname(str(paths[0]))), 'state')
    run = run_module('mail_client_tls', {'paths': [str(p) for p in paths], 'min_protocol': 'TLSv1.2', 'state_dir': state}, diff=True)
    assert not run.failed, run.output
    assert run['changed'], run.output
    assert all(f['status'] == 'changed' for f in run['files']), run['files']
    return run


def _inventory(base, home):
    """The mail client part of tls_facts for a user whose home is ``home``, evaluated against this host's stacks."""
    doc = json.loads(json.dumps(base))
    doc['clients'], doc['findings'] = [], []
    passwd = [pwd.struct_passwd(('livetest', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(doc, passwd_entries=passwd, include_system=False)
    _posture.evaluate(doc)
    return doc


def _clients(doc, client, count):
    """``[(record, finding ids)]`` of ``client`` (one record per msmtp account), sorted by id."""
    records = sorted((c for c in doc['clients'] if c['client'] == client), key=lambda c: c['id'])
    assert len(records) == count, doc['clients']
    return [(r, set(f['id'] for f in doc['findings'] if f['subject'] == 'client:%s' % r['id'])) for r in records]


def _states(record):
    return dict((proto, record['protocols'][proto]['state']) for proto in ('tls1_0', 'tls1_1', 'tls1_2', 'tls1_3'))


# --- mutt ------------------------------------------------------------------------------

MUTT_PIN = 'set ssl_use_tlsv1=yes ssl_use_tlsv1_1=yes ssl_use_tlsv1_2=no ssl_use_tlsv1_3=no'
MUTT_TLS_LINE = re.compile(r'SSL/TLS connection using (TLS1\.[0-3]) \(([^)]*)\)')


def _muttrc(path, home, servers):
    modern = servers.modern
    path.write_text(
        '# mutt on an old host: pinned to TLS 1.0/1.1 for a legacy server\n'
        'set ssl_ca_certificates_file = "%s"\n'
        'set certificate_file = "%s"\n'
        'set ssl_force_tls = yes\n'
        'set imap_user = "%s"\n'
        'set imap_pass = "%s"\n'
        'set folder = "imaps://127.0.0.1:%d/"\n'
        'set spoolfile = "+INBOX"\n'
        'set sleep_time = 0 move = no quit = yes\n'
        '%s\n'
        % (servers.ca, home / '.mutt_certificates', modern.user, modern.password, modern.imaps_port, MUTT_PIN))
    os.chmod(str(path), 0o600)


def _mutt_rounds(rc, home, servers):
    """Open INBOX of each Dovecot flavour over IMAPS and leave again; ``{flavour: TerminalRun}``."""
    mutt = require_binary('mutt')
    env = dict(os.environ, HOME=str(home), TERM='vt100', LC_ALL='C')
    env.pop('MAIL', None)

    def one(name):
        url = 'imaps://127.0.0.1:%d/INBOX' % getattr(servers, name).imaps_port
        # <quit> waits in the input queue until the index is up; a failed open ends mutt by itself.
        # 'q' is typed only when mutt sits idle (an unexpected screen), at most a few times.
        return run_in_terminal([mutt, '-n', '-F', str(rc), '-f', url, '-e', 'push <quit>'], env=env, cwd=str(home),
                               timeout=CLIENT_TIMEOUT, idle_key='q', idle_after=8.0, max_keys=3)

    return _parallel(one, FLAVOURS)


def _mutt_session(run):
    """(tls_version, kx_cipher, logged_in) from mutt's screen; version None when TLS did not come up."""
    text = run.text
    match = MUTT_TLS_LINE.search(text)
    logged_in = bool(re.search(r'\[Msgs:[1-9]', text)) and dovecot.MESSAGE_SUBJECT in text
    return (match.group(1) if match else None), (match.group(2) if match else None), logged_in


def _mutt_refused(run):
    text = run.text
    return not run.timed_out and 'gnutls_handshake:' in text and MUTT_TLS_LINE.search(text) is None and dovecot.MESSAGE_SUBJECT not in text


def test_mutt_imaps_before_and_after(servers, home, posture_base):
    rc = home / '.muttrc'
    _muttrc(rc, home, servers)

    before = _mutt_rounds(rc, home, servers)
    for run in before.values():
        assert not run.timed_out, run
    # pinned to TLS 1.0/1.1: the TLS 1.2 server ends the handshake, nothing is shown
    assert _mutt_refused(before['modern']), before['modern']
    # ... and GnuTLS reaches both TLS 1.0 servers, ECDHE included, and logs in
    for name, kx in (('legacy_ecdhe', 'ECDHE-RSA/'), ('legacy_rsa', 'RSA/')):
        version, suite, logged_in = _mutt_session(before[name])
        assert version == 'TLS1.0' and suite.startswith(kx) and logged_in, before[name]

    inventory_before = _inventory(posture_base, home)
    [(record, found)] = _clients(inventory_before, 'mutt', 1)
    assert record['library'] == 'gnutls' and '+USE_SSL_GNUTLS' in record['settings']['library_source']
    states = _states(record)
    # what the inventory predicts is what mutt did
    assert states['tls1_2'] == 'refused' and states['tls1_3'] == 'refused'
    assert states['tls1_0'] == 'allowed'
    assert 'client_pinned_below_tls12' in found, found

    real = _remediate([rc])
    assert real['files'][0]['format'] == 'mutt'
    assert real['files'][0]['changes'] == ['line 10: ssl_use_tlsv1=yes -> no', 'line 10: ssl_use_tlsv1_1=yes -> no',
                                           'line 10: ssl_use_tlsv1_2=no -> yes', 'line 10: ssl_use_tlsv1_3=no -> yes']
    assert servers.modern.password not in real.output

    after = _mutt_rounds(rc, home, servers)
    version, unused, logged_in = _mutt_session(after['modern'])
    assert version in ('TLS1.2', 'TLS1.3') and logged_in, after['modern']
    for name in LEGACY:
        assert _mutt_refused(after[name]), after[name]

    [(record, found)] = _clients(_inventory(posture_base, home), 'mutt', 1)
    states = _states(record)
    assert states['tls1_0'] == 'refused' and states['tls1_1'] == 'refused'
    assert states['tls1_2'] == 'allowed' and states['tls1_3'] == 'allowed'
    assert not found & LEGACY_FINDINGS, found


# --- msmtp -----------------------------------------------------------------------------

MSMTP_PIN = 'NORMAL:-VERS-ALL:+VERS-TLS1.0'
SMTP_USER = 'mailtest'
SMTP_PASSWORD = 'smtp-Pass-1'


@pytest.fixture(scope='module')
def smtp_servers(tmp_path_factory):
    """Three STARTTLS submission servers (TLS 1.2+, TLS 1.0 ECDHE, TLS 1.0 RSA) with their own CA."""
    assert dovecot.find_binary('openssl'), 'openssl is not installed (make test installs it)'
    pki = tmp_path_factory.mktemp('smtp-pki')
    cert, key = dovecot.make_certificate(str(pki))
    started = {}
    try:
        for name in FLAVOURS:
            started[name] = SmtpServer(name, cert, key, SMTP_USER, SMTP_PASSWORD, lifetime=600.0).start()
        yield started, cert
    finally:
        for server in started.values():
            server.stop()


def _msmtprc(path, cert, smtp):
    lines = ['# msmtp on an old host: its relay only spoke TLS 1.0', 'defaults', 'tls on', 'tls_starttls on',
             'tls_trust_file %s' % cert, 'auth plain', 'user %s' % SMTP_USER, 'password %s' % SMTP_PASSWORD,
             'from %s@localhost' % SMTP_USER, 'tls_priorities %s' % MSMTP_PIN, '']
    for name in FLAVOURS:
        lines += ['account %s' % name, 'host 127.0.0.1', 'port %d' % smtp[name].port, '']
    path.write_text('\n'.join(lines))
    os.chmod(str(path), 0o600)


def _msmtp_rounds(rc, home, smtp, tag):
    """Submit one message per account; ``{flavour: (rc, output, messages_received)}``."""
    msmtp = require_binary('msmtp')
    env = dict(os.environ, HOME=str(home), LC_ALL='C')
    seen = dict((name, len(smtp[name].messages)) for name in FLAVOURS)

    def one(name):
        message = ('From: %s@localhost\nTo: rcpt@localhost\nSubject: mailtls %s %s\n\nbody\n' % (SMTP_USER, tag, name)).encode('ascii')
        proc = subprocess.run([msmtp, '-C', str(rc), '-a', name, 'rcpt@localhost'], input=message, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, timeout=CLIENT_TIMEOUT, check=False)
        assert smtp[name].settle(10.0), 'a connection to the %s server did not end' % name
        return proc.returncode, proc.stdout.decode('utf-8', 'replace'), smtp[name].messages[seen[name]:]

    return _parallel(one, FLAVOURS)


def _delivered(result, tag, name, versions):
    code, out, received = result
    subject = 'Subject: mailtls %s %s\r\n' % (tag, name)
    return (code == 0 and len(received) == 1 and subject in received[0]['data'] and received[0]['user'] == SMTP_USER
            and received[0]['rcpt_to'] == ['TO:<rcpt@localhost>'] and received[0]['tls_version'] in versions), out


def _refused(result):
    code, out, received = result
    return code != 0 and 'TLS handshake failed' in out and not received


def test_msmtp_starttls_before_and_after(smtp_servers, home, posture_base):
    smtp, cert = smtp_servers
    rc = home / '.msmtprc'
    _msmtprc(rc, cert, smtp)

    before = _msmtp_rounds(rc, home, smtp, 'before')
    assert _refused(before['modern']), before['modern']
    assert smtp['modern'].tls_failures, 'the TLS 1.2 server saw no failed handshake'
    assert _delivered(before['legacy_ecdhe'], 'before', 'legacy_ecdhe', ('TLSv1',)) == (True, before['legacy_ecdhe'][1])
    assert before['legacy_ecdhe'][2][0]['cipher'].startswith('ECDHE-')
    assert _delivered(before['legacy_rsa'], 'before', 'legacy_rsa', ('TLSv1',)) == (True, before['legacy_rsa'][1])
    assert before['legacy_rsa'][2][0]['cipher'] == 'AES128-SHA'

    for record, found in _clients(_inventory(posture_base, home), 'msmtp', len(FLAVOURS)):
        assert record['library'] == 'gnutls' and 'GnuTLS' in record['settings']['library_source']
        states = _states(record)
        assert states['tls1_0'] == 'allowed' and states['tls1_2'] == 'refused' and states['tls1_3'] == 'refused', states
        assert 'client_pinned_below_tls12' in found, found

    real = _remediate([rc])
    assert real['files'][0]['format'] == 'msmtp'
    assert SMTP_PASSWORD not in real.output
    assert 'tls_priorities %s\n' % MSMTP_PIN not in rc.read_text()

    after = _msmtp_rounds(rc, home, smtp, 'after')
    assert _delivered(after['modern'], 'after', 'modern', ('TLSv1.2', 'TLSv1.3')) == (True, after['modern'][1])
    for name in LEGACY:
        assert _refused(after[name]), after[name]
        assert smtp[name].tls_failures, 'the %s server saw no failed handshake' % name

    for record, found in _clients(_inventory(posture_base, home), 'msmtp', len(FLAVOURS)):
        states = _states(record)
        assert states['tls1_0'] == 'refused' and states['tls1_1'] == 'refused', states
        assert states['tls1_2'] == 'allowed', states
        assert not found & LEGACY_FINDINGS, found
