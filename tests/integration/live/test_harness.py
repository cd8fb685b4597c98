"""The Dovecot harness itself: every listener greets over TLS, logins work, each flavour enforces its versions."""
import imaplib
import os
import poplib
import socket
import ssl

import pytest

from harness import dovecot

FLAVOURS = ("modern", "legacy_ecdhe", "legacy_rsa")
# the harness-side clients pin old versions on purpose
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _only(version, ca, seclevel0=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = version
    ctx.maximum_version = version
    if seclevel0:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_verify_locations(cafile=ca)
    return ctx


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_listener_greets_over_tls(mail_servers, flavour):
    server = getattr(mail_servers, flavour)
    assert sorted(server.ports) == sorted(dovecot.SERVICES)
    assert len(set(server.ports.values())) == 4
    for listener, port in server.ports.items():
        service, mode = dovecot.LISTENERS[listener]
        greeting = dovecot.tls_greeting(server.host, port, service, mode, ca=mail_servers.ca, timeout=5)
        assert greeting.startswith("* OK" if service == "imap" else "+OK"), (listener, greeting)


def test_servers_use_distinct_ports_and_dirs(mail_servers):
    ports = [port for server in mail_servers for port in server.ports.values()]
    assert len(ports) == 12 and len(set(ports)) == 12
    assert len({server.base_dir for server in mail_servers}) == 3
    assert len({server.instance_name for server in mail_servers}) == 3
    for server in mail_servers:
        assert server.running()
        assert os.path.exists(server.log_path)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_imap_login_and_fetch(mail_servers, flavour):
    server = getattr(mail_servers, flavour)
    client = imaplib.IMAP4_SSL(server.host, server.imaps_port, ssl_context=dovecot.client_context(mail_servers.ca), timeout=10)
    try:
        client.login(server.user, server.password)
        status, data = client.select("INBOX", readonly=True)
        assert status == "OK" and int(data[0]) >= 1
        status, data = client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert status == "OK"
        assert dovecot.MESSAGE_SUBJECT.encode() in data[0][1]
    finally:
        client.logout()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pop3_stls_login(mail_servers, flavour):
    server = getattr(mail_servers, flavour)
    client = poplib.POP3(server.host, server.pop3_port, timeout=10)
    try:
        client.stls(context=dovecot.client_context(mail_servers.ca))
        client.user(server.user)
        client.pass_(server.password)
        count, size = client.stat()
        assert count >= 1 and size > 0
    finally:
        client.quit()


def test_wrong_password_is_refused(mail_servers):
    server = mail_servers.modern
    client = imaplib.IMAP4_SSL(server.host, server.imaps_port, ssl_context=dovecot.client_context(mail_servers.ca), timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            client.login(server.user, "not-the-password")
    finally:
        client.shutdown()


def test_modern_refuses_tls10(mail_servers):
    server = mail_servers.modern
    with socket.create_connection((server.host, server.imaps_port), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            _only(ssl.TLSVersion.TLSv1, mail_servers.ca).wrap_socket(raw, server_hostname="localhost")
    with socket.create_connection((server.host, server.imaps_port), timeout=5) as raw:
        with _only(ssl.TLSVersion.TLSv1_2, mail_servers.ca, seclevel0=False).wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.2"


@pytest.mark.parametrize("flavour", ("legacy_ecdhe", "legacy_rsa"))
def test_legacy_servers_speak_only_tls10(mail_servers, flavour):
    server = getattr(mail_servers, flavour)
    with socket.create_connection((server.host, server.imaps_port), timeout=5) as raw:
        with _only(ssl.TLSVersion.TLSv1, mail_servers.ca).wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1"
            cipher = tls.cipher()[0]
    if flavour == "legacy_rsa":
        assert cipher == "AES128-SHA"
    else:
        assert cipher.startswith("ECDHE-")
    for version in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2):
        with socket.create_connection((server.host, server.imaps_port), timeout=5) as raw:
            with pytest.raises((ssl.SSLError, ConnectionError)):
                _only(version, mail_servers.ca).wrap_socket(raw, server_hostname="localhost")


def test_certificate_names_localhost_and_loopback(mail_servers):
    ctx = ssl.create_default_context(cafile=mail_servers.ca)
    for name in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", mail_servers.modern.imaps_port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_start_stop_lifecycle(tmp_path):
    if not dovecot.dovecot_available():
        pytest.fail("dovecot is not installed; make test installs it")
    servers = dovecot.MailServers(root=str(tmp_path), names=("modern",))
    try:
        servers.start()
        server = servers.modern
        pid = server.master_pid
        assert pid and server.running()
        port = server.imaps_port
    finally:
        servers.stop()
    assert not server.running()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
