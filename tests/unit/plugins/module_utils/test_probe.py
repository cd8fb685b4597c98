"""Pure logic of _probe: classification, version narrowing, STARTTLS dialogues, retries and verdicts."""
import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _probe


# ---------------------------------------------------------------------------
# classification of failure texts (texts as the engines print them)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,who,reason", [
    ("40272EFC347F0000:error:0A0000BF:SSL routines:tls_setup_handshake:no protocols available:../ssl/statem/statem_lib.c:102:",
     "local_policy", "no_protocols_available"),
    ("[SSL: NO_PROTOCOLS_AVAILABLE] no protocols available (_ssl.c:1006)", "local_policy", "no_protocols_available"),
    ("Error in priorities: No or insufficient priorities were set.", "local_policy", "no_protocols_available"),
    ("Syntax error at: @SYSTEM:-VERS-ALL:+VERS-TLS1.0", "local_policy", "priority_string"),
    ("4077190E2A7F0000:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:"
     "../ssl/record/rec_layer_s3.c:1601:SSL alert number 70", "server", "protocol_version"),
    ("*** Received alert [70]: Error in protocol version", "server", "protocol_version"),
    ("sslv3 alert handshake failure", "server", "handshake_failure"),
    ("4067BCEDAC7F0000:error:0A000102:SSL routines:ssl_choose_client_version:unsupported protocol:", "client", "protocol_version"),
    ("Fatal error: A packet with illegal or unsupported version was received.", "client", "protocol_version"),
    ("error:0A00014D:SSL routines:tls_process_key_exchange:legacy sigalg disallowed or unsupported", "client", "cipher_or_signature"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)", "client", "certificate"),
    ("[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)", "server", "connection_closed"),
    ("TLS/SSL connection has been closed (EOF) (_ssl.c:992)", "server", "connection_closed"),
    ("Fatal error: Error in the pull function.", "server", "connection_closed"),
    ("STARTTLS failed: server does not offer STARTTLS", "server", "starttls"),
    ("timed out after 10.0s", "network", "timeout"),
    ("connect:errno=111", "network", "connect"),
    ("something nobody has seen", "unknown", "unknown"),
    ("", "unknown", "unknown"),
])
def test_classify_failure(text, who, reason):
    assert _probe.classify_failure(text) == (who, reason)


def test_attempt_status():
    assert _probe.attempt_status("network") == "error"
    assert _probe.attempt_status("engine") == "error"
    for who in ("local_policy", "server", "client", "unknown"):
        assert _probe.attempt_status(who) == "failure"


@pytest.mark.parametrize("label,key", [
    ("TLSv1", "tls1_0"), ("TLSv1.1", "tls1_1"), ("TLSv1.2", "tls1_2"), ("TLSv1.3", "tls1_3"),
    ("TLS1.0", "tls1_0"), ("TLS1.3", "tls1_3"), ("SSLv3", "ssl3"), ("SSL3.0", "ssl3"),
    ("DTLSv1.2", None), ("", None), (None, None), ("TLSv2", None),
])
def test_normalize_protocol(label, key):
    assert _probe.normalize_protocol(label) == key


# ---------------------------------------------------------------------------
# narrowing to one version without widening the policy
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", _probe.PROTOCOLS)
def test_openssl_flags_only_disable(protocol):
    flags = _probe.openssl_version_flags(protocol)
    assert len(flags) == len(_probe.PROTOCOLS) - 1
    assert all(flag.startswith("-no_") for flag in flags)
    assert _probe.OPENSSL_NO_FLAGS[protocol] not in flags
    for forbidden in ("-tls1", "-tls1_2", "-min_protocol", "-max_protocol", "-cipher"):
        assert forbidden not in flags


def test_openssl_flags_exact():
    assert _probe.openssl_version_flags("tls1_0") == ["-no_ssl3", "-no_tls1_1", "-no_tls1_2", "-no_tls1_3"]


@pytest.mark.parametrize("protocol", _probe.PROTOCOLS)
def test_python_options(protocol):
    names = _probe.python_no_options(protocol)
    assert _probe.PYTHON_NO_OPTIONS[protocol] not in names and len(names) == 4
    assert all(name.startswith("OP_NO_") for name in names)


def test_unknown_protocol_rejected():
    with pytest.raises(ValueError):
        _probe.openssl_version_flags("tls1_4")
    with pytest.raises(ValueError):
        _probe.gnutls_priority("sslv2")


def test_gnutls_priority():
    assert _probe.gnutls_priority("tls1_0") == "NORMAL:-VERS-ALL:+VERS-TLS1.0"
    assert _probe.gnutls_priority("tls1_3", "@SYSTEM") == "@SYSTEM:-VERS-ALL:+VERS-TLS1.3"


@pytest.mark.parametrize("text,base", [
    ("", "NORMAL"),
    ("# comment only\n", "NORMAL"),
    ("[overrides]\ndisabled-version = tls1.0\n", "NORMAL"),
    ("[priorities]\nSYSTEM = NORMAL:-VERS-TLS1.0\n", "@SYSTEM"),
    ("[global]\noverride-mode = blocklist\n[overrides]\ndefault-priority-string = SECURE128:-VERS-TLS1.1\n", "SECURE128:-VERS-TLS1.1"),
    ("[priorities]\nSYSTEM = NORMAL\n[overrides]\ndefault-priority-string = PERFORMANCE\n", "PERFORMANCE"),
])
def test_gnutls_base_priority(text, base):
    assert _probe.gnutls_base_priority(text) == base


def test_parse_gnutls_config_sections():
    parsed = _probe.parse_gnutls_config("[Overrides]\n# x\ndisabled-version = tls1.0\ndisabled-version = tls1.1\nstray\n")
    assert parsed == {"overrides": [("disabled-version", "tls1.0"), ("disabled-version", "tls1.1")]}


# ---------------------------------------------------------------------------
# engine output parsing (shapes captured from openssl 3.0 and gnutls-cli 3.7)
# ---------------------------------------------------------------------------
def test_parse_openssl_success():
    text = ("depth=0 CN = localhost\nverify error:num=18:self-signed certificate\nCONNECTION ESTABLISHED\n"
            "Protocol version: TLSv1.2\nCiphersuite: ECDHE-RSA-AES256-GCM-SHA384\nPeer certificate: CN = localhost\nDONE\n")
    connected, version, cipher, errors = _probe.parse_openssl_output(text)
    assert connected and version == "TLSv1.2" and cipher == "ECDHE-RSA-AES256-GCM-SHA384"
    assert errors == ["verify error:num=18:self-signed certificate"]


def test_parse_openssl_failure_and_text():
    line = "40879E14FF7E0000:error:0A0000BF:SSL routines:tls_setup_handshake:no protocols available:../ssl/statem/statem_lib.c:102:"
    connected, version, cipher, errors = _probe.parse_openssl_output(line + "\n")
    assert not connected and version is None and cipher is None
    assert _probe.openssl_error_text(errors).startswith("no protocols available (")


def test_parse_gnutls():
    text = ("- Status: The certificate is NOT trusted. The certificate issuer is unknown. \n"
            "*** PKI verification of server certificate failed...\n"
            "- Description: (TLS1.0-X.509)-(RSA)-(AES-128-CBC)-(SHA1)\n- Handshake was completed\n")
    completed, version, cipher, errors = _probe.parse_gnutls_output(text)
    assert completed and version == "TLS1.0" and cipher == "RSA-AES-128-CBC-SHA1" and errors == []
    completed, version, _cipher, errors = _probe.parse_gnutls_output(
        "*** Fatal error: A TLS fatal alert has been received.\n*** Received alert [70]: Error in protocol version\n")
    assert not completed and version is None
    assert errors == ["Fatal error: A TLS fatal alert has been received.", "Received alert [70]: Error in protocol version"]


# ---------------------------------------------------------------------------
# STARTTLS dialogues
# ---------------------------------------------------------------------------
class Script(object):
    """Scripted server: answers are handed out line by line, commands are recorded."""

    def __init__(self, lines):
        self.lines = list(lines)
        self.sent = []

    def recv(self):
        return self.lines.pop(0) if self.lines else ""

    def send(self, data):
        self.sent.append(data)


def test_imap_starttls():
    script = Script(["* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", "* BYE not really\r\n", "a OK Begin TLS negotiation now.\r\n"])
    transcript = _probe.starttls_dialogue("imap", script.recv, script.send)
    assert script.sent == ["a STARTTLS\r\n"]
    assert transcript[-1] == "S: a OK Begin TLS negotiation now."


@pytest.mark.parametrize("lines,message", [
    (["* BYE go away\r\n"], "unexpected IMAP greeting"),
    (["* OK hi\r\n", "a NO [PRIVACYREQUIRED] no\r\n"], "STARTTLS refused"),
    (["* OK hi\r\n", "a BAD what\r\n"], "STARTTLS refused"),
    (["* OK hi\r\n"], "connection closed"),
])
def test_imap_starttls_errors(lines, message):
    script = Script(lines)
    with pytest.raises(_probe.StartTLSError, match=message):
        _probe.starttls_dialogue("imap", script.recv, script.send)


def test_pop3_stls():
    script = Script(["+OK Dovecot ready.\r\n", "+OK Begin TLS negotiation now.\r\n"])
    _probe.starttls_dialogue("pop3", script.recv, script.send)
    assert script.sent == ["STLS\r\n"]
    script = Script(["+OK ready\r\n", "-ERR not here\r\n"])
    with pytest.raises(_probe.StartTLSError, match="STLS refused"):
        _probe.starttls_dialogue("pop3", script.recv, script.send)


def test_smtp_starttls_multiline():
    script = Script([
        "220-mx.example.invalid ESMTP\r\n", "220 second greeting line\r\n",
        "250-mx.example.invalid Hello\r\n", "250-SIZE 157286400\r\n", "250-STARTTLS\r\n", "250 SMTPUTF8\r\n",
        "220 2.0.0 SMTP server ready\r\n",
    ])
    _probe.starttls_dialogue("smtp", script.recv, script.send, ehlo_name="[127.0.0.1]")
    assert script.sent == ["EHLO [127.0.0.1]\r\n", "STARTTLS\r\n"]


@pytest.mark.parametrize("lines,message", [
    (["554 no service\r\n"], "unexpected SMTP greeting"),
    (["220 hi\r\n", "250-hi\r\n", "250 8BITMIME\r\n"], "does not offer STARTTLS"),
    (["220 hi\r\n", "250-hi\r\n", "250 STARTTLS\r\n", "454 4.7.0 TLS not available\r\n"], "STARTTLS refused: 454"),
    (["220 hi\r\n", "500 what\r\n"], "EHLO refused"),
    (["220-hi\r\n"], "connection closed"),
    (["hello there\r\n"], "malformed"),
    (["220 hi\r\n", "250-hi\r\n", "251 mixed\r\n"], "disagree"),
])
def test_smtp_starttls_errors(lines, message):
    script = Script(lines)
    with pytest.raises(_probe.StartTLSError, match=message):
        _probe.starttls_dialogue("smtp", script.recv, script.send)


def test_smtp_reply_and_imap_status():
    assert _probe.smtp_reply(["250-a\r\n", "250 b\r\n"]) == (250, ["a", "b"], True)
    assert _probe.smtp_reply(["250-a\r\n"]) == (250, ["a"], False)
    assert _probe.smtp_reply(["220\r\n"]) == (220, [""], True)
    assert _probe.imap_tagged_status("a OK done\r\n", "a") == "OK"
    assert _probe.imap_tagged_status("a no nope", "a") == "NO"
    assert _probe.imap_tagged_status("* OK untagged", "a") is None
    assert _probe.imap_tagged_status("b OK other tag", "a") is None


def test_unknown_service():
    with pytest.raises(_probe.StartTLSError):
        _probe.starttls_dialogue("ftp", Script([]).recv, Script([]).send)


# ---------------------------------------------------------------------------
# retries, backoff and total timeout accounting (fake clock)
# ---------------------------------------------------------------------------
class FakeClock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_runner(clock, statuses, cost=0.5, refused_by="server"):
    calls = []

    def runner(_endpoint, _protocol, _settings, timeout):
        calls.append(timeout)
        status = statuses[min(len(calls) - 1, len(statuses) - 1)]
        clock.now += min(cost, timeout)
        if status == "success":
            return {"status": "success", "negotiated_protocol": "tls1_2", "cipher": "X", "failure": None, "refused_by": None, "reason": None}
        who = refused_by if status == "failure" else "network"
        return {"status": status, "negotiated_protocol": None, "cipher": None, "failure": "nope", "refused_by": who, "reason": "r"}
    return runner, calls


ENDPOINT = {"host": "127.0.0.1", "port": 993, "service": "imap", "mode": "implicit"}


def run(statuses, retries=3, backoff=1.0, total=60.0, timeout=10.0, cost=0.5, refused_by="server"):
    clock = FakeClock()
    settings = _probe.ProbeSettings(retries=retries, backoff=backoff, total_timeout=total, timeout=timeout, python="x",
                                    openssl_bin="", gnutls_cli="")
    runner, calls = make_runner(clock, statuses, cost, refused_by)
    attempts = _probe.probe_with_retries(runner, ENDPOINT, "tls1_2", settings, clock.now + total, clock=clock,
                                         sleep=clock.sleep, started=clock.now)
    return attempts, clock, calls


def test_backoff_delay():
    assert [_probe.backoff_delay(1, n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert _probe.backoff_delay(0, 3) == 0


def test_success_is_not_retried():
    attempts, clock, _calls = run(["success"])
    assert len(attempts) == 1 and clock.sleeps == []
    assert _probe.aggregate_outcome(attempts) == "success"


def test_failures_retried_with_exponential_backoff():
    attempts, clock, _calls = run(["failure"], retries=3, backoff=1.0)
    assert len(attempts) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert [attempt["attempt"] for attempt in attempts] == [1, 2, 3, 4]
    assert [attempt["start"] for attempt in attempts] == [0.0, 1.5, 4.0, 8.5]
    assert all(attempt["duration"] == 0.5 for attempt in attempts)
    assert _probe.aggregate_outcome(attempts) == "failure"


def test_disagreeing_tries_are_intermittent():
    attempts, _clock, _calls = run(["failure", "failure", "success"])
    assert [attempt["status"] for attempt in attempts] == ["failure", "failure", "success"]
    assert _probe.aggregate_outcome(attempts) == "intermittent"


def test_local_policy_is_not_retried():
    attempts, clock, _calls = run(["failure"], refused_by="local_policy")
    assert len(attempts) == 1 and clock.sleeps == []


def test_network_errors_are_retried_and_give_error():
    attempts, _clock, _calls = run(["error"], retries=2, backoff=0)
    assert len(attempts) == 3
    assert _probe.aggregate_outcome(attempts) == "error"
    attempts, _clock, _calls = run(["error", "success"], retries=2, backoff=0)
    assert _probe.aggregate_outcome(attempts) == "intermittent"


def test_retries_zero_means_one_try():
    attempts, _clock, _calls = run(["failure"], retries=0)
    assert len(attempts) == 1


def test_total_timeout_bounds_tries_and_backoff():
    # 10 s per try would overrun a 12 s budget: the second try gets only the rest,
    # and a backoff that would pass the deadline ends the probe instead.
    attempts, clock, calls = run(["failure"], retries=5, backoff=1.0, total=12.0, timeout=10.0, cost=10.0)
    assert calls[0] == 10.0
    assert calls[1] == pytest.approx(1.0)
    assert clock.now - 1000.0 <= 12.0
    assert len(attempts) == 2
    attempts, clock, _calls = run(["failure"], retries=5, backoff=8.0, total=12.0, timeout=10.0, cost=1.0)
    assert len(attempts) == 2 and clock.sleeps == [8.0]
    assert "total_timeout" in attempts[-1]["note"]


def test_retries_are_capped():
    settings = _probe.ProbeSettings(retries=1000, python="x", openssl_bin="", gnutls_cli="")
    assert settings.retries == _probe.MAX_RETRIES


def test_aggregate_empty_is_error():
    assert _probe.aggregate_outcome([]) == "error"


# ---------------------------------------------------------------------------
# per-probe and per-endpoint summaries
# ---------------------------------------------------------------------------
def result(engine, protocol, outcome, endpoint=None):
    endpoint = endpoint or ENDPOINT
    return {"host": endpoint["host"], "port": endpoint["port"], "service": endpoint["service"], "mode": endpoint["mode"],
            "engine": engine, "protocol": protocol, "outcome": outcome, "failure": "f" if outcome != "success" else None}


def test_summary_ok():
    summary = _probe.summarize_endpoint(ENDPOINT, [
        result("openssl", "tls1_0", "failure"), result("openssl", "tls1_2", "success"), result("python", "tls1_2", "failure"),
        result("openssl", "tls1_3", "success"),
    ])
    assert summary["verdict"] == "ok" and summary["tls12_ok"] is True and summary["tls12_engines"] == ["openssl"]
    assert summary["legacy_accepted"] is False and summary["tls13_ok"] is True


def test_summary_legacy_and_intermittent():
    other = dict(ENDPOINT, port=995, service="pop3")
    summary = _probe.summarize_endpoint(ENDPOINT, [
        result("gnutls", "tls1_0", "intermittent"), result("openssl", "tls1_1", "success"), result("openssl", "tls1_2", "success"),
        result("openssl", "tls1_0", "success", other),
    ])
    assert summary["verdict"] == "legacy_accepted"
    assert summary["legacy_accepted_by"] == ["gnutls:tls1_0", "openssl:tls1_1"]
    assert summary["intermittent"] == ["gnutls:tls1_0"]
    assert "intermittent" in summary["message"]


def test_summary_no_modern_unreachable_and_not_probed():
    summary = _probe.summarize_endpoint(ENDPOINT, [result("openssl", "tls1_2", "failure"), result("openssl", "tls1_3", "error")])
    assert summary["verdict"] == "no_modern_tls" and summary["tls12_ok"] is False
    summary = _probe.summarize_endpoint(ENDPOINT, [result("openssl", "tls1_2", "error"), result("python", "tls1_2", "error")])
    assert summary["verdict"] == "unreachable"
    summary = _probe.summarize_endpoint(ENDPOINT, [result("openssl", "tls1_0", "failure")])
    assert summary["verdict"] == "legacy_refused" and summary["tls12_ok"] is None


def test_summarize_probe_not_attempted():
    summary = _probe.summarize_probe(ENDPOINT, "openssl", "tls1_2", [], 5)
    assert summary["outcome"] == "error" and summary["reason"] == "total_timeout"


def test_summarize_probe_keeps_last_failure_and_success():
    attempts = [
        {"status": "failure", "failure": "first", "refused_by": "server", "reason": "connection_closed", "negotiated_protocol": None, "cipher": None},
        {"status": "success", "failure": None, "refused_by": None, "reason": None, "negotiated_protocol": "tls1_2", "cipher": "C"},
    ]
    summary = _probe.summarize_probe(ENDPOINT, "python", "tls1_2", attempts, 60)
    assert summary["outcome"] == "intermittent" and summary["negotiated_protocol"] == "tls1_2"
    assert summary["failure"] == "first" and summary["refused_by"] == "server" and summary["attempt_count"] == 2


def test_unexpected_version_is_a_failure():
    attempt = _probe._succeeded("TLSv1.3", "X", "tls1_2")  # pylint: disable=protected-access
    assert attempt["status"] == "failure" and attempt["reason"] == "unexpected_version"


# ---------------------------------------------------------------------------
# endpoint validation
# ---------------------------------------------------------------------------
def test_default_endpoints_are_exchange_online():
    endpoints = _probe.normalize_endpoints(None)
    assert [(e["host"], e["port"], e["service"], e["mode"]) for e in endpoints] == [
        ("outlook.office365.com", 993, "imap", "implicit"),
        ("outlook.office365.com", 995, "pop3", "implicit"),
        ("smtp.office365.com", 587, "smtp", "starttls"),
    ]


@pytest.mark.parametrize("entry,message", [
    ({"port": 993}, "host"), ({"host": "h", "port": "x"}, "integer"), ({"host": "h", "port": 70000}, "range"),
    ({"host": "h", "port": 1, "service": "ftp"}, "service"), ({"host": "h", "port": 1, "mode": "tls"}, "mode"),
    ("h:1", "dict"),
])
def test_bad_endpoints(entry, message):
    with pytest.raises(ValueError, match=message):
        _probe.normalize_endpoints([entry])


@pytest.mark.parametrize("versions, bounds", [
    ({"ssl3": "off", "tls1_0": "on", "tls1_1": "off", "tls1_2": "off", "tls1_3": "off"}, ("tls1_0", "tls1_0")),
    ({"ssl3": "off", "tls1_0": "off", "tls1_1": "off", "tls1_2": "on", "tls1_3": "lib"}, ("tls1_2", None)),
    ({p: "lib" for p in _probe.PROTOCOLS}, (None, None)),
    ({"tls1_3": "off"}, (None, "tls1_2")),
    ({p: "off" for p in _probe.PROTOCOLS}, (None, None)),
])
def test_bounds_from_the_client_versions(versions, bounds):
    assert _probe.bounds_from_versions(versions) == bounds


def test_bound_flags_and_priorities():
    assert _probe.openssl_bound_flags("tls1_2", None) == ["-min_protocol", "TLSv1.2"]
    assert _probe.openssl_bound_flags(None, "tls1_0") == ["-max_protocol", "TLSv1"]
    assert _probe.openssl_bound_flags(None, None) == []
    assert _probe.gnutls_bound_priority("tls1_2", None) == "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
    assert _probe.gnutls_bound_priority(None, "tls1_1", "@SYSTEM") == "@SYSTEM:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:+VERS-SSL3.0"


@pytest.mark.parametrize("entry, problem", [
    ({"library": "openssl"}, "needs a name"),
    ({"name": "x", "library": "nss"}, "library must be one of"),
    ({"name": "x", "library": "openssl", "min_protocol": "tls1.2"}, "min_protocol must be one of"),
    ({"name": "x", "library": "gnutls", "min_protocol": "tls1_3", "max_protocol": "tls1_2"}, "is above max_protocol"),
])
def test_client_entries_are_checked(entry, problem):
    with pytest.raises(ValueError) as err:
        _probe.normalize_clients([entry])
    assert problem in str(err.value)


def test_client_probe_passes_only_at_tls12_or_newer():
    settings = _probe.ProbeSettings(retries=0, total_timeout=10, openssl_bin="/bin/true", gnutls_cli="", python="/bin/true")
    calls = []

    def fake_openssl(endpoint, protocol, settings_, timeout, flags=None):
        calls.append(flags)
        label = "TLSv1" if endpoint["port"] == 1 else "TLSv1.2"
        return dict(_probe._succeeded(label, "AES128-SHA", None), command="s_client")

    original = _probe.run_openssl
    _probe.run_openssl = fake_openssl
    try:
        clients = _probe.normalize_clients([{"name": "c", "library": "openssl", "min_protocol": "tls1_0"},
                                            {"name": "g", "library": "gnutls"}])
        endpoints = [{"host": "h", "port": 1, "service": "imap", "mode": "implicit"},
                     {"host": "h", "port": 2, "service": "imap", "mode": "implicit"}]
        results, summaries = _probe.run_client_probes(clients, endpoints, settings)
    finally:
        _probe.run_openssl = original
    assert calls == [["-min_protocol", "TLSv1"]] * 2
    by = dict(((r["client"], r["port"]), r) for r in results)
    assert by[("c", 1)]["ok"] is False and "below TLS 1.2" in by[("c", 1)]["failure"]
    assert by[("c", 2)]["ok"] is True
    assert summaries[0]["ok"] is False and len(summaries[0]["failing"]) == 1
    assert by[("g", 1)]["reason"] == "engine_missing" and summaries[1]["ok"] is None, "no engine proves nothing"
