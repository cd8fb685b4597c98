# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to mailtls.remediation: loopback TLS "canary" servers that prove a policy file works.

A broken or misspelt OpenSSL configuration fails open, silently: TLS clients
carry on with no minimum.  Syntax checks cannot see that, so a candidate file
only counts when a real handshake shows its effect:

* a client using the candidate must FAIL against a TLS 1.0-only (and a TLS
  1.1-only) server with RSA key exchange (the one stock Debian 12 accepts
  even at SECLEVEL 2), and fail *because of the protocol version*;
* the same client must SUCCEED against a TLS 1.2-only server, so a file that
  blocks everything is caught too.

The canaries are ``openssl s_server`` processes on 127.0.0.1 with an ephemeral
port and a throw-away self-signed certificate in a private temporary
directory.  They run with a private, empty OpenSSL configuration so the
host's own policy (possibly already hardened) cannot change what they offer.
Every wait is bounded; servers are killed and files removed in all cases.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import select
import shutil
import subprocess
import tempfile
import time

from ansible_collections.mailtls.remediation.plugins.module_utils import _cipher_profiles
from ansible_collections.mailtls.remediation.plugins.module_utils._probe import (
    classify_failure,
    find_binary,
    normalize_protocol,
    openssl_error_text,
    parse_gnutls_output,
    parse_openssl_output,
)

HOST = "127.0.0.1"

# Canary flavours: s_server protocol flags and cipher string.
TLS10_RSA = {"name": "tls1_0_krsa", "flags": ["-tls1"], "cipher": "AES128-SHA:@SECLEVEL=0"}
TLS11_RSA = {"name": "tls1_1_krsa", "flags": ["-tls1_1"], "cipher": "AES128-SHA:@SECLEVEL=0"}
TLS10_ECDHE = {"name": "tls1_0_ecdhe", "flags": ["-tls1"], "cipher": "DEFAULT:@SECLEVEL=0"}
TLS12 = {"name": "tls1_2", "flags": ["-tls1_2"], "cipher": None}
TLS13 = {"name": "tls1_3", "flags": ["-tls1_3"], "cipher": None}

# Failure reasons that mean "refused because of the protocol version".
VERSION_REASONS = ("protocol_version", "no_protocols_available", "min_above_max")


# The TLS 1.2 canary offers only the suites Exchange Online accepts, so a candidate that passes
# has a suite in common with it, not just the protocol.
TLS12["cipher"] = _cipher_profiles.openssl_cipher_list()


class CanaryError(Exception):
    """A canary server could not be set up or did not start listening in time."""


def make_self_signed(folder, openssl_bin="openssl", timeout=30.0):
    """Throw-away RSA-2048 certificate for CN=localhost in ``folder``; returns (cert, key)."""
    cert = os.path.join(folder, "canary-cert.pem")
    key = os.path.join(folder, "canary-key.pem")
    neutral = _neutral_conf(folder)
    argv = [openssl_bin, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", key, "-out", cert]
    try:
        proc = subprocess.run(argv, env=dict(os.environ, OPENSSL_CONF=neutral), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CanaryError("cannot create a canary certificate: %s" % exc)
    if proc.returncode != 0 or not os.path.exists(cert):
        raise CanaryError("openssl req failed: %s" % proc.stderr.decode("utf-8", "replace").strip())
    return cert, key


def _neutral_conf(folder):
    path = os.path.join(folder, "canary-openssl.cnf")
    if not os.path.exists(path):
        with open(path, "w") as handle:
            # No system_default section: the canary must not follow the host policy.
            # OpenSSL 1.1.1 "req" insists on a distinguished_name section even with -subj.
            handle.write("# neutral: the canary must not follow the host policy\n"
                         "[req]\ndistinguished_name = req_dn\n[req_dn]\n")
    return path


class Canary(object):
    """A running ``openssl s_server`` on 127.0.0.1; use as a context manager or call ``stop()``."""

    def __init__(self, protocol_flags, cipher=None, openssl_bin="openssl", timeout=10.0, cert=None, workdir=None):
        self.protocol_flags = list(protocol_flags or [])
        self.cipher = cipher
        self.openssl_bin = openssl_bin
        self.timeout = float(timeout)
        self.port = None
        self.process = None
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="mailtls-canary-")
        os.chmod(self.workdir, 0o700)
        self._cert = cert
        self._output = b""

    def start(self):
        if self.process is not None:
            raise CanaryError("canary already started on port %s" % self.port)
        try:
            if self._cert is None:
                self._cert = make_self_signed(self.workdir, self.openssl_bin, self.timeout)
            cert, key = self._cert
            argv = [self.openssl_bin, "s_server", "-accept", "%s:0" % HOST, "-cert", cert, "-key", key, "-www"]
            argv += self.protocol_flags
            if self.cipher:
                argv += ["-cipher", self.cipher]
            env = dict(os.environ, OPENSSL_CONF=_neutral_conf(self.workdir))
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, env=env, close_fds=True)
            self.port = self._wait_for_port()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_port(self):
        """Read s_server's output until it prints ``ACCEPT host:port`` (bounded in time)."""
        deadline = time.monotonic() + self.timeout
        stream = self.process.stdout
        while time.monotonic() < deadline:
            remaining = max(0.0, deadline - time.monotonic())
            ready, _w, _x = select.select([stream], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(stream.fileno(), 4096)
                if not chunk:
                    break
                self._output += chunk
                match = re.search(br"ACCEPT\s+\S*:(\d+)", self._output)
                if match:
                    return int(match.group(1))
            if self.process.poll() is not None:
                break
        raise CanaryError("openssl s_server %s did not start listening within %.0fs: %s" % (
            " ".join(self.protocol_flags), self.timeout, self._output.decode("utf-8", "replace").strip()[-500:]))

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def start_canary(protocol_flags=("-tls1",), cipher=None, openssl_bin="openssl", timeout=10.0, cert=None, workdir=None):
    """Start a canary; the caller must ``stop()`` it (or use ``with``)."""
    return Canary(protocol_flags, cipher=cipher, openssl_bin=openssl_bin, timeout=timeout, cert=cert, workdir=workdir).start()


def _client_result(setting, value):
    """The result dict of a client handshake, not yet run; ``setting`` names the configuration it ran under."""
    result = {"ok": False, "protocol": None, "protocol_label": None, "cipher": None, "failure": None,
              "refused_by": None, "reason": None, "returncode": None}
    result[setting] = value
    return result


def _run_client(argv, env, timeout, result):
    """Run a TLS client against the canary: its combined output, or None when it did not run (``result`` says why)."""
    try:
        proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        result.update({"failure": "timed out after %.1fs" % timeout, "refused_by": "network", "reason": "timeout"})
        return None
    except OSError as exc:
        result.update({"failure": "cannot run %s: %s" % (argv[0], exc), "refused_by": "engine", "reason": "engine_missing"})
        return None
    result["returncode"] = proc.returncode
    return proc.stdout.decode("utf-8", "replace") + "\n" + proc.stderr.decode("utf-8", "replace")


def _handshake_done(result, label, cipher):
    result.update({"ok": True, "protocol": normalize_protocol(label), "protocol_label": label, "cipher": cipher})
    return result


def openssl_client_handshake(port, openssl_conf=None, timeout=10.0, openssl_bin="openssl"):
    """``openssl s_client -connect 127.0.0.1:PORT`` with no version flags, under ``OPENSSL_CONF``.

    Returns a dict: ok, protocol (key such as ``tls1_2``), protocol_label,
    cipher, failure (exact text), refused_by, reason, returncode.
    """
    env = dict(os.environ)
    if openssl_conf:
        env["OPENSSL_CONF"] = openssl_conf
    argv = [openssl_bin, "s_client", "-connect", "%s:%d" % (HOST, int(port)), "-brief", "-no_ign_eof"]
    result = _client_result("openssl_conf", openssl_conf)
    text = _run_client(argv, env, timeout, result)
    if text is None:
        return result
    connected, label, cipher, errors = parse_openssl_output(text)
    if result["returncode"] == 0 and connected:
        return _handshake_done(result, label, cipher)
    failure = openssl_error_text([line for line in errors if not line.startswith("verify error")]) \
        or text.strip()[-500:] or "s_client exited %s" % result["returncode"]
    refused_by, reason = classify_failure(failure)
    result.update({"failure": failure, "refused_by": refused_by, "reason": reason})
    return result


def gnutls_client_handshake(port, priority_file=None, timeout=10.0, gnutls_cli="gnutls-cli", fail_on_invalid=True):
    """``gnutls-cli`` with the library default priority against 127.0.0.1:PORT.

    ``GNUTLS_SYSTEM_PRIORITY_FILE`` is set to ``priority_file`` and, with
    ``fail_on_invalid``, ``GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1`` so an
    invalid file makes the client fail instead of being skipped.
    """
    env = dict(os.environ)
    if priority_file:
        env["GNUTLS_SYSTEM_PRIORITY_FILE"] = priority_file
    if fail_on_invalid:
        env["GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID"] = "1"
    argv = [gnutls_cli, "--insecure", "--disable-sni", "--port", str(int(port)), HOST]
    result = _client_result("priority_file", priority_file)
    text = _run_client(argv, env, timeout, result)
    if text is None:
        return result
    completed, label, cipher, errors = parse_gnutls_output(text)
    if completed and label:
        return _handshake_done(result, label, cipher)
    if errors:
        failure = "; ".join(errors)
        refused_by, reason = classify_failure(failure)
    elif not text.strip() and result["returncode"]:
        failure = "gnutls-cli exited %s without output: the priority file is invalid" % result["returncode"]
        refused_by, reason = "local_policy", "priority_file"
    else:
        failure = text.strip()[-500:] or "gnutls-cli exited %s" % result["returncode"]
        refused_by, reason = classify_failure(failure)
    result.update({"failure": failure, "refused_by": refused_by, "reason": reason})
    return result


def openssl_syntax_check(candidate_path, key_path, openssl_bin="openssl", timeout=10.0):
    """``openssl req -config CANDIDATE`` catches syntax errors that TLS clients silently ignore.

    Returns (ok, message).
    """
    argv = [openssl_bin, "req", "-config", candidate_path, "-new", "-key", key_path, "-subj", "/CN=mailtls-canary",
            "-out", os.devnull]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, "openssl req could not check the file: %s" % exc
    if proc.returncode != 0:
        return False, proc.stderr.decode("utf-8", "replace").strip()[-1000:]
    return True, ""


def _is_version_refusal(handshake):
    return (not handshake["ok"]) and handshake.get("reason") in VERSION_REASONS


def _run_suite(expectations, client, openssl_bin, timeout, workdir, cert):
    """Start each canary in turn, run ``client(port)``, compare with the expectation."""
    checks = []
    for flavour, expect in expectations:
        check = {"canary": flavour["name"], "server_flags": " ".join(flavour["flags"]),
                 "server_cipher": flavour["cipher"], "expect": expect}
        try:
            with Canary(flavour["flags"], cipher=flavour["cipher"], openssl_bin=openssl_bin, timeout=timeout,
                        cert=cert, workdir=workdir) as canary:
                check["port"] = canary.port
                handshake = client(canary.port)
        except CanaryError as exc:
            check.update({"passed": False, "error": str(exc)})
            checks.append(check)
            continue
        check["handshake"] = handshake
        if expect == "success":
            check["passed"] = bool(handshake["ok"])
            if not check["passed"]:
                check["error"] = "handshake failed: %s" % handshake.get("failure")
        else:
            check["passed"] = _is_version_refusal(handshake)
            if handshake["ok"]:
                check["error"] = "handshake succeeded with %s: the candidate does not refuse it" % handshake.get("protocol_label")
            elif not check["passed"]:
                check["error"] = "handshake failed, but not because of the protocol version (%s): %s" % (
                    handshake.get("reason"), handshake.get("failure"))
        checks.append(check)
    return checks


def _same_syntax_failure(candidate_path, candidate_message, baseline_path, key_path, openssl_path, timeout, roots=None):
    """True when the file in place fails ``openssl req`` with the very same message.

    Such an error (for example an ``oid_section`` entry OpenSSL 3 already
    defines) is not something the change brought in; the live handshakes stay
    the proof that the candidate is applied.
    """
    if not baseline_path or not os.path.isfile(baseline_path):
        return False
    baseline_ok, baseline_message = openssl_syntax_check(baseline_path, key_path, openssl_path, timeout)
    if baseline_ok:
        return False
    candidate_root, baseline_root = roots or (None, None)
    return _normal_error(baseline_message, baseline_path, baseline_root) == _normal_error(candidate_message, candidate_path, candidate_root)


def _normal_error(message, path, root=None):
    """OpenSSL prefixes each error line with the thread id, which differs per process; scratch roots differ per copy."""
    message = message.replace(path, "<config>")
    if root:
        message = message.replace(root, "<root>")
    return re.sub(r"(?m)^[0-9A-Fa-f]{8,}:", "", message)


def _validate(candidate_path, expectations, client_factory, openssl_bin, timeout, syntax_check, kind, baseline_path=None, roots=None):
    details = {"candidate": candidate_path, "kind": kind, "checks": [], "error": None}
    if not candidate_path or not os.path.isfile(candidate_path):
        details["error"] = "candidate file %s does not exist" % candidate_path
        return False, details
    openssl_path = find_binary(openssl_bin) if os.sep not in openssl_bin else openssl_bin
    if not openssl_path:
        details["error"] = "the openssl command is needed to run the canary servers and was not found"
        return False, details
    workdir = tempfile.mkdtemp(prefix="mailtls-canary-")
    try:
        os.chmod(workdir, 0o700)
        try:
            cert = make_self_signed(workdir, openssl_path, timeout)
        except CanaryError as exc:
            details["error"] = str(exc)
            return False, details
        if syntax_check:
            syntax_ok, message = openssl_syntax_check(candidate_path, cert[1], openssl_path, timeout)
            details["syntax_ok"] = syntax_ok
            if not syntax_ok and _same_syntax_failure(candidate_path, message, baseline_path, cert[1], openssl_path, timeout, roots):
                details["syntax_note"] = "openssl req rejects the current file the same way: %s" % message
            elif not syntax_ok:
                details["error"] = "the candidate does not load: %s" % message
                return False, details
        details["checks"] = _run_suite(expectations, client_factory(openssl_path), openssl_path, timeout, workdir, cert)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [check for check in details["checks"] if not check["passed"]]
    if failed:
        details["error"] = "; ".join("%s: %s" % (check["canary"], check.get("error")) for check in failed)
        return False, details
    return True, details


def minimum_expectations(min_protocol="TLSv1.2", legacy=(TLS10_RSA, TLS11_RSA)):
    """Canaries and expected outcomes that prove a minimum: everything below refused, the minimum itself reachable.

    For TLSv1.3 the TLS 1.2 canary must be refused too and a TLS 1.3 canary must succeed.
    """
    expectations = [(flavour, "refused") for flavour in legacy]
    if min_protocol == "TLSv1.3":
        return expectations + [(TLS12, "refused"), (TLS13, "success")]
    return expectations + [(TLS12, "success")]


def validate_openssl_conf(candidate_path, openssl_bin="openssl", timeout=10.0, baseline_path=None, min_protocol="TLSv1.2", roots=None):
    """Prove that ``candidate_path`` refuses every protocol below ``min_protocol`` and still allows it.

    With ``OPENSSL_CONF=candidate``, ``openssl s_client`` (no version flags)
    must fail for a protocol-version reason against TLS 1.0-only and TLS
    1.1-only kRSA canaries (and, for ``TLSv1.3``, a TLS 1.2-only one) and
    succeed against a canary of the minimum version; the file must also pass
    ``openssl req -config`` (or fail it exactly as the file in place,
    ``baseline_path``, already does; ``roots`` are the scratch directories of
    candidate and baseline, ignored in that comparison).  Returns
    ``(ok, details)``.
    """
    def client_factory(openssl_path):
        return lambda port: openssl_client_handshake(port, candidate_path, timeout, openssl_path)

    return _validate(candidate_path, minimum_expectations(min_protocol), client_factory, openssl_bin, timeout, True, "openssl",
                     baseline_path, roots)


def validate_openssl_conf_keeps_tls12(candidate_path, openssl_bin="openssl", timeout=10.0, baseline_path=None, roots=None):
    """Prove that ``candidate_path`` loads and a TLS 1.2-only server is still reachable with it."""
    def client_factory(openssl_path):
        return lambda port: openssl_client_handshake(port, candidate_path, timeout, openssl_path)

    return _validate(candidate_path, [(TLS12, "success")], client_factory, openssl_bin, timeout, True, "openssl", baseline_path, roots)


def validate_gnutls_config(candidate_path, gnutls_cli="gnutls-cli", openssl_bin="openssl", timeout=10.0,
                           expect_legacy_refused=True, min_protocol="TLSv1.2"):
    """Prove a GnuTLS system priority file with ``gnutls-cli`` under ``GNUTLS_SYSTEM_PRIORITY_FILE``.

    ``GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1`` makes an invalid file fail
    every handshake.  With ``expect_legacy_refused`` the TLS 1.0 canaries
    (kRSA and ECDHE: GnuTLS accepts both by default) and the TLS 1.1 one must
    be refused for a protocol-version reason, and for ``min_protocol`` TLSv1.3
    the TLS 1.2 one too, with a TLS 1.3 canary that must succeed; otherwise
    the TLS 1.2 canary must succeed.  Returns ``(ok, details)``.
    """
    cli = find_binary(gnutls_cli) if os.sep not in gnutls_cli else gnutls_cli
    if not cli:
        return False, {"candidate": candidate_path, "kind": "gnutls", "checks": [],
                       "error": "gnutls-cli was not found; cannot validate the GnuTLS file"}

    def client_factory(_openssl_path):
        return lambda port: gnutls_client_handshake(port, candidate_path, timeout, cli)

    expectations = [(TLS12, "success")]
    if expect_legacy_refused:
        expectations = minimum_expectations(min_protocol, (TLS10_RSA, TLS10_ECDHE, TLS11_RSA))
    return _validate(candidate_path, expectations, client_factory, openssl_bin, timeout, False, "gnutls")
