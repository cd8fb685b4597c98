"""Programs that set their own protocol bounds, proven with the real programs after a hardened OpenSSL policy.

The OpenSSL policy ``system_tls`` writes (``MinProtocol = TLSv1.2``) goes to a copy of the host's
openssl.cnf, passed through ``OPENSSL_CONF`` to the clients, to the inventory and to
``mail_client_tls``, so the host's own file is never touched.

* fetchmail *without any pin* still logs in over TLS 1.0 to the RSA key exchange server: its
  ``auto`` default is set in code.  The posture says so (``bounds: own``, TLS 1.0 allowed, only with
  RSA key exchange), ``predict_session`` says what fetchmail did against each server, and
  ``mail_client_tls`` changes it; afterwards fetchmail fails against both TLS 1.0 servers.
* ``curl --tlsv1.0`` in a ``.curlrc`` overrides the minimum the same way; plain curl does not.
* A Python script with ``ssl.SSLContext(ssl.PROTOCOL_TLSv1)`` still speaks TLS 1.0; the script
  scan's record predicts it.
"""
import os
import pwd
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import require_binary  # noqa: E402  pylint: disable=wrong-import-position
from harness.ansible import run_module  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls  # noqa: E402
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc  # noqa: E402
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture  # noqa: E402
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._predict import predict_session  # noqa: E402

FLAVOURS = ('modern', 'legacy_ecdhe', 'legacy_rsa')
SERVERS = {'modern': {'protocols': ['tls1_2', 'tls1_3'], 'kx': 'ecdhe'}, 'legacy_ecdhe': {'protocols': ['tls1_0'], 'kx': 'ecdhe'},
           'legacy_rsa': {'protocols': ['tls1_0'], 'kx': 'rsa'}}
VERSIONS = {'TLSv1': 'tls1_0', 'TLSv1.1': 'tls1_1', 'TLSv1.2': 'tls1_2', 'TLSv1.3': 'tls1_3'}
TIMEOUT = 60


@pytest.fixture(scope='module')
def servers(mail_servers):
    return mail_servers


@pytest.fixture
def hardened(tmp_path):
    """A copy of the host's openssl.cnf with the system_default section system_tls writes."""
    with open('/etc/ssl/openssl.cnf') as handle:
        text = handle.read()
    assert '[openssl_init]\n' in text, 'this host openssl.cnf has no [openssl_init] section'
    text = text.replace('[openssl_init]\n', '[openssl_init]\nssl_conf = mailtls_ssl\n', 1)
    text += '\n[mailtls_ssl]\nsystem_default = mailtls_sd\n[mailtls_sd]\nMinProtocol = TLSv1.2\n'
    path = tmp_path / 'openssl.cnf'
    path.write_text(text)
    return str(path)


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / 'home'
    folder.mkdir()
    os.chmod(str(folder), 0o700)
    return folder


def _run(argv, home, conf):
    env = dict(os.environ, HOME=str(home), LC_ALL='C', OPENSSL_CONF=conf)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=TIMEOUT,
                          check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def _inventory(home, conf, script_paths=None):
    saved = os.environ.get('OPENSSL_CONF')
    os.environ['OPENSSL_CONF'] = conf
    try:
        document = _posture.new_document('linux', 'live')
        _linux_tls.gather_all(document, {'gather': ['crypto_policies', 'openssl', 'gnutls', 'nss']})
        passwd = [pwd.struct_passwd(('livetest', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
        mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False, script_paths=script_paths)
    finally:
        if saved is None:
            os.environ.pop('OPENSSL_CONF', None)
        else:
            os.environ['OPENSSL_CONF'] = saved
    _posture.evaluate(document)
    return document


def _record(document, client):
    [record] = [c for c in document['clients'] if c['client'] == client]
    return record


def _fetchmail(rc, home, conf):
    code, out = _run([require_binary('fetchmail'), '-f', str(rc), '-c', '-v', '--nosyslog'], home, conf)
    match = re.search(r'using protocol (TLSv1(?:\.[0-3])?),', out)
    ok = code in (0, 1) and 'SSL connection failed' not in out and ('message' in out or 'No mail' in out)
    return ('connected', VERSIONS[match.group(1)]) if ok and match else ('failed', None)


def _fetchmailrcs(home, servers):
    rcs = {}
    for name in FLAVOURS:
        server = getattr(servers, name)
        rcs[name] = home / ('.fetchmailrc' if name == 'modern' else 'fetchmailrc-%s' % name)
        rcs[name].write_text(
            'set no syslog\npoll 127.0.0.1 with proto IMAP port %d\n    user "%s" there with password "%s" is root here\n'
            "    ssl sslcertck sslcommonname 'localhost' sslcertfile '%s'\n" % (server.imaps_port, server.user, server.password, server.ca))
        os.chmod(str(rcs[name]), 0o600)
    return rcs


def test_fetchmail_without_pin_keeps_tls10_after_min_protocol(servers, home, hardened):
    rcs = _fetchmailrcs(home, servers)
    real = dict((name, _fetchmail(rcs[name], home, hardened)) for name in FLAVOURS)
    # measured: MinProtocol = TLSv1.2 does not bind fetchmail's own bounds (RSA key exchange only)
    assert real['legacy_rsa'] == ('connected', 'tls1_0'), real
    assert real['legacy_ecdhe'] == ('failed', None) and real['modern'][0] == 'connected', real

    record = _record(_inventory(home, hardened), 'fetchmail')
    assert record['bounds'] == 'own' and record['conditions'] == {'tls1_0': [{'kx': ['rsa']}], 'tls1_1': [{'kx': ['rsa']}]}
    for name in FLAVOURS:
        predicted = predict_session(record, SERVERS[name])
        assert (predicted['result'], predicted['protocol']) == real[name], (name, predicted, real[name])
    assert record['plan']['change'] and record['plan']['files'][0]['changes'] == ["line 4: sslproto 'tls1.2+' added to poll 127.0.0.1"]

    run = run_module('mail_client_tls', {'paths': [str(p) for p in rcs.values()], 'state_dir': str(home.parent / 'state')},
                     env={'OPENSSL_CONF': hardened})
    assert not run.failed and run['changed'], run.output
    assert [f['changes'] for f in run['files']] == [record['plan']['files'][0]['changes']] * 3
    after = dict((name, _fetchmail(rcs[name], home, hardened)) for name in FLAVOURS)
    assert after['legacy_rsa'] == ('failed', None) and after['legacy_ecdhe'] == ('failed', None)
    assert after['modern'][0] == 'connected' and after['modern'][1] in ('tls1_2', 'tls1_3')
    record = _record(_inventory(home, hardened), 'fetchmail')
    assert record['plan']['change'] is False
    assert all(predict_session(record, SERVERS[n])['result'] == after[n][0] for n in FLAVOURS)


def _curl(home, conf, server):
    code, out = _run([require_binary('curl'), '-sS', '-v', '--cacert', server.ca, '-u', '%s:%s' % (server.user, server.password),
                      '--max-time', '20', 'imaps://localhost:%d/' % server.imaps_port], home, conf)
    match = re.search(r'SSL connection using (TLSv1(?:\.[0-3])?) ', out)
    return ('connected', VERSIONS[match.group(1)]) if code == 0 and match else ('failed', None)


@pytest.mark.parametrize('curlrc,bounds', [('--tlsv1.0\n', 'own'), ('', 'library')])
def test_curl_tlsv10_overrides_min_protocol_plain_curl_does_not(servers, home, hardened, curlrc, bounds):
    (home / '.curlrc').write_text('# curl defaults of this user\n' + curlrc)
    record = _record(_inventory(home, hardened), 'curl')
    assert record['bounds'] == bounds
    for name in FLAVOURS:
        real = _curl(home, hardened, getattr(servers, name))
        predicted = predict_session(record, SERVERS[name])
        assert (predicted['result'], predicted['protocol']) == real, (name, curlrc, predicted, real)
    assert record['plan']['change'] == (bounds == 'own')


PYTHON = r'''import socket
import ssl
import sys
import warnings

warnings.simplefilter("ignore")
context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
try:
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10))
    print("protocol", sock.version())
except (OSError, ssl.SSLError) as exc:
    print("failed", exc)
'''


def test_python_protocol_tlsv1_script_keeps_tls10(servers, home, hardened, tmp_path):
    scripts = tmp_path / 'scripts'
    scripts.mkdir()
    script = scripts / 'poll_imap.py'
    script.write_text(PYTHON)
    document = _inventory(home, hardened, script_paths=[str(scripts)])
    record = _record(document, 'script')
    assert record['bounds'] == 'own' and record['protocols']['tls1_0']['state'] == 'allowed'
    for name in FLAVOURS:
        code, out = _run(['/usr/bin/python3', str(script), str(getattr(servers, name).imaps_port)], home, hardened)
        match = re.search(r'protocol (TLSv1(?:\.[0-3])?)', out)
        real = ('connected', VERSIONS[match.group(1)]) if match else ('failed', None)
        predicted = predict_session(record, SERVERS[name])
        assert (predicted['result'], predicted['protocol']) == real, (name, predicted, out)
