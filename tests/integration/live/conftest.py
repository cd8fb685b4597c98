"""Fixtures for live tests against real servers on 127.0.0.1.

Generic on purpose: other test files in this folder use the same servers.

* ``mail_servers`` (session): three Dovecot 2.3 servers (``.modern``,
  ``.legacy_ecdhe``, ``.legacy_rsa``), each with IMAPS, IMAP+STARTTLS, POP3S and
  POP3+STLS listeners, a ``mailtest`` user and one message; see
  ``tests/harness/dovecot.py``.  Skipped only when Dovecot is not installed.
* ``collections_root``: the directory holding ``ansible_collections/mailtls/remediation``.
* ``run_module``: run a module of the collection for real through
  ``ansible localhost -m`` and return its result dict.
* ``neutral_openssl_conf``: an empty OpenSSL config file, so a test sees the
  library's built-in defaults whatever the host's openssl.cnf says.
"""
import json
import os
import subprocess
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from harness import dovecot  # noqa: E402  pylint: disable=wrong-import-position


def _find_collections_root():
    for entry in sys.path:
        if entry and os.path.isdir(os.path.join(entry, "ansible_collections", "mailtls", "remediation")):
            return entry
    return None


@pytest.fixture(scope="session")
def mail_servers():
    if not dovecot.dovecot_available():
        pytest.fail("dovecot (dovecot-core, dovecot-imapd, dovecot-pop3d) is not installed; make test installs it")
    servers = dovecot.MailServers()
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def collections_root():
    root = _find_collections_root()
    if root is None:
        pytest.fail("ansible_collections/mailtls/remediation is not importable; tests/conftest.py should have set it up")
    return root


@pytest.fixture(scope="session")
def ansible_bin():
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible")
    if not os.access(candidate, os.X_OK):
        pytest.fail("ansible is not installed next to %s; make test installs it" % sys.executable)
    return candidate


@pytest.fixture
def run_module(collections_root, ansible_bin, tmp_path):
    """``run_module(name, args, timeout=300)`` -> result dict of ``ansible localhost -m NAME``."""

    def run(name, args, timeout=300, check_mode=False):
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": collections_root,
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
        })
        argv = [ansible_bin, "localhost", "-m", name, "-a", json.dumps(args)]
        if check_mode:
            argv.append("--check")
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              universal_newlines=True, check=False)
        head, sep, body = proc.stdout.partition("=>")
        if not sep:
            raise AssertionError("no module result in ansible output (rc=%d): %s %s" % (proc.returncode, proc.stdout, proc.stderr))
        result = json.loads(body)
        result["_status"] = head.split("|")[-1].strip()
        result["_rc"] = proc.returncode
        return result

    return run


@pytest.fixture
def neutral_openssl_conf(tmp_path):
    path = tmp_path / "neutral-openssl.cnf"
    path.write_text("# empty on purpose: built-in OpenSSL defaults only\n")
    return str(path)
