# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to mailtls.remediation: real TLS handshakes per endpoint, engine and protocol.

Used by the ``tls_probe`` module.  Standard library only; runs on the target.

Three engines, each the host's own TLS stack, none of them allowed to widen the
host policy:

``openssl``
    ``openssl s_client`` with ``-no_*`` flags for every version except the one
    under test.  Never ``-tls1``, ``-min_protocol`` or a cipher string: those
    would override ``MinProtocol``/``CipherString`` of the system config, and
    the point is to see what that config allows.
``python``
    The target's interpreter (``sys.executable``) in a child process, with
    ``ssl.SSLContext(PROTOCOL_TLS_CLIENT)`` narrowed by ``OP_NO_*`` options
    only.  ``minimum_version``/``maximum_version``/ciphers are left alone, so
    the interpreter's own floor (upstream Python >= 3.10: TLS 1.2; Debian's
    build: the OpenSSL config) is part of what is measured.  A child process
    lets ``OPENSSL_CONF`` differ per call and lets a hang be killed.
``gnutls``
    ``gnutls-cli`` with the priority ``<base>:-VERS-ALL:+VERS-<version>``.
    Tested on GnuTLS 3.7.9: the ``[overrides] disabled-version`` lines of the
    system priority file still apply to such an explicit priority string (the
    call then fails locally with "No or insufficient priorities were set"), so
    narrowing the versions this way cannot re-enable a disabled one.  The
    ``<base>`` is the file's ``default-priority-string`` if set, else
    ``@SYSTEM`` if its ``[priorities]`` section defines ``SYSTEM``, else
    ``NORMAL`` (``@SYSTEM`` is a syntax error when the keyword is undefined).

Every call is bounded: per try by ``timeout``, in total by ``total_timeout``;
only failed tries are retried, with exponential backoff.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

try:
    from concurrent.futures import ThreadPoolExecutor
except ImportError:  # pragma: no cover - Python 2 is not supported on targets
    ThreadPoolExecutor = None

PROTOCOLS = ("ssl3", "tls1_0", "tls1_1", "tls1_2", "tls1_3")
LEGACY_PROTOCOLS = ("ssl3", "tls1_0", "tls1_1")
DEFAULT_PROTOCOLS = ("tls1_0", "tls1_1", "tls1_2", "tls1_3")
ENGINES = ("python", "openssl", "gnutls")
SERVICES = ("imap", "pop3", "smtp")
MODES = ("implicit", "starttls")

DEFAULT_ENDPOINTS = (
    {"host": "outlook.office365.com", "port": 993, "service": "imap", "mode": "implicit"},
    {"host": "outlook.office365.com", "port": 995, "service": "pop3", "mode": "implicit"},
    {"host": "smtp.office365.com", "port": 587, "service": "smtp", "mode": "starttls"},
)

# Names as OpenSSL reports them (SSL_get_version) per protocol key.
OPENSSL_NAMES = {"ssl3": "SSLv3", "tls1_0": "TLSv1", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}
OPENSSL_NO_FLAGS = {"ssl3": "-no_ssl3", "tls1_0": "-no_tls1", "tls1_1": "-no_tls1_1", "tls1_2": "-no_tls1_2", "tls1_3": "-no_tls1_3"}
GNUTLS_VERSIONS = {"ssl3": "VERS-SSL3.0", "tls1_0": "VERS-TLS1.0", "tls1_1": "VERS-TLS1.1", "tls1_2": "VERS-TLS1.2", "tls1_3": "VERS-TLS1.3"}
PYTHON_TLS_VERSIONS = {"ssl3": "SSLv3", "tls1_0": "TLSv1", "tls1_1": "TLSv1_1", "tls1_2": "TLSv1_2", "tls1_3": "TLSv1_3"}
PYTHON_NO_OPTIONS = {"ssl3": "OP_NO_SSLv3", "tls1_0": "OP_NO_TLSv1", "tls1_1": "OP_NO_TLSv1_1", "tls1_2": "OP_NO_TLSv1_2", "tls1_3": "OP_NO_TLSv1_3"}

MAX_RETRIES = 10
MAX_FAILURE_TEXT = 2000
GNUTLS_SYSTEM_CONFIG = "/etc/gnutls/config"

# outcome of one try
SUCCESS = "success"
FAILURE = "failure"
ERROR = "error"
# outcome of a probe over its tries
INTERMITTENT = "intermittent"

# (compiled pattern, refused_by, reason); first match wins, order matters.
_FAILURE_RULES = [
    # the client could not even offer the version: local policy or build
    (r"no protocols available|NO_PROTOCOLS_AVAILABLE", "local_policy", "no_protocols_available"),
    (r"No or insufficient priorities were set", "local_policy", "no_protocols_available"),
    (r"Error in priorities|Syntax error at", "local_policy", "priority_string"),
    (r"unsupported ssl protocol version|min(imum)? .*greater than .*max", "local_policy", "min_above_max"),
    (r"GnuTLS system priority file (is )?invalid|system priority file", "local_policy", "priority_file"),
    # the server sent an alert
    (r"alert protocol version|ALERT_PROTOCOL_VERSION|Received alert \[70\]", "server", "protocol_version"),
    (r"alert handshake failure|ALERT_HANDSHAKE_FAILURE|Received alert \[40\]", "server", "handshake_failure"),
    (r"alert insufficient security|ALERT_INSUFFICIENT_SECURITY|Received alert \[71\]", "server", "insufficient_security"),
    (r"alert|A TLS fatal alert has been received", "server", "alert"),
    # the client rejected what the server chose
    (r"unsupported protocol|UNSUPPORTED_PROTOCOL|illegal or unsupported version|wrong version number|WRONG_VERSION_NUMBER",
     "client", "protocol_version"),
    (r"legacy sigalg|LEGACY_SIGALG|ee key too small|dh key too small|no shared cipher|NO_CIPHERS_AVAILABLE|no ciphers available",
     "client", "cipher_or_signature"),
    (r"certificate verify failed|CERTIFICATE_VERIFY_FAILED|verify error|Hostname mismatch|"
     r"Error in the certificate|certificate is NOT trusted|The certificate is NOT trusted|hostname",
     "client", "certificate"),
    # the server hung up in the middle of the handshake
    (r"unexpected eof|UNEXPECTED_EOF|EOF occurred in violation of protocol|Connection reset|ECONNRESET|"
     r"non-properly terminated|has been closed \(EOF\)|Error in the pull function|Error in the push function|"
     r"errno=104|write:errno=32|Broken pipe",
     "server", "connection_closed"),
    (r"STARTTLS|STLS|didn't find starttls|starttls", "server", "starttls"),
    # no TLS conversation at all
    (r"timed out|timeout|Timeout", "network", "timeout"),
    (r"Connection refused|errno=111|ECONNREFUSED|connect:errno|Could not connect|Cannot connect|"
     r"Name or service not known|Temporary failure in name resolution|No route to host|Network is unreachable|"
     r"getaddrinfo|nodename nor servname",
     "network", "connect"),
]
_COMPILED_RULES = [(re.compile(pattern), who, reason) for pattern, who, reason in _FAILURE_RULES]


def classify_failure(text):
    """Tell who refused a handshake, from the failure text of any engine.

    Returns ``(refused_by, reason)``. ``refused_by`` is ``local_policy`` (the
    client could not offer the version at all), ``server`` (an alert or a hang
    up from the peer, or a refused STARTTLS), ``client`` (the client rejected
    what the server chose: version, cipher, signature or certificate),
    ``network`` (no TLS conversation happened) or ``unknown``.
    """
    if not text:
        return "unknown", "unknown"
    for pattern, who, reason in _COMPILED_RULES:
        if pattern.search(text):
            return who, reason
    return "unknown", "unknown"


def attempt_status(refused_by):
    """Status of a failed try: network trouble is an ``error``, a refusal a ``failure``."""
    if refused_by in ("network", "engine"):
        return ERROR
    return FAILURE


def normalize_protocol(name):
    """Map an engine's version label (``TLSv1.2``, ``TLS1.2``, ``TLSv1``, ``SSL3.0``) to a protocol key."""
    if not name:
        return None
    text = name.strip().upper().replace("_", ".")
    match = re.match(r"^(TLS|SSL)V?(\d)(?:\.(\d))?", text)
    if not match:
        return None
    family, major, minor = match.group(1), match.group(2), match.group(3) or "0"
    if family == "SSL":
        return "ssl3" if major == "3" else None
    if major == "1" and minor in ("0", "1", "2", "3"):
        return "tls1_%s" % minor
    return None


def openssl_version_flags(protocol):
    """``-no_*`` flags that leave only ``protocol`` enabled, without touching the configured floor."""
    if protocol not in OPENSSL_NO_FLAGS:
        raise ValueError("unknown protocol %r" % (protocol,))
    return [OPENSSL_NO_FLAGS[other] for other in PROTOCOLS if other != protocol]


def python_no_options(protocol):
    """Names of the ``ssl.OP_NO_*`` options that leave only ``protocol`` enabled."""
    if protocol not in PYTHON_NO_OPTIONS:
        raise ValueError("unknown protocol %r" % (protocol,))
    return [PYTHON_NO_OPTIONS[other] for other in PROTOCOLS if other != protocol]


# ---------------------------------------------------------------------------
# GnuTLS priority
# ---------------------------------------------------------------------------
def parse_gnutls_config(text):
    """Parse a GnuTLS system priority file into ``{section: [(key, value), ...]}``."""
    sections = {}
    current = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip().lower()
            sections.setdefault(current, [])
            continue
        if "=" in line and current is not None:
            key, value = line.split("=", 1)
            sections[current].append((key.strip().lower(), value.strip()))
    return sections


def gnutls_base_priority(config_text):
    """The priority an application using the library default would start from.

    ``default-priority-string`` (in ``[overrides]`` or ``[global]``) wins, then
    ``@SYSTEM`` when ``[priorities]`` defines ``SYSTEM``, else ``NORMAL``.
    """
    sections = parse_gnutls_config(config_text)
    for section in ("overrides", "global"):
        for key, value in sections.get(section, []):
            if key == "default-priority-string" and value:
                return value
    for key, value in sections.get("priorities", []):
        if key == "system" and value:
            return "@SYSTEM"
    return "NORMAL"


def gnutls_priority(protocol, base="NORMAL"):
    """Priority string that narrows ``base`` to ``protocol``; the system overrides still apply."""
    if protocol not in GNUTLS_VERSIONS:
        raise ValueError("unknown protocol %r" % (protocol,))
    return "%s:-VERS-ALL:+%s" % (base, GNUTLS_VERSIONS[protocol])


def _read_text(path):
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return ""


# ---------------------------------------------------------------------------
# STARTTLS dialogue (pure: works on callables, so it is unit-testable)
# ---------------------------------------------------------------------------
class StartTLSError(Exception):
    """The plain-text part of a STARTTLS dialogue went wrong."""


def smtp_reply(lines):
    """Parse one (possibly multi-line) SMTP reply.

    Returns ``(code, texts, complete)``; ``complete`` is True once the last
    line (``NNN text`` without a dash) has been seen.
    """
    code = None
    texts = []
    for line in lines:
        line = line.rstrip("\r\n")
        match = re.match(r"^(\d{3})([ -]?)(.*)$", line)
        if not match:
            raise StartTLSError("malformed SMTP reply line %r" % line)
        if code is None:
            code = int(match.group(1))
        elif int(match.group(1)) != code:
            raise StartTLSError("SMTP reply codes disagree: %r" % line)
        texts.append(match.group(3))
        if match.group(2) != "-":
            return code, texts, True
    return code, texts, False


def imap_tagged_status(line, tag):
    """``OK``/``NO``/``BAD`` for the tagged IMAP response line ``line`` of ``tag``, else None."""
    parts = line.rstrip("\r\n").split(" ", 2)
    if len(parts) >= 2 and parts[0] == tag and parts[1].upper() in ("OK", "NO", "BAD"):
        return parts[1].upper()
    return None


def _read_smtp_reply(recv_line, max_lines=100):
    lines = []
    for _index in range(max_lines):
        line = recv_line()
        if not line:
            raise StartTLSError("connection closed during SMTP reply after %r" % (lines,))
        lines.append(line)
        code, texts, complete = smtp_reply(lines)
        if complete:
            return code, texts
    raise StartTLSError("SMTP reply longer than %d lines" % max_lines)


def starttls_dialogue(service, recv_line, send, ehlo_name="localhost", max_lines=100):
    """Drive the plain-text part of STARTTLS until the server says "go ahead".

    ``recv_line()`` returns one line (str, with or without CRLF; '' on EOF);
    ``send(str)`` writes one command line.  Returns the list of exchanged
    lines (for the record) or raises ``StartTLSError``.
    """
    transcript = []

    def get():
        line = recv_line()
        transcript.append("S: " + line.rstrip("\r\n"))
        return line

    def put(line):
        transcript.append("C: " + line)
        send(line + "\r\n")

    if service == "imap":
        greeting = get()
        if not greeting.startswith("* OK") and not greeting.startswith("* PREAUTH"):
            raise StartTLSError("unexpected IMAP greeting %r" % greeting.rstrip())
        put("a STARTTLS")
        for _index in range(max_lines):
            line = get()
            if not line:
                raise StartTLSError("connection closed after STARTTLS")
            status = imap_tagged_status(line, "a")
            if status == "OK":
                return transcript
            if status is not None:
                raise StartTLSError("STARTTLS refused: %s" % line.rstrip())
        raise StartTLSError("no tagged answer to STARTTLS")
    if service == "pop3":
        greeting = get()
        if not greeting.startswith("+OK"):
            raise StartTLSError("unexpected POP3 greeting %r" % greeting.rstrip())
        put("STLS")
        line = get()
        if not line.startswith("+OK"):
            raise StartTLSError("STLS refused: %s" % line.rstrip())
        return transcript
    if service == "smtp":
        code, texts = _read_smtp_reply(get, max_lines)
        if code != 220:
            raise StartTLSError("unexpected SMTP greeting %d %s" % (code, " ".join(texts)))
        put("EHLO %s" % ehlo_name)
        code, texts = _read_smtp_reply(get, max_lines)
        if code != 250:
            raise StartTLSError("EHLO refused: %d %s" % (code, " ".join(texts)))
        if not any(text.upper().split(" ")[0] == "STARTTLS" for text in texts):
            raise StartTLSError("server does not offer STARTTLS")
        put("STARTTLS")
        code, texts = _read_smtp_reply(get, max_lines)
        if code != 220:
            raise StartTLSError("STARTTLS refused: %d %s" % (code, " ".join(texts)))
        return transcript
    raise StartTLSError("no STARTTLS dialogue for service %r" % (service,))


class _LineReader(object):
    """Line reader on a plain socket that never reads past the line asked for."""

    def __init__(self, sock, limit=8192):
        self.sock = sock
        self.limit = limit

    def __call__(self):
        data = b""
        while not data.endswith(b"\n"):
            if len(data) >= self.limit:
                raise StartTLSError("line longer than %d bytes" % self.limit)
            chunk = self.sock.recv(1)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# Python engine: the child process
# ---------------------------------------------------------------------------
def python_child_main(request):
    """Entry point of the python engine's child process; prints one JSON line."""
    import ssl  # pylint: disable=import-outside-toplevel
    import warnings  # pylint: disable=import-outside-toplevel

    result = {"ok": False, "stage": "setup"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if request.get("bounds"):
                low, high = request["bounds"]
                if low:
                    ctx.minimum_version = getattr(ssl.TLSVersion, PYTHON_TLS_VERSIONS[low])
                if high:
                    ctx.maximum_version = getattr(ssl.TLSVersion, PYTHON_TLS_VERSIONS[high])
            else:
                for name in python_no_options(request["protocol"]):
                    option = getattr(ssl, name, None)
                    if option is not None:
                        ctx.options |= option
        result["openssl_version"] = ssl.OPENSSL_VERSION
        if request.get("validate_certs", True):
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.check_hostname = True
            ca_path = request.get("ca_path")
            if ca_path and os.path.isdir(ca_path):
                ctx.load_verify_locations(capath=ca_path)
            elif ca_path:
                ctx.load_verify_locations(cafile=ca_path)
            else:
                ctx.load_default_certs()
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        timeout = float(request.get("timeout", 10))
        result["stage"] = "connect"
        raw = socket.create_connection((request["host"], int(request["port"])), timeout=timeout)
        try:
            raw.settimeout(timeout)
            if request.get("mode") == "starttls":
                result["stage"] = "starttls"
                local = raw.getsockname()[0]
                ehlo = "[IPv6:%s]" % local if ":" in local else "[%s]" % local
                result["transcript"] = starttls_dialogue(
                    request["service"], _LineReader(raw), lambda line: raw.sendall(line.encode("ascii")), ehlo_name=ehlo)
            result["stage"] = "handshake"
            name = request.get("server_name") or request["host"]
            tls = ctx.wrap_socket(raw, server_hostname=name)
            result.update({"ok": True, "stage": "done", "version": tls.version(), "cipher": (tls.cipher() or [None])[0]})
            try:
                tls.close()
            except (OSError, ValueError):
                pass
        finally:
            raw.close()
    except StartTLSError as exc:
        result["error"] = "STARTTLS failed: %s" % exc
        result["error_type"] = "StartTLSError"
    except socket.timeout as exc:
        result["error"] = "timed out during %s: %s" % (result["stage"], exc)
        result["error_type"] = "timeout"
    except Exception as exc:  # pylint: disable=broad-except
        result["error"] = str(exc) or exc.__class__.__name__
        result["error_type"] = exc.__class__.__name__
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def _import_root():
    """The sys.path entry this module was imported from (a directory or a zip payload)."""
    path = os.path.abspath(__file__)
    for _index in range(len(__name__.split("."))):
        path = os.path.dirname(path)
    return path


_CHILD_BOOT = (
    "import sys, json, importlib\n"
    "request = json.loads(sys.stdin.read())\n"
    "sys.path.insert(0, request['import_root'])\n"
    "importlib.import_module(request['module']).python_child_main(request)\n"
)


# ---------------------------------------------------------------------------
# Settings and engine runners
# ---------------------------------------------------------------------------
class ProbeSettings(object):
    """Everything a probe needs besides endpoint and protocol."""

    def __init__(self, validate_certs=True, ca_path=None, server_name=None, timeout=10.0, retries=3, backoff=1.0,
                 total_timeout=60.0, openssl_conf=None, gnutls_priority_file=None, python=None,
                 openssl_bin=None, gnutls_cli=None, workers=4):
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.server_name = server_name
        self.timeout = float(timeout)
        self.retries = max(0, min(int(retries), MAX_RETRIES))
        self.backoff = max(0.0, float(backoff))
        self.total_timeout = float(total_timeout)
        self.openssl_conf = openssl_conf
        self.gnutls_priority_file = gnutls_priority_file
        self.python = python or sys.executable
        self.openssl_bin = openssl_bin if openssl_bin is not None else find_binary("openssl")
        self.gnutls_cli = gnutls_cli if gnutls_cli is not None else find_binary("gnutls-cli")
        self.workers = max(1, int(workers))


def find_binary(name):
    """Path of an executable on PATH or in the usual bin directories, or None."""
    found = shutil.which(name)
    if found:
        return found
    for folder in ("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def available_engines(settings=None):
    """Engines usable on this host, in preference order."""
    settings = settings or ProbeSettings()
    found = []
    if settings.python:
        found.append("python")
    if settings.openssl_bin:
        found.append("openssl")
    if settings.gnutls_cli:
        found.append("gnutls")
    return found


def _is_ip(text):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
            return True
        except (OSError, ValueError):
            continue
    return False


def _endpoint_name(endpoint, settings):
    return endpoint.get("server_name") or settings.server_name or endpoint["host"]


def _clip(text):
    text = (text or "").strip()
    if len(text) > MAX_FAILURE_TEXT:
        return text[:MAX_FAILURE_TEXT] + " [...]"
    return text


def _env_with(**values):
    env = dict(os.environ)
    for key, value in values.items():
        if value is None:
            continue
        env[key] = value
    return env


def _run(argv, env, timeout, stdin_data=None):
    """Run argv with a hard timeout. Returns (rc, stdout, stderr, timed_out)."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, close_fds=True)
    except OSError as exc:
        return None, "", "cannot run %s: %s" % (argv[0], exc), False
    try:
        out, err = proc.communicate(input=stdin_data or b"", timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        timed_out = True
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out


def parse_openssl_output(text):
    """Pull (connected, protocol label, cipher, error lines) out of ``s_client -brief`` output."""
    connected = "CONNECTION ESTABLISHED" in text
    version = None
    cipher = None
    errors = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Protocol version:"):
            version = line.split(":", 1)[1].strip()
        elif line.startswith("Ciphersuite:"):
            cipher = line.split(":", 1)[1].strip()
        elif ":error:" in line or line.startswith("connect:") or "didn't find starttls" in line \
                or line.startswith("Verify return code") and not line.endswith("(ok)") or line.startswith("verify error:"):
            errors.append(line)
    return connected, version, cipher, errors


def openssl_error_text(errors):
    """Readable failure text from OpenSSL error lines (the reason strings, then the raw lines)."""
    reasons = []
    for line in errors:
        parts = line.split(":")
        if len(parts) >= 6 and parts[1] == "error":
            reasons.append(parts[5])
    raw = "; ".join(errors)
    if reasons:
        return "%s (%s)" % (", ".join(reasons), raw)
    return raw


def run_openssl(endpoint, protocol, settings, timeout, flags=None):
    """One ``openssl s_client`` try. Returns an attempt dict.

    ``flags`` replaces the per-version ``-no_*`` flags (a client probe passes its own bounds; ``protocol`` is then None).
    """
    host, port = endpoint["host"], int(endpoint["port"])
    target = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    name = _endpoint_name(endpoint, settings)
    argv = [settings.openssl_bin, "s_client", "-connect", target, "-brief", "-no_ign_eof"]
    argv += openssl_version_flags(protocol) if flags is None else list(flags)
    if _is_ip(name):
        argv.append("-noservername")
    else:
        argv += ["-servername", name]
    if endpoint.get("mode") == "starttls":
        argv += ["-starttls", endpoint["service"]]
    if settings.validate_certs:
        argv.append("-verify_return_error")
        argv += ["-verify_ip", name] if _is_ip(name) else ["-verify_hostname", name]
        if settings.ca_path:
            argv += ["-CApath" if os.path.isdir(settings.ca_path) else "-CAfile", settings.ca_path]
    env = _env_with(OPENSSL_CONF=settings.openssl_conf)
    rc, out, err, timed_out = _run(argv, env, timeout)
    attempt = {"command": " ".join(argv)}
    text = out + "\n" + err
    if rc is None:
        attempt.update(_failed(err, "engine", "engine_missing"))
        return attempt
    connected, version, cipher, errors = parse_openssl_output(text)
    if timed_out:
        attempt.update(_failed("timed out after %.1fs%s" % (timeout, (": " + openssl_error_text(errors)) if errors else ""),
                               "network", "timeout"))
        return attempt
    if rc == 0 and connected:
        attempt.update(_succeeded(version, cipher, protocol))
        return attempt
    message = openssl_error_text(errors) if errors else _clip(err or out) or "openssl s_client exited %s" % rc
    attempt.update(_failed(message))
    return attempt


def parse_gnutls_output(text):
    """Pull (completed, protocol label, cipher description, error lines) out of gnutls-cli output."""
    completed = "Handshake was completed" in text
    version = None
    cipher = None
    errors = []
    for line in text.splitlines():
        stripped = line.strip()
        match = re.match(r"^- Description: \(([^)]*)\)-(.*)$", stripped)
        if match:
            version = match.group(1).split("-")[0]
            cipher = match.group(2).replace(")-(", "-").strip("()")
        elif stripped.startswith("*** ") and "PKI verification of server certificate failed" not in stripped:
            errors.append(stripped[4:])
        elif stripped.startswith("Error") or stripped.startswith("Syntax error") or stripped.startswith("Fatal error"):
            errors.append(stripped)
        elif "Could not connect" in stripped or "Cannot connect" in stripped or "Cannot resolve" in stripped:
            errors.append(stripped)
    return completed, version, cipher, errors


def run_gnutls(endpoint, protocol, settings, timeout, priority=None):
    """One ``gnutls-cli`` try. Returns an attempt dict; ``priority`` replaces the per-version one (client probes)."""
    if priority is None:
        priority_file = settings.gnutls_priority_file or os.environ.get("GNUTLS_SYSTEM_PRIORITY_FILE") or GNUTLS_SYSTEM_CONFIG
        base = gnutls_base_priority(_read_text(priority_file))
        priority = gnutls_priority(protocol, base)
    name = _endpoint_name(endpoint, settings)
    argv = [settings.gnutls_cli, "--port", str(int(endpoint["port"])), "--priority", priority]
    if endpoint.get("mode") == "starttls":
        argv += ["--starttls-proto", endpoint["service"]]
    if _is_ip(name):
        argv.append("--disable-sni")
    else:
        argv += ["--sni-hostname", name]
    if settings.validate_certs:
        argv += ["--verify-hostname", name]
        if settings.ca_path and os.path.isfile(settings.ca_path):
            argv += ["--x509cafile", settings.ca_path]
    else:
        argv.append("--insecure")
    argv.append(endpoint["host"])
    env = _env_with(GNUTLS_SYSTEM_PRIORITY_FILE=settings.gnutls_priority_file)
    rc, out, err, timed_out = _run(argv, env, timeout)
    attempt = {"command": " ".join(argv), "priority": priority}
    if rc is None:
        attempt.update(_failed(err, "engine", "engine_missing"))
        return attempt
    completed, version, cipher, errors = parse_gnutls_output(out + "\n" + err)
    if timed_out:
        attempt.update(_failed("timed out after %.1fs%s" % (timeout, (": " + "; ".join(errors)) if errors else ""),
                               "network", "timeout"))
        return attempt
    if completed and version:
        attempt.update(_succeeded(version, cipher, protocol))
        return attempt
    message = "; ".join(errors) if errors else _clip(err or out) or "gnutls-cli exited %s" % rc
    if not errors and rc not in (0, None) and not (err or out).strip():
        message = "gnutls-cli exited %s without output (an invalid priority file with GNUTLS_SYSTEM_PRIORITY_FAIL_ON_INVALID=1 does this)" % rc
    attempt.update(_failed(message))
    return attempt


def run_python(endpoint, protocol, settings, timeout, bounds=None):
    """One try with the target's Python ``ssl`` module in a child process; ``bounds`` (min, max) replaces ``protocol``."""
    request = {
        "bounds": list(bounds) if bounds else None,
        "import_root": _import_root(),
        "module": __name__,
        "host": endpoint["host"],
        "port": int(endpoint["port"]),
        "service": endpoint.get("service"),
        "mode": endpoint.get("mode", "implicit"),
        "protocol": protocol,
        "timeout": timeout,
        "validate_certs": settings.validate_certs,
        "ca_path": settings.ca_path,
        "server_name": endpoint.get("server_name") or settings.server_name,
    }
    env = _env_with(OPENSSL_CONF=settings.openssl_conf)
    argv = [settings.python, "-c", _CHILD_BOOT]
    # the child's socket timeout applies per operation; the hard kill bounds the whole try
    rc, out, err, timed_out = _run(argv, env, timeout + 0.5, json.dumps(request).encode("utf-8"))
    if bounds:
        how = "minimum_version %s, maximum_version %s" % tuple(b or "default" for b in bounds)
    else:
        how = ", ".join(python_no_options(protocol))
    attempt = {"command": "%s (ssl module, %s)" % (settings.python, how)}
    if rc is None:
        attempt.update(_failed(err, "engine", "engine_missing"))
        return attempt
    if timed_out:
        attempt.update(_failed("timed out after %.1fs (child killed)" % timeout, "network", "timeout"))
        return attempt
    result = None
    for line in reversed(out.splitlines()):
        try:
            result = json.loads(line)
            break
        except ValueError:
            continue
    if not isinstance(result, dict):
        attempt.update(_failed("python engine gave no result (rc=%s): %s" % (rc, _clip(err)), "engine", "engine_error"))
        return attempt
    if result.get("openssl_version"):
        attempt["library"] = result["openssl_version"]
    if result.get("ok"):
        attempt.update(_succeeded(result.get("version"), result.get("cipher"), protocol))
        return attempt
    message = result.get("error") or "unknown error"
    if result.get("error_type") == "timeout":
        attempt.update(_failed(message, "network", "timeout"))
    elif result.get("stage") == "connect":
        attempt.update(_failed(message, "network", "connect"))
    elif result.get("error_type") == "StartTLSError":
        attempt.update(_failed(message, "server", "starttls"))
    else:
        attempt.update(_failed(message))
    return attempt


ENGINE_RUNNERS = {"openssl": run_openssl, "gnutls": run_gnutls, "python": run_python}


def _succeeded(version_label, cipher, wanted):
    negotiated = normalize_protocol(version_label)
    if wanted is not None and negotiated != wanted:
        text = "negotiated %s although only %s was enabled" % (version_label, wanted)
        return {"status": FAILURE, "negotiated_protocol": negotiated, "negotiated_label": version_label,
                "cipher": cipher, "failure": text, "refused_by": "unknown", "reason": "unexpected_version"}
    return {"status": SUCCESS, "negotiated_protocol": negotiated, "negotiated_label": version_label, "cipher": cipher,
            "failure": None, "refused_by": None, "reason": None}


def _failed(text, refused_by=None, reason=None):
    text = _clip(text)
    if refused_by is None:
        refused_by, reason = classify_failure(text)
    return {"status": attempt_status(refused_by), "negotiated_protocol": None, "negotiated_label": None, "cipher": None,
            "failure": text, "refused_by": refused_by, "reason": reason}


# ---------------------------------------------------------------------------
# Retry, backoff, aggregation
# ---------------------------------------------------------------------------
def should_retry(attempt):
    """Retry failed tries, except those refused by local policy or a missing engine (they cannot change)."""
    if attempt["status"] == SUCCESS:
        return False
    return attempt.get("refused_by") not in ("local_policy", "engine")


def backoff_delay(backoff, attempt_number):
    """Seconds to wait after failed try ``attempt_number`` (1-based): backoff, 2*backoff, 4*backoff..."""
    return float(backoff) * (2 ** (attempt_number - 1))


def aggregate_outcome(attempts):
    """Outcome over the tries: success, failure, intermittent (tries disagree) or error."""
    statuses = [attempt["status"] for attempt in attempts]
    if not statuses:
        return ERROR
    if SUCCESS in statuses:
        return INTERMITTENT if any(status != SUCCESS for status in statuses) else SUCCESS
    if FAILURE in statuses:
        return FAILURE
    return ERROR


def probe_with_retries(runner, endpoint, protocol, settings, deadline, clock=time.monotonic, sleep=time.sleep, started=None):
    """Run ``runner`` until it succeeds, retries run out, or the deadline comes.

    Returns the list of attempt dicts, each with ``attempt`` (1-based),
    ``start`` (seconds since ``started``) and ``duration``.  ``clock`` and
    ``sleep`` are injectable for tests.
    """
    started = clock() if started is None else started
    attempts = []
    for number in range(1, settings.retries + 2):
        remaining = deadline - clock()
        if remaining <= 0.05:
            break
        try_timeout = min(settings.timeout, remaining)
        begin = clock()
        attempt = runner(endpoint, protocol, settings, try_timeout)
        attempt["attempt"] = number
        attempt["start"] = round(begin - started, 3)
        attempt["duration"] = round(clock() - begin, 3)
        attempt["timeout"] = round(try_timeout, 3)
        attempts.append(attempt)
        if not should_retry(attempt) or number > settings.retries:
            break
        delay = backoff_delay(settings.backoff, number)
        if clock() + delay >= deadline - 0.05:
            attempt["note"] = "no retry: backoff of %.1fs would pass total_timeout" % delay
            break
        if delay > 0:
            sleep(delay)
    return attempts


def summarize_probe(endpoint, engine, protocol, attempts, total_timeout):
    """Per endpoint x engine x protocol result from its attempts."""
    outcome = aggregate_outcome(attempts)
    result = {
        "host": endpoint["host"], "port": int(endpoint["port"]), "service": endpoint.get("service"),
        "mode": endpoint.get("mode", "implicit"), "engine": engine, "protocol": protocol, "outcome": outcome,
        "negotiated_protocol": None, "cipher": None, "failure": None, "refused_by": None, "reason": None,
        "attempts": attempts, "attempt_count": len(attempts),
    }
    if not attempts:
        result.update({"failure": "not attempted: total_timeout of %ss used up" % total_timeout, "refused_by": "network",
                       "reason": "total_timeout"})
        return result
    successes = [attempt for attempt in attempts if attempt["status"] == SUCCESS]
    failures = [attempt for attempt in attempts if attempt["status"] != SUCCESS]
    if successes:
        result["negotiated_protocol"] = successes[-1]["negotiated_protocol"]
        result["cipher"] = successes[-1]["cipher"]
    if failures:
        last = failures[-1]
        result.update({"failure": last["failure"], "refused_by": last["refused_by"], "reason": last["reason"]})
    for key in ("command", "priority", "library"):
        if attempts[-1].get(key):
            result[key] = attempts[-1][key]
    return result


def endpoint_label(endpoint):
    return "%s://%s:%s (%s)" % (endpoint.get("service"), endpoint["host"], endpoint["port"], endpoint.get("mode", "implicit"))


def summarize_endpoint(endpoint, results):
    """Per-endpoint summary: does TLS 1.2 work, was any legacy protocol accepted, and a verdict."""
    mine = [result for result in results
            if result["host"] == endpoint["host"] and result["port"] == int(endpoint["port"])
            and result["service"] == endpoint.get("service") and result["mode"] == endpoint.get("mode", "implicit")]
    positive = (SUCCESS, INTERMITTENT)

    def ok_for(protocol):
        subset = [result for result in mine if result["protocol"] == protocol]
        if not subset:
            return None, []
        engines = sorted(result["engine"] for result in subset if result["outcome"] in positive)
        return bool(engines), engines

    tls12_ok, tls12_engines = ok_for("tls1_2")
    tls13_ok, tls13_engines = ok_for("tls1_3")
    legacy = sorted("%s:%s" % (result["engine"], result["protocol"]) for result in mine
                    if result["protocol"] in LEGACY_PROTOCOLS and result["outcome"] in positive)
    intermittent = sorted("%s:%s" % (result["engine"], result["protocol"]) for result in mine if result["outcome"] == INTERMITTENT)
    errors = sorted("%s:%s" % (result["engine"], result["protocol"]) for result in mine if result["outcome"] == ERROR)
    modern_ok = bool(tls12_ok or tls13_ok)
    if legacy:
        verdict = "legacy_accepted"
        message = "this host still negotiates legacy TLS with this endpoint (%s)" % ", ".join(legacy)
    elif modern_ok:
        verdict = "ok"
        message = "TLS 1.2 or newer works (%s) and no legacy protocol was negotiated" % ", ".join(
            ["tls1_2:" + engine for engine in tls12_engines] + ["tls1_3:" + engine for engine in tls13_engines])
    elif mine and all(result["outcome"] == ERROR for result in mine):
        verdict = "unreachable"
        message = "no TLS conversation took place (%s)" % "; ".join(sorted(set(result["failure"] or "" for result in mine)))[:500]
    elif tls12_ok is None and tls13_ok is None:
        verdict = "legacy_refused"
        message = "no legacy protocol was negotiated (TLS 1.2 and 1.3 were not probed)"
    else:
        verdict = "no_modern_tls"
        message = "no engine completed a TLS 1.2 or TLS 1.3 handshake with this endpoint"
    if intermittent:
        message += "; intermittent: %s" % ", ".join(intermittent)
    return {
        "endpoint": endpoint_label(endpoint), "host": endpoint["host"], "port": int(endpoint["port"]),
        "service": endpoint.get("service"), "mode": endpoint.get("mode", "implicit"),
        "tls12_ok": tls12_ok, "tls12_engines": tls12_engines, "tls13_ok": tls13_ok, "tls13_engines": tls13_engines,
        "legacy_accepted": bool(legacy), "legacy_accepted_by": legacy, "intermittent": intermittent, "errors": errors,
        "verdict": verdict, "message": message,
    }


def run_probes(endpoints, protocols, engines, settings, clock=time.monotonic):
    """Probe every endpoint x engine x protocol, bounded by ``settings.total_timeout``.

    Returns ``(results, summaries, elapsed)``.
    """
    started = clock()
    deadline = started + settings.total_timeout
    jobs = []
    for endpoint in endpoints:
        for engine in engines:
            for protocol in protocols:
                jobs.append((endpoint, engine, protocol))
    outputs = [None] * len(jobs)
    lock = threading.Lock()

    def work(index):
        endpoint, engine, protocol = jobs[index]
        runner = ENGINE_RUNNERS[engine]
        attempts = probe_with_retries(runner, endpoint, protocol, settings, deadline, clock=clock, started=started)
        summary = summarize_probe(endpoint, engine, protocol, attempts, settings.total_timeout)
        with lock:
            outputs[index] = summary

    if ThreadPoolExecutor is not None and settings.workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=min(settings.workers, len(jobs))) as pool:
            list(pool.map(work, range(len(jobs))))
    else:
        for index in range(len(jobs)):
            work(index)
    summaries = [summarize_endpoint(endpoint, outputs) for endpoint in endpoints]
    return outputs, summaries, round(clock() - started, 3)


def normalize_endpoints(endpoints):
    """Validate and fill in endpoint dicts; raises ValueError on bad input."""
    result = []
    for index, entry in enumerate(endpoints or DEFAULT_ENDPOINTS):
        if not isinstance(entry, dict):
            raise ValueError("endpoints[%d] must be a dict" % index)
        host = entry.get("host")
        if not host:
            raise ValueError("endpoints[%d].host is required" % index)
        try:
            port = int(entry.get("port"))
        except (TypeError, ValueError):
            raise ValueError("endpoints[%d].port must be an integer" % index)
        if not 0 < port < 65536:
            raise ValueError("endpoints[%d].port %d is out of range" % (index, port))
        service = entry.get("service") or "imap"
        mode = entry.get("mode") or "implicit"
        if service not in SERVICES:
            raise ValueError("endpoints[%d].service must be one of %s" % (index, ", ".join(SERVICES)))
        if mode not in MODES:
            raise ValueError("endpoints[%d].mode must be one of %s" % (index, ", ".join(MODES)))
        normalized = {"host": str(host), "port": port, "service": service, "mode": mode}
        if entry.get("server_name"):
            normalized["server_name"] = str(entry["server_name"])
        result.append(normalized)
    return result


# ---------------------------------------------------------------------------
# Client probes: one handshake per client and endpoint, with the client's own bounds
# ---------------------------------------------------------------------------
CLIENT_LIBRARIES = ("openssl", "gnutls", "python")
MODERN = ("tls1_2", "tls1_3")


def bounds_from_versions(versions):
    """(lowest, highest) protocol a client's own settings leave on; ``versions`` maps protocol -> state
    (``on``/``lib``: allowed or left to the library, ``off``: refused, ``unknown``). (None, None) when all are off."""
    allowed = [p for p in PROTOCOLS if (versions.get(p) or "lib") != "off"]
    if not allowed:
        return None, None
    low, high = allowed[0], allowed[-1]
    return (None if low == PROTOCOLS[0] else low), (None if high == PROTOCOLS[-1] else high)


def openssl_bound_flags(low, high):
    """``-min_protocol``/``-max_protocol`` for s_client (OpenSSL 1.1.0 and newer); the configuration still applies."""
    flags = []
    if low:
        flags += ["-min_protocol", OPENSSL_NAMES[low]]
    if high:
        flags += ["-max_protocol", OPENSSL_NAMES[high]]
    return flags


def gnutls_bound_priority(low, high, base="NORMAL"):
    """Priority string narrowing ``base`` to the versions between ``low`` and ``high``; system overrides still apply."""
    versions = PROTOCOLS[PROTOCOLS.index(low) if low else 0:(PROTOCOLS.index(high) + 1) if high else len(PROTOCOLS)]
    return "%s:-VERS-ALL:%s" % (base, ":".join("+" + GNUTLS_VERSIONS[p] for p in reversed(versions)))


def normalize_clients(clients):
    """Validate client probe entries: name, library, min_protocol, max_protocol, priority. Raises ValueError."""
    out = []
    for index, entry in enumerate(clients or []):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ValueError("clients[%d] needs a name" % index)
        library = entry.get("library")
        if library not in CLIENT_LIBRARIES:
            raise ValueError("clients[%d] (%s): library must be one of %s, not %r" % (index, entry["name"], ", ".join(CLIENT_LIBRARIES), library))
        for key in ("min_protocol", "max_protocol"):
            if entry.get(key) not in (None,) + PROTOCOLS:
                raise ValueError("clients[%d] (%s): %s must be one of %s" % (index, entry["name"], key, ", ".join(PROTOCOLS)))
        low, high = entry.get("min_protocol"), entry.get("max_protocol")
        if low and high and PROTOCOLS.index(low) > PROTOCOLS.index(high):
            raise ValueError("clients[%d] (%s): min_protocol %s is above max_protocol %s" % (index, entry["name"], low, high))
        out.append({"name": entry["name"], "library": library, "min_protocol": low, "max_protocol": high,
                    "priority": entry.get("priority"), "path": entry.get("path"), "client": entry.get("client")})
    return out


def _client_runner(entry):
    low, high = entry["min_protocol"], entry["max_protocol"]
    if entry["library"] == "openssl":
        return lambda endpoint, _protocol, settings, timeout: run_openssl(endpoint, None, settings, timeout, flags=openssl_bound_flags(low, high))
    if entry["library"] == "gnutls":
        def gnutls(endpoint, _protocol, settings, timeout):
            priority = entry["priority"]
            if not priority:
                priority_file = settings.gnutls_priority_file or os.environ.get("GNUTLS_SYSTEM_PRIORITY_FILE") or GNUTLS_SYSTEM_CONFIG
                priority = gnutls_bound_priority(low, high, gnutls_base_priority(_read_text(priority_file)))
            return run_gnutls(endpoint, None, settings, timeout, priority=priority)
        return gnutls
    return lambda endpoint, _protocol, settings, timeout: run_python(endpoint, None, settings, timeout, bounds=(low, high))


def run_client_probes(clients, endpoints, settings, clock=time.monotonic):
    """Probe every client x endpoint through the client's library and bounds, bounded by ``settings.total_timeout``.

    Returns ``(results, summaries)``: a result per client and endpoint, and per client ``ok`` (TLS 1.2 or newer
    negotiated with every endpoint) with the endpoints that failed.
    """
    started = clock()
    deadline = started + settings.total_timeout
    available = {"openssl": bool(settings.openssl_bin), "gnutls": bool(settings.gnutls_cli), "python": bool(settings.python)}
    results = []
    for entry in clients:
        runner = _client_runner(entry)
        for endpoint in endpoints:
            if not available[entry["library"]]:
                attempts = [dict(_failed("the %s engine is not available on this host" % entry["library"], "engine", "engine_missing"),
                                 attempt=1, start=0.0, duration=0.0)]
            else:
                attempts = probe_with_retries(runner, endpoint, None, settings, deadline, clock=clock, started=started)
            result = summarize_probe(endpoint, entry["library"], None, attempts, settings.total_timeout)
            del result["protocol"]
            result.update({"client": entry["name"], "library": entry["library"], "min_protocol": entry["min_protocol"],
                           "max_protocol": entry["max_protocol"], "path": entry["path"],
                           "ok": result["outcome"] == SUCCESS and result["negotiated_protocol"] in MODERN})
            if result["outcome"] == SUCCESS and not result["ok"]:
                result["failure"] = "negotiated %s, below TLS 1.2" % result["negotiated_protocol"]
            results.append(result)
    summaries = []
    for entry in clients:
        mine = [r for r in results if r["client"] == entry["name"]]
        failing = [endpoint_label(r) + ": " + (r["failure"] or r["outcome"]) for r in mine if not r["ok"]]
        # No TLS conversation at all (unreachable endpoint, missing engine) proves nothing either way: ok is null.
        refused = [r for r in mine if not r["ok"] and r["outcome"] != ERROR]
        ok = (not failing) if (refused or not failing) else None
        summaries.append({"client": entry["name"], "library": entry["library"], "path": entry["path"],
                          "min_protocol": entry["min_protocol"], "max_protocol": entry["max_protocol"],
                          "ok": bool(mine) and ok if ok is not None else None, "failing": failing,
                          "negotiated": sorted(set(r["negotiated_protocol"] for r in mine if r["negotiated_protocol"]))})
    return results, summaries
