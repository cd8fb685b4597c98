"""tls_probe clients: each client through its own library and bounds, against loopback canaries.

The bounds come from the client's real configuration file (read by the
collection's parsers) or are given explicitly; the handshakes are real
``openssl s_client``, ``gnutls-cli`` and Debian Python ``ssl`` runs.
"""
import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _canary
from harness.ansible import run_module


@pytest.fixture(scope='module')
def canaries():
    modern = _canary.start_canary(['-tls1_2'])
    legacy = _canary.start_canary(['-tls1'], 'AES128-SHA:@SECLEVEL=0')
    try:
        yield modern, legacy
    finally:
        modern.stop()
        legacy.stop()


def _probe(canaries, clients):
    endpoints = [{'host': '127.0.0.1', 'port': c.port, 'service': 'imap'} for c in canaries]
    run = run_module('tls_probe', {'endpoints': endpoints, 'protocols': [], 'validate_certs': False, 'retries': 0, 'timeout': 5,
                                   'total_timeout': 60, 'clients': clients})
    assert not run.failed, run.output
    assert run['results'] == [], 'protocols: [] skips the per-version system probes'
    return run


def _by_port(run, client, port):
    return next(r for r in run['client_results'] if r['client'] == client and r['port'] == port)


@pytest.mark.parametrize('sslproto, ok, bounds', [
    ('tls1', False, ('tls1_0', 'tls1_0')),
    ('tls1.2+', True, ('tls1_2', None)),
])
def test_fetchmail_is_probed_with_the_bounds_of_its_own_file(tmp_path, canaries, sslproto, ok, bounds):
    rc = tmp_path / 'fetchmailrc'
    rc.write_text('poll mail.example.org proto imap port 993\n  user "bob" password "secret" ssl sslproto %s\n' % sslproto)
    rc.chmod(0o600)
    modern, legacy = canaries
    run = _probe(canaries, [{'name': 'fetchmail', 'path': str(rc)}])
    summary = run['client_summary'][0]
    assert summary['client'] == 'fetchmail:mail.example.org' and summary['library'] == 'openssl'
    assert (summary['min_protocol'], summary['max_protocol']) == bounds
    assert summary['ok'] is False, 'the TLS 1.0-only canary never passes the verify'
    to_modern = _by_port(run, summary['client'], modern.port)
    assert to_modern['ok'] is ok
    assert '-min_protocol' in to_modern['command']
    to_legacy = _by_port(run, summary['client'], legacy.port)
    if sslproto == 'tls1':
        assert to_legacy['outcome'] == 'success' and to_legacy['negotiated_protocol'] == 'tls1_0' and to_legacy['ok'] is False
    else:
        assert to_legacy['outcome'] == 'failure'
    assert 'secret' not in run.output


@pytest.mark.parametrize('library', ['openssl', 'gnutls', 'python'])
def test_explicit_bounds_per_library(canaries, library):
    modern, legacy = canaries
    run = _probe(canaries, [{'name': 'capped', 'library': library, 'max_protocol': 'tls1_1'},
                            {'name': 'floor', 'library': library, 'min_protocol': 'tls1_2'}])
    assert _by_port(run, 'capped', modern.port)['outcome'] == 'failure'
    assert _by_port(run, 'capped', legacy.port)['negotiated_protocol'] == 'tls1_0'
    assert _by_port(run, 'floor', modern.port)['ok'] is True
    assert _by_port(run, 'floor', legacy.port)['outcome'] == 'failure'


def test_a_file_that_cannot_be_read_fails_its_verify(tmp_path, canaries):
    run = _probe(canaries, [{'name': 'gone', 'path': str(tmp_path / 'missing-rc')}])
    assert run['client_summary'][0]['ok'] is False and run['client_summary'][0]['failing']


def test_an_unreachable_endpoint_proves_nothing(tmp_path):
    """No TLS conversation (connection refused) is neither a pass nor a failure of the client: ok is null."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    run = run_module('tls_probe', {'endpoints': [{'host': '127.0.0.1', 'port': port, 'service': 'imap'}], 'protocols': [],
                                   'validate_certs': False, 'retries': 0, 'timeout': 5,
                                   'clients': [{'name': 'floor', 'library': 'openssl', 'min_protocol': 'tls1_2'}]})
    assert not run.failed, run.output
    assert run['client_results'][0]['outcome'] == 'error'
    assert run['client_summary'][0]['ok'] is None and run['client_summary'][0]['failing']
