"""The TLS 1.2 canary offers only the Exchange Online profile's suites: a candidate OpenSSL
configuration that keeps TLS 1.2 but no suite Exchange Online accepts is not installed."""
import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _canary
from ansible_collections.mailtls.remediation.plugins.module_utils import _cipher_profiles

pytestmark = pytest.mark.usefixtures("require_openssl")

CONF = (
    "openssl_conf = openssl_init\n"
    "[openssl_init]\nssl_conf = ssl_sect\n"
    "[ssl_sect]\nsystem_default = system_default_sect\n"
    "[system_default_sect]\nMinProtocol = TLSv1.2\nCipherString = %s\n"
)


def test_the_tls12_canary_offers_the_profile():
    assert _canary.TLS12["cipher"] == _cipher_profiles.openssl_cipher_list()


def test_a_candidate_with_tls12_but_no_common_suite_is_refused(tmp_path):
    path = tmp_path / "dhe-only.cnf"
    path.write_text(CONF % "DHE+AESGCM:@SECLEVEL=2")
    ok, details = _canary.validate_openssl_conf(str(path))
    assert not ok
    tls12 = [c for c in details["checks"] if c["canary"] == "tls1_2"]
    assert tls12 and tls12[0]["handshake"]["ok"] is False and tls12[0]["passed"] is False


def test_a_candidate_with_a_common_suite_passes(tmp_path):
    path = tmp_path / "ecdhe.cnf"
    path.write_text(CONF % "ECDHE+AESGCM:@SECLEVEL=2")
    ok, details = _canary.validate_openssl_conf(str(path))
    assert ok, details
    tls12 = [c for c in details["checks"] if c["canary"] == "tls1_2"][0]
    assert tls12["handshake"]["cipher"] in _cipher_profiles.OPENSSL_NAMES.values()
