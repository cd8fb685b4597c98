"""tls_probe against real servers on 127.0.0.1: Dovecot flavours, a STARTTLS SMTP server,
an intermittent server and a silent one."""
import os
import socket
import ssl
import threading
import time

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _probe

OPENSSL = _probe.find_binary("openssl")
GNUTLS_CLI = _probe.find_binary("gnutls-cli")
DEBIAN_PYTHON = "/usr/bin/python3"


def _os_release_id():
    try:
        with open("/etc/os-release") as handle:
            for line in handle:
                if line.startswith("ID="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


needs_openssl = pytest.mark.usefixtures("require_openssl")
needs_gnutls = pytest.mark.usefixtures("require_gnutls_cli")
# Stock expectations (kRSA TLS 1.0 accepted, ECDHE TLS 1.0 refused for its SHA-1
# signature) are those of Debian's OpenSSL 3 build; Ubuntu and others differ.
debian_only = pytest.mark.skipif(_os_release_id() != "debian", reason="stock-policy expectations are Debian's")


def probe(endpoints, protocols, engines, **kwargs):
    kwargs.setdefault("retries", 0)
    kwargs.setdefault("timeout", 10)
    kwargs.setdefault("total_timeout", 60)
    settings = _probe.ProbeSettings(**kwargs)
    results, summaries, elapsed = _probe.run_probes(endpoints, protocols, engines, settings)
    return results, summaries, elapsed


def one(results, engine, protocol, port=None):
    found = [result for result in results if result["engine"] == engine and result["protocol"] == protocol
             and (port is None or result["port"] == port)]
    assert len(found) == 1, found
    return found[0]


def implicit_imap(server):
    return [endpoint for endpoint in server.endpoints() if endpoint["service"] == "imap" and endpoint["mode"] == "implicit"]


@pytest.fixture
def min_tls12_conf(tmp_path):
    path = tmp_path / "min-tls12.cnf"
    path.write_text(
        "openssl_conf = openssl_init\n"
        "[openssl_init]\nssl_conf = ssl_sect\n"
        "[ssl_sect]\nsystem_default = system_default_sect\n"
        "[system_default_sect]\nMinProtocol = TLSv1.2\nCipherString = DEFAULT:@SECLEVEL=2\n"
    )
    return str(path)


@pytest.fixture
def empty_gnutls_conf(tmp_path):
    path = tmp_path / "gnutls-empty.cfg"
    path.write_text("# no overrides\n")
    return str(path)


@pytest.fixture
def gnutls_no_legacy_conf(tmp_path):
    path = tmp_path / "gnutls-no-legacy.cfg"
    path.write_text("[overrides]\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n")
    return str(path)


# ---------------------------------------------------------------------------
# openssl engine
# ---------------------------------------------------------------------------
@needs_openssl
@debian_only
def test_openssl_stock_policy(mail_servers, neutral_openssl_conf):
    ca = mail_servers.ca
    rsa = implicit_imap(mail_servers.legacy_rsa)
    ecdhe = implicit_imap(mail_servers.legacy_ecdhe)
    modern = implicit_imap(mail_servers.modern)
    results, summaries, _elapsed = probe(rsa + ecdhe + modern, ["tls1_0", "tls1_2", "tls1_3"], ["openssl"],
                                         ca_path=ca, openssl_conf=neutral_openssl_conf)
    got = one(results, "openssl", "tls1_0", rsa[0]["port"])
    assert got["outcome"] == "success" and got["negotiated_protocol"] == "tls1_0" and got["cipher"] == "AES128-SHA"

    got = one(results, "openssl", "tls1_0", ecdhe[0]["port"])
    assert got["outcome"] == "failure"
    assert "legacy sigalg" in got["failure"] and got["refused_by"] == "client"

    for protocol in ("tls1_2", "tls1_3"):
        got = one(results, "openssl", protocol, modern[0]["port"])
        assert got["outcome"] == "success" and got["negotiated_protocol"] == protocol
    got = one(results, "openssl", "tls1_0", modern[0]["port"])
    assert got["outcome"] == "failure" and got["refused_by"] == "server"

    by_port = {summary["port"]: summary for summary in summaries}
    assert by_port[rsa[0]["port"]]["legacy_accepted"] is True
    assert by_port[rsa[0]["port"]]["verdict"] == "legacy_accepted"
    assert by_port[ecdhe[0]["port"]]["verdict"] == "no_modern_tls"
    assert by_port[modern[0]["port"]]["tls12_ok"] is True
    assert by_port[modern[0]["port"]]["verdict"] == "ok"


@needs_openssl
def test_openssl_candidate_conf_refuses_legacy(mail_servers, min_tls12_conf):
    endpoints = implicit_imap(mail_servers.legacy_rsa) + implicit_imap(mail_servers.legacy_ecdhe) + implicit_imap(mail_servers.modern)
    results, summaries, _elapsed = probe(endpoints, ["tls1_0", "tls1_2"], ["openssl"], ca_path=mail_servers.ca,
                                         openssl_conf=min_tls12_conf)
    for endpoint in endpoints[:2]:
        got = one(results, "openssl", "tls1_0", endpoint["port"])
        assert got["outcome"] == "failure"
        # the version was disabled by the candidate's MinProtocol, not by the server
        assert got["refused_by"] == "local_policy" and "no protocols available" in got["failure"]
        assert got["attempt_count"] == 1  # local policy is never retried
    got = one(results, "openssl", "tls1_2", endpoints[2]["port"])
    assert got["outcome"] == "success" and got["negotiated_protocol"] == "tls1_2"
    assert [summary["legacy_accepted"] for summary in summaries] == [False, False, False]
    assert summaries[2]["tls12_ok"] is True


@needs_openssl
def test_openssl_never_widens_policy(mail_servers, min_tls12_conf):
    """The command line narrows with -no_* flags only, so the candidate's floor wins."""
    results, _summaries, _elapsed = probe(implicit_imap(mail_servers.legacy_rsa), ["tls1_0"], ["openssl"],
                                          ca_path=mail_servers.ca, openssl_conf=min_tls12_conf)
    command = results[0]["command"].split()
    assert "-tls1" not in command and "-min_protocol" not in command
    assert not any("SECLEVEL" in part or part == "-cipher" for part in command)
    assert "-no_tls1_2" in command and "-no_tls1" not in command


# ---------------------------------------------------------------------------
# gnutls engine
# ---------------------------------------------------------------------------
@needs_gnutls
def test_gnutls_stock_negotiates_tls10_with_ecdhe(mail_servers, empty_gnutls_conf):
    endpoints = implicit_imap(mail_servers.legacy_ecdhe)
    results, summaries, _elapsed = probe(endpoints, ["tls1_0", "tls1_2"], ["gnutls"], ca_path=mail_servers.ca,
                                         gnutls_priority_file=empty_gnutls_conf)
    got = one(results, "gnutls", "tls1_0")
    assert got["outcome"] == "success" and got["negotiated_protocol"] == "tls1_0"
    assert got["priority"] == "NORMAL:-VERS-ALL:+VERS-TLS1.0"
    assert one(results, "gnutls", "tls1_2")["outcome"] == "failure"
    assert summaries[0]["legacy_accepted_by"] == ["gnutls:tls1_0"]


@needs_gnutls
def test_gnutls_system_overrides_win_over_explicit_priority(mail_servers, gnutls_no_legacy_conf):
    endpoints = implicit_imap(mail_servers.legacy_ecdhe) + implicit_imap(mail_servers.modern)
    results, _summaries, _elapsed = probe(endpoints, ["tls1_0", "tls1_2"], ["gnutls"], ca_path=mail_servers.ca,
                                          gnutls_priority_file=gnutls_no_legacy_conf)
    got = one(results, "gnutls", "tls1_0", endpoints[0]["port"])
    assert got["outcome"] == "failure" and got["refused_by"] == "local_policy"
    assert "insufficient priorities" in got["failure"]
    assert one(results, "gnutls", "tls1_2", endpoints[1]["port"])["outcome"] == "success"


# ---------------------------------------------------------------------------
# python engine
# ---------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists(DEBIAN_PYTHON), reason="no distribution python3")
@debian_only
def test_python_engine_follows_interpreter_and_openssl_conf(mail_servers, neutral_openssl_conf, min_tls12_conf):
    """Debian's python3 leaves the floor to OpenSSL: TLS 1.0 to the kRSA server, until MinProtocol says no."""
    endpoints = implicit_imap(mail_servers.legacy_rsa)
    results, _s, _e = probe(endpoints, ["tls1_0"], ["python"], ca_path=mail_servers.ca, python=DEBIAN_PYTHON,
                            openssl_conf=neutral_openssl_conf)
    assert results[0]["outcome"] == "success" and results[0]["negotiated_protocol"] == "tls1_0"
    results, _s, _e = probe(endpoints, ["tls1_0"], ["python"], ca_path=mail_servers.ca, python=DEBIAN_PYTHON,
                            openssl_conf=min_tls12_conf)
    assert results[0]["outcome"] == "failure" and results[0]["refused_by"] == "local_policy"


def test_python_engine_modern(mail_servers):
    results, summaries, _e = probe(mail_servers.modern.endpoints(), ["tls1_2", "tls1_3"], ["python"], ca_path=mail_servers.ca)
    assert {result["outcome"] for result in results} == {"success"}
    assert all(summary["verdict"] == "ok" for summary in summaries)


# ---------------------------------------------------------------------------
# STARTTLS, certificates
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("engine", _probe.available_engines())
def test_starttls_imap_and_pop3(mail_servers, engine):
    endpoints = [endpoint for endpoint in mail_servers.modern.endpoints() if endpoint["mode"] == "starttls"]
    assert {endpoint["service"] for endpoint in endpoints} == {"imap", "pop3"}
    results, _s, _e = probe(endpoints, ["tls1_2"], [engine], ca_path=mail_servers.ca)
    for result in results:
        assert result["outcome"] == "success", result
        assert result["negotiated_protocol"] == "tls1_2"


@pytest.mark.parametrize("engine", _probe.available_engines())
def test_certificate_checks(mail_servers, engine, tmp_path):
    endpoints = implicit_imap(mail_servers.modern)
    results, _s, _e = probe(endpoints, ["tls1_2"], [engine], ca_path=mail_servers.ca, server_name="localhost")
    assert results[0]["outcome"] == "success"
    # a CA that did not sign the server certificate
    other = tmp_path / "other-ca.pem"
    from harness import dovecot  # pylint: disable=import-outside-toplevel
    cert, _key = dovecot.make_certificate(str(tmp_path))
    os.rename(cert, str(other))
    results, _s, _e = probe(endpoints, ["tls1_2"], [engine], ca_path=str(other))
    assert results[0]["outcome"] == "failure", results[0]
    assert results[0]["refused_by"] == "client" and results[0]["reason"] == "certificate", results[0]
    results, _s, _e = probe(endpoints, ["tls1_2"], [engine], ca_path=str(other), validate_certs=False)
    assert results[0]["outcome"] == "success"


class _Server(object):
    """Tiny threaded TCP server on 127.0.0.1 for one test; handler(conn, index) per connection."""

    def __init__(self, handler, max_connections=50):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.max_connections = max_connections
        self.count = 0
        self.stopping = threading.Event()
        self.held = []
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopping.is_set() and self.count < self.max_connections:
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            worker = threading.Thread(target=self._handle, args=(conn, self.count), daemon=True)
            worker.start()

    def _handle(self, conn, index):
        conn.settimeout(5)
        try:
            self.handler(self, conn, index)
        except (OSError, ssl.SSLError):
            pass
        finally:
            if conn not in self.held:
                conn.close()

    def stop(self):
        self.stopping.set()
        self.sock.close()
        self.thread.join(5)
        for conn in self.held:
            conn.close()


def _serve_handshake(ctx, conn):
    """Complete the server side of a TLS handshake, then wait briefly for the client to go."""
    with ctx.wrap_socket(conn, server_side=True) as tls:
        tls.settimeout(2)
        try:
            tls.recv(100)
        except (OSError, ssl.SSLError):
            pass


def _server_context(mail_servers):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(mail_servers.cert, os.path.join(os.path.dirname(mail_servers.cert), "key.pem"))
    return ctx


@pytest.mark.parametrize("engine", _probe.available_engines())
def test_starttls_smtp(mail_servers, engine):
    ctx = _server_context(mail_servers)

    def smtp(_server, conn, _index):
        reader = conn.makefile("rb")
        conn.sendall(b"220 probe-test ESMTP ready\r\n")
        line = reader.readline()
        if not line.upper().startswith(b"EHLO"):
            return
        conn.sendall(b"250-probe-test greets you\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
        if reader.readline().strip().upper() != b"STARTTLS":
            return
        conn.sendall(b"220 2.0.0 go ahead\r\n")
        _serve_handshake(ctx, conn)

    server = _Server(smtp)
    try:
        endpoint = {"host": "127.0.0.1", "port": server.port, "service": "smtp", "mode": "starttls"}
        results, _s, _e = probe([endpoint], ["tls1_2"], [engine], ca_path=mail_servers.ca)
    finally:
        server.stop()
    assert results[0]["outcome"] == "success", results[0]
    assert results[0]["negotiated_protocol"] == "tls1_2"


def test_smtp_without_starttls_is_a_server_refusal(mail_servers):
    def smtp(_server, conn, _index):
        reader = conn.makefile("rb")
        conn.sendall(b"220 plain only\r\n")
        reader.readline()
        conn.sendall(b"250-plain only\r\n250 8BITMIME\r\n")
        reader.readline()

    server = _Server(smtp)
    try:
        endpoint = {"host": "127.0.0.1", "port": server.port, "service": "smtp", "mode": "starttls"}
        results, _s, _e = probe([endpoint], ["tls1_2"], ["python"], ca_path=mail_servers.ca, retries=1, backoff=0)
    finally:
        server.stop()
    assert results[0]["outcome"] == "failure"
    assert results[0]["refused_by"] == "server" and results[0]["reason"] == "starttls"
    assert "does not offer STARTTLS" in results[0]["failure"]


# ---------------------------------------------------------------------------
# retries, intermittent, total_timeout
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("engine", _probe.available_engines())
def test_intermittent_server(mail_servers, engine):
    """Connections 1, 3, 5... are dropped before the handshake; 2, 4, 6... get TLS 1.2."""
    ctx = _server_context(mail_servers)

    def flaky(_server, conn, index):
        if index % 2 == 1:
            conn.close()
            return
        _serve_handshake(ctx, conn)

    server = _Server(flaky)
    try:
        endpoint = {"host": "127.0.0.1", "port": server.port, "service": "imap", "mode": "implicit"}
        results, summaries, _e = probe([endpoint], ["tls1_2"], [engine], ca_path=mail_servers.ca, retries=3, backoff=0.05)
    finally:
        server.stop()
    got = results[0]
    assert got["outcome"] == "intermittent", got
    assert [attempt["status"] for attempt in got["attempts"]] == ["failure", "success"]
    assert got["attempts"][1]["start"] >= got["attempts"][0]["start"] + 0.05  # backoff was waited
    assert got["refused_by"] == "server"
    assert summaries[0]["intermittent"] == ["%s:tls1_2" % engine]
    assert summaries[0]["tls12_ok"] is True


def test_retries_with_backoff_until_exhausted(mail_servers):
    def slam(_server, conn, _index):
        conn.close()

    server = _Server(slam)
    try:
        endpoint = {"host": "127.0.0.1", "port": server.port, "service": "imap", "mode": "implicit"}
        results, _s, _e = probe([endpoint], ["tls1_2"], ["python"], ca_path=mail_servers.ca, retries=2, backoff=0.1)
    finally:
        server.stop()
    got = results[0]
    assert got["outcome"] == "failure" and got["attempt_count"] == 3 and server.count == 3
    starts = [attempt["start"] for attempt in got["attempts"]]
    assert starts[1] - starts[0] >= 0.1 and starts[2] - starts[1] >= 0.2


def test_total_timeout_is_honoured(mail_servers):
    """A server that accepts and never says anything: every engine hangs until killed."""
    def silent(server, conn, _index):
        server.held.append(conn)

    server = _Server(silent)
    engines = _probe.available_engines()
    try:
        endpoints = [{"host": "127.0.0.1", "port": server.port, "service": "imap", "mode": "implicit"},
                     {"host": "127.0.0.1", "port": server.port, "service": "pop3", "mode": "starttls"}]
        started = time.monotonic()
        results, summaries, elapsed = probe(endpoints, ["tls1_2", "tls1_3"], engines, ca_path=mail_servers.ca,
                                            timeout=30, total_timeout=3, retries=5, backoff=0.2)
        wall = time.monotonic() - started
    finally:
        server.stop()
    # the budget, plus the time to kill the children (generous: CI machines can be loaded)
    assert wall < 3 + 4, (wall, [(r["engine"], r["attempts"]) for r in results])
    assert elapsed <= wall + 0.01
    assert len(results) == 2 * 2 * len(engines)
    for result in results:
        assert result["outcome"] == "error", result
        assert result["refused_by"] == "network"
        for attempt in result["attempts"]:
            assert attempt["timeout"] <= 3
    assert all(summary["verdict"] == "unreachable" for summary in summaries)


def test_connection_refused_is_an_error():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    endpoint = {"host": "127.0.0.1", "port": port, "service": "imap", "mode": "implicit"}
    results, _s, _e = probe([endpoint], ["tls1_2"], _probe.available_engines(), retries=1, backoff=0)
    for result in results:
        assert result["outcome"] == "error", result
        assert result["refused_by"] == "network" and result["attempt_count"] == 2


# ---------------------------------------------------------------------------
# the real module through ansible
# ---------------------------------------------------------------------------
def test_module_through_ansible(mail_servers, run_module, min_tls12_conf):
    endpoints = [dict(endpoint, server_name="localhost") for endpoint in
                 implicit_imap(mail_servers.legacy_rsa) + implicit_imap(mail_servers.modern)]
    result = run_module("mailtls.remediation.tls_probe", {
        "endpoints": endpoints, "protocols": ["tls1_0", "tls1_2"], "ca_path": mail_servers.ca,
        "retries": 0, "openssl_conf": min_tls12_conf,
    }, check_mode=True)
    assert result["_status"] == "SUCCESS", result
    assert result["changed"] is False
    assert set(result["engines"]) == set(_probe.available_engines())
    assert len(result["results"]) == 2 * 2 * len(result["engines"])
    legacy, modern = result["summary"]
    assert legacy["port"] == mail_servers.legacy_rsa.imaps_port
    if "gnutls" in result["engines"]:
        # the candidate OpenSSL file does not bind GnuTLS: it still speaks TLS 1.0
        assert legacy["legacy_accepted_by"] == ["gnutls:tls1_0"]
    else:
        assert legacy["legacy_accepted"] is False
    assert modern["tls12_ok"] is True and "openssl" in modern["tls12_engines"]
    openssl_legacy = [r for r in result["results"] if r["engine"] == "openssl" and r["protocol"] == "tls1_0"
                      and r["port"] == legacy["port"]]
    assert openssl_legacy[0]["refused_by"] == "local_policy"


def test_module_rejects_bad_input(run_module, tmp_path):
    result = run_module("mailtls.remediation.tls_probe", {"retries": 99, "endpoints": [{"host": "127.0.0.1", "port": 1}]})
    assert result["_status"] == "FAILED!" and "retries" in result["msg"]
    result = run_module("mailtls.remediation.tls_probe", {"openssl_conf": str(tmp_path / "missing.cnf"),
                                                          "endpoints": [{"host": "127.0.0.1", "port": 1}]})
    assert result["_status"] == "FAILED!" and "does not exist" in result["msg"]
