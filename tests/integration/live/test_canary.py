"""The loopback canary that proves a candidate OpenSSL / GnuTLS policy file before it is installed."""
import os
import socket

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _canary

pytestmark = pytest.mark.usefixtures("require_openssl")
needs_gnutls = pytest.mark.usefixtures("require_gnutls_cli")

GOOD = (
    "openssl_conf = openssl_init\n"
    "[openssl_init]\nssl_conf = ssl_sect\n"
    "[ssl_sect]\nsystem_default = system_default_sect\n"
    "[system_default_sect]\nMinProtocol = TLSv1.2\nCipherString = DEFAULT:@SECLEVEL=2\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def canary_dirs():
    import tempfile  # pylint: disable=import-outside-toplevel
    root = tempfile.gettempdir()
    return sorted(entry for entry in os.listdir(root) if entry.startswith("mailtls-canary-"))


def test_canary_lifecycle_and_client():
    before = canary_dirs()
    with _canary.start_canary(["-tls1"], "AES128-SHA:@SECLEVEL=0") as canary:
        assert canary.port and canary.process.poll() is None
        empty = os.path.join(canary.workdir, "client-empty.cnf")
        with open(empty, "w") as handle:
            handle.write("\n")
        result = _canary.openssl_client_handshake(canary.port, openssl_conf=empty)
        assert result["ok"] and result["protocol"] == "tls1_0" and result["cipher"] == "AES128-SHA"
        process, port = canary.process, canary.port
    assert process.poll() is not None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert canary_dirs() == before


def test_tls12_canary():
    with _canary.start_canary(["-tls1_2"]) as canary:
        result = _canary.openssl_client_handshake(canary.port)
    assert result["ok"] and result["protocol"] == "tls1_2"


def test_good_candidate_is_accepted(tmp_path):
    ok, details = _canary.validate_openssl_conf(write(tmp_path, "good.cnf", GOOD))
    assert ok, details
    assert details["syntax_ok"] is True
    by_name = {check["canary"]: check for check in details["checks"]}
    assert set(by_name) == {"tls1_0_krsa", "tls1_1_krsa", "tls1_2"}
    assert by_name["tls1_0_krsa"]["handshake"]["ok"] is False
    assert by_name["tls1_0_krsa"]["handshake"]["reason"] == "protocol_version"
    assert by_name["tls1_2"]["handshake"]["protocol"] in ("tls1_2",)


@pytest.mark.skipif(not os.path.exists("/etc/debian_version"), reason="Debian's OpenSSL build accepts kRSA TLS 1.0 by default")
def test_stock_config_is_rejected(tmp_path):
    stock = "/etc/ssl/openssl.cnf"
    if not os.path.exists(stock):
        pytest.skip("no /etc/ssl/openssl.cnf")
    ok, details = _canary.validate_openssl_conf(write(tmp_path, "empty.cnf", "# nothing\n"))
    assert not ok and "does not refuse" in details["error"]


@pytest.mark.parametrize("name,text,expect", [
    ("misspelt.cnf", GOOD.replace("TLSv1.2", "TLS1.2"), "does not refuse"),
    ("broken.cnf", GOOD.replace("[ssl_sect]", "[ssl_sect"), "does not load"),
    ("second-openssl-conf.cnf", "openssl_conf = other\n" + GOOD.replace("openssl_conf = openssl_init\n", "")
     + "openssl_conf = openssl_init\n", "does not"),
    ("blocks-tls12.cnf", GOOD.replace("MinProtocol = TLSv1.2", "MinProtocol = TLSv1.3"), "tls1_2: handshake failed"),
])
def test_bad_candidates_are_rejected(tmp_path, name, text, expect):
    ok, details = _canary.validate_openssl_conf(write(tmp_path, name, text))
    assert not ok
    assert expect in details["error"], details["error"]


def test_missing_candidate_is_rejected(tmp_path):
    ok, details = _canary.validate_openssl_conf(str(tmp_path / "nope.cnf"))
    assert not ok and "does not exist" in details["error"]


def test_keeps_tls12_mode(tmp_path):
    ok, details = _canary.validate_openssl_conf_keeps_tls12(write(tmp_path, "empty.cnf", "# nothing\n"))
    assert ok, details
    ok, details = _canary.validate_openssl_conf_keeps_tls12(
        write(tmp_path, "max11.cnf", GOOD.replace("MinProtocol = TLSv1.2", "MaxProtocol = TLSv1.1")))
    assert not ok and details["checks"][0]["handshake"]["ok"] is False


@needs_gnutls
def test_gnutls_candidates(tmp_path):
    good = write(tmp_path, "good.cfg", "[overrides]\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n")
    ok, details = _canary.validate_gnutls_config(good)
    assert ok, details
    assert {check["canary"] for check in details["checks"]} == {"tls1_0_krsa", "tls1_0_ecdhe", "tls1_1_krsa", "tls1_2"}

    ok, details = _canary.validate_gnutls_config(write(tmp_path, "nothing.cfg", "# nothing\n"))
    assert not ok and "does not refuse" in details["error"]

    ok, details = _canary.validate_gnutls_config(write(tmp_path, "invalid.cfg", "[overrides]\ndisabled-version = tls9.9\n"))
    assert not ok and "invalid" in details["error"]

    ok, details = _canary.validate_gnutls_config(write(tmp_path, "nothing2.cfg", "# nothing\n"), expect_legacy_refused=False)
    assert ok, details


def test_an_openssl_req_error_the_file_in_place_already_has_does_not_block(tmp_path):
    """An oid_section entry OpenSSL 3 defines itself makes `openssl req` fail on the current file too."""
    head = 'oid_section = new_oids\n[new_oids]\nxmppAddr = 1.3.6.1.5.5.7.8.5\n'
    baseline = tmp_path / 'current.cnf'
    baseline.write_text('openssl_conf = openssl_init\n' + head + '[openssl_init]\n')
    candidate = tmp_path / 'candidate.cnf'
    candidate.write_text('openssl_conf = openssl_init\n' + head +
                         '[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.2\n')
    alone_ok, alone = _canary.validate_openssl_conf(str(candidate))
    assert not alone_ok and 'does not load' in alone['error']
    ok, details = _canary.validate_openssl_conf(str(candidate), baseline_path=str(baseline))
    assert ok, details
    assert 'oid exists' in details['syntax_note']
    assert all(check['passed'] for check in details['checks'])
    # A new error the current file does not have still blocks.
    broken = tmp_path / 'broken.cnf'
    broken.write_text(candidate.read_text() + '[unclosed\n')
    bad_ok, bad = _canary.validate_openssl_conf(str(broken), baseline_path=str(baseline))
    assert not bad_ok and 'does not load' in bad['error']
