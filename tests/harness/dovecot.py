"""Rootless (or root-started, privilege-dropping) Dovecot 2.3 servers on 127.0.0.1.

Three flavours stand in for the servers a mail client meets:

``modern``
    TLS 1.2 and newer only: the Exchange Online stand-in.
``legacy_ecdhe``
    TLS 1.0 only, ECDHE key exchange (stock Debian 12 OpenSSL clients refuse
    it with "legacy sigalg disallowed or unsupported"; GnuTLS accepts it).
``legacy_rsa``
    TLS 1.0 only, RSA key exchange ``AES128-SHA`` (stock Debian 12 OpenSSL
    clients accept it: the server that catches "SECLEVEL only" hardening).

Dovecot 2.3 has ``ssl_min_protocol`` but no maximum, so every server gets its
own OpenSSL configuration file passed through ``import_environment``; the
legacy ones set ``MaxProtocol = TLSv1`` there.  That private file also keeps
the servers independent of whatever the host's ``/etc/ssl/openssl.cnf`` says.

Each server listens on four free ports picked at start time (IMAPS, IMAP with
STARTTLS, POP3S, POP3 with STLS) and has a ``mailtest`` user with one message.
This is a plain library; ``tests/integration/live/conftest.py`` wraps it in
pytest fixtures.  Every wait is bounded in time and in attempts.
"""
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import warnings

HOST = "127.0.0.1"
USER = "mailtest"
PASSWORD = "mailtest-Pass-1"
SERVICES = ("imaps", "imap", "pop3s", "pop3")
# (protocol, mode) for each listener name
LISTENERS = {
    "imaps": ("imap", "implicit"),
    "imap": ("imap", "starttls"),
    "pop3s": ("pop3", "implicit"),
    "pop3": ("pop3", "starttls"),
}

FLAVOURS = {
    "modern": {
        "min_protocol": "TLSv1.2",
        "cipher_list": None,  # Dovecot's default (no kRSA)
        "openssl_conf": "",
    },
    "legacy_ecdhe": {
        "min_protocol": "TLSv1",
        "cipher_list": "DEFAULT:@SECLEVEL=0",
        "openssl_conf": (
            "openssl_conf = openssl_init\n"
            "[openssl_init]\nssl_conf = ssl_sect\n"
            "[ssl_sect]\nsystem_default = system_default_sect\n"
            "[system_default_sect]\nMinProtocol = TLSv1\nMaxProtocol = TLSv1\n"
            "CipherString = DEFAULT:@SECLEVEL=0\n"
        ),
    },
    "legacy_rsa": {
        "min_protocol": "TLSv1",
        "cipher_list": "AES128-SHA:@SECLEVEL=0",
        "openssl_conf": (
            "openssl_conf = openssl_init\n"
            "[openssl_init]\nssl_conf = ssl_sect\n"
            "[ssl_sect]\nsystem_default = system_default_sect\n"
            "[system_default_sect]\nMinProtocol = TLSv1\nMaxProtocol = TLSv1\n"
            "CipherString = AES128-SHA:@SECLEVEL=0\n"
        ),
    },
}

MESSAGE = (
    "From: Sender <sender@example.invalid>\r\n"
    "To: Mail Test <mailtest@localhost>\r\n"
    "Subject: mailtls harness message\r\n"
    "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
    "Message-ID: <harness-1@localhost>\r\n"
    "\r\n"
    "Hello from the mailtls test harness.\r\n"
)
MESSAGE_SUBJECT = "mailtls harness message"


class HarnessError(RuntimeError):
    """A server of the harness could not be set up, started or reached."""


def find_binary(name):
    """Path of ``name`` on PATH or in the sbin directories, or None."""
    found = shutil.which(name)
    if found:
        return found
    for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def dovecot_available():
    """True when the dovecot and openssl binaries needed by the harness exist."""
    return bool(find_binary("dovecot") and find_binary("openssl"))


def free_ports(count):
    """``count`` distinct TCP ports that were free on 127.0.0.1 a moment ago."""
    socks = []
    try:
        for _index in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            socks.append(sock)
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def make_certificate(folder, openssl_bin="openssl"):
    """Self-signed RSA certificate for CN=localhost, SAN localhost and 127.0.0.1.

    Returns (cert_path, key_path).  The certificate is also its own CA.
    """
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    neutral = os.path.join(folder, "req-openssl.cnf")
    with open(neutral, "w") as handle:
        handle.write("# neutral configuration for certificate generation\n")
    env = dict(os.environ, OPENSSL_CONF=neutral)
    cmd = [
        openssl_bin, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
        "-keyout", key, "-out", cert, "-days", "3", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
    if proc.returncode != 0:
        raise HarnessError("openssl req failed: %s" % proc.stderr.decode("utf-8", "replace"))
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    return cert, key


def _accounts():
    """(login_user, login_group, mail_uid, mail_gid) for the running user.

    Non-root: everything runs as the current user.  Root: Dovecot drops
    privileges to an unprivileged account that exists on the host.
    """
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid()).gr_name
        return user.pw_name, group, user.pw_uid, os.getegid()
    for name in ("nobody", "dovenull", "daemon"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return user.pw_name, grp.getgrgid(user.pw_gid).gr_name, user.pw_uid, user.pw_gid
    raise HarnessError("running as root but found no unprivileged account (nobody, dovenull, daemon) to drop to")


class MailServer(object):
    """One Dovecot instance with IMAPS, IMAP+STARTTLS, POP3S and POP3+STLS listeners."""

    def __init__(self, name, root, cert, key, dovecot_bin=None):
        if name not in FLAVOURS:
            raise ValueError("unknown flavour %r" % name)
        self.name = name
        self.flavour = FLAVOURS[name]
        self.host = HOST
        self.user = USER
        self.password = PASSWORD
        self.cert = cert
        self.ca = cert
        self._key = key
        self.dovecot_bin = dovecot_bin or find_binary("dovecot")
        self.workdir = os.path.join(root, name)
        self.base_dir = os.path.join(self.workdir, "run")
        self.state_dir = os.path.join(self.workdir, "state")
        self.home = os.path.join(self.workdir, "home")
        self.config_path = os.path.join(self.workdir, "dovecot.conf")
        self.openssl_conf = os.path.join(self.workdir, "server-openssl.cnf")
        self.passwd_file = os.path.join(self.workdir, "passwd")
        self.log_path = os.path.join(self.workdir, "dovecot.log")
        self.instance_name = "mailtls-%s-%d" % (name, os.getpid())
        self.ports = {}
        self.master_pid = None

    # -- addressing -------------------------------------------------------
    @property
    def imaps_port(self):
        return self.ports["imaps"]

    @property
    def imap_port(self):
        return self.ports["imap"]

    @property
    def pop3s_port(self):
        return self.ports["pop3s"]

    @property
    def pop3_port(self):
        return self.ports["pop3"]

    def port_for(self, service, mode):
        """Port for ``service`` (imap|pop3) in ``mode`` (implicit|starttls)."""
        for listener, pair in LISTENERS.items():
            if pair == (service, mode):
                return self.ports[listener]
        raise KeyError("no listener for %s/%s" % (service, mode))

    def endpoints(self, server_name=None):
        """The four listeners as ``tls_probe`` endpoint dicts."""
        result = []
        for listener in SERVICES:
            service, mode = LISTENERS[listener]
            entry = {"host": self.host, "port": self.ports[listener], "service": service, "mode": mode}
            if server_name:
                entry["server_name"] = server_name
            result.append(entry)
        return result

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as handle:
                return handle.read()
        except (IOError, OSError):
            return ""

    def __repr__(self):
        return "MailServer(%s, %s)" % (self.name, self.ports)

    # -- set-up -----------------------------------------------------------
    def _prepare(self):
        login_user, login_group, mail_uid, mail_gid = _accounts()
        for folder in (self.workdir, self.base_dir, self.state_dir):
            os.makedirs(folder, exist_ok=True)
            os.chmod(folder, 0o755)
        maildir = os.path.join(self.home, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        with open(os.path.join(maildir, "new", "1767225600.M1P1.mailtls-harness"), "w") as handle:
            handle.write(MESSAGE)
        with open(self.passwd_file, "w") as handle:
            handle.write("%s:{PLAIN}%s::::::\n" % (USER, PASSWORD))
        os.chmod(self.passwd_file, 0o600)
        with open(self.openssl_conf, "w") as handle:
            handle.write("# private OpenSSL configuration of the %s test server\n" % self.name)
            handle.write(self.flavour["openssl_conf"])
        os.chmod(self.openssl_conf, 0o644)
        if os.geteuid() == 0:
            # the auth process (default_internal_user) reads the passwd file,
            # the mail processes (userdb uid) own the Maildir
            os.chown(self.passwd_file, mail_uid, mail_gid)
            for dirpath, _dirnames, filenames in os.walk(self.home):
                os.chown(dirpath, mail_uid, mail_gid)
                for entry in filenames:
                    os.chown(os.path.join(dirpath, entry), mail_uid, mail_gid)
        return login_user, login_group, mail_uid, mail_gid

    def _write_config(self, accounts):
        login_user, login_group, mail_uid, mail_gid = accounts
        lines = [
            "# generated by tests/harness/dovecot.py (%s)" % self.name,
            "protocols = imap pop3",
            "listen = %s" % HOST,
            "base_dir = %s" % self.base_dir,
            "state_dir = %s" % self.state_dir,
            "instance_name = %s" % self.instance_name,
            "log_path = %s" % self.log_path,
            "default_internal_user = %s" % login_user,
            "default_internal_group = %s" % login_group,
            "default_login_user = %s" % login_user,
            "first_valid_uid = 1",
            "import_environment = TZ CORE_OUTOFMEM CORE_ERROR OPENSSL_CONF=%s" % self.openssl_conf,
            "ssl = required",
            "ssl_cert = <%s" % self.cert,
            "ssl_key = <%s" % self._key,
            "ssl_min_protocol = %s" % self.flavour["min_protocol"],
        ]
        if self.flavour["cipher_list"]:
            lines.append("ssl_cipher_list = %s" % self.flavour["cipher_list"])
        lines += [
            "disable_plaintext_auth = yes",
            "auth_mechanisms = plain login",
            "passdb {",
            "  driver = passwd-file",
            "  args = scheme=PLAIN username_format=%%u %s" % self.passwd_file,
            "}",
            "userdb {",
            "  driver = static",
            "  args = uid=%d gid=%d home=%s" % (mail_uid, mail_gid, self.home),
            "}",
            "mail_location = maildir:~/Maildir",
            "service anvil {",
            "  chroot =",
            "}",
            "service imap-login {",
            "  chroot =",
            "  inet_listener imap {",
            "    port = %d" % self.ports["imap"],
            "  }",
            "  inet_listener imaps {",
            "    port = %d" % self.ports["imaps"],
            "    ssl = yes",
            "  }",
            "}",
            "service pop3-login {",
            "  chroot =",
            "  inet_listener pop3 {",
            "    port = %d" % self.ports["pop3"],
            "  }",
            "  inet_listener pop3s {",
            "    port = %d" % self.ports["pop3s"],
            "    ssl = yes",
            "  }",
            "}",
        ]
        with open(self.config_path, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.chmod(self.config_path, 0o644)

    def start(self, ready_timeout=20.0, attempts=3):
        """Start Dovecot and wait until all four listeners greet over TLS.

        Port choice races with other processes, so a start that fails is
        retried with fresh ports, at most ``attempts`` times.
        """
        if not self.dovecot_bin:
            raise HarnessError("dovecot is not installed")
        accounts = self._prepare()
        last_error = None
        for _attempt in range(attempts):
            self.ports = dict(zip(SERVICES, free_ports(len(SERVICES))))
            self._write_config(accounts)
            env = dict(os.environ)
            env.pop("OPENSSL_CONF", None)
            # The daemon inherits stdout/stderr: give it files, never pipes,
            # or waiting for the launcher would wait for the daemon too.
            startup_log = os.path.join(self.workdir, "startup.log")
            with open(startup_log, "wb") as errors:
                proc = subprocess.run(
                    [self.dovecot_bin, "-c", self.config_path], env=env,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, timeout=30, check=False,
                )
            if proc.returncode != 0:
                with open(startup_log, "r", errors="replace") as handle:
                    startup = handle.read()
                last_error = "dovecot -c %s exited %d: %s %s" % (
                    self.config_path, proc.returncode, startup, self.log_text()[-2000:])
                self.stop()
                continue
            self.master_pid = self._read_master_pid()
            try:
                self.wait_ready(ready_timeout)
                return self
            except HarnessError as exc:
                last_error = str(exc)
                self.stop()
        raise HarnessError("could not start dovecot %s: %s" % (self.name, last_error))

    def _read_master_pid(self):
        path = os.path.join(self.base_dir, "master.pid")
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                with open(path) as handle:
                    return int(handle.read().strip())
            except (IOError, OSError, ValueError):
                time.sleep(0.05)
        return None

    def wait_ready(self, timeout=20.0):
        """Bounded wait until every listener answers with a greeting over TLS."""
        deadline = time.monotonic() + timeout
        pending = list(SERVICES)
        last = {}
        while pending and time.monotonic() < deadline:
            for listener in list(pending):
                service, mode = LISTENERS[listener]
                try:
                    tls_greeting(self.host, self.ports[listener], service, mode, ca=self.ca, timeout=2.0)
                    pending.remove(listener)
                except (OSError, ssl.SSLError, HarnessError) as exc:
                    last[listener] = str(exc)
            if pending:
                time.sleep(0.1)
        if pending:
            raise HarnessError("%s: no TLS greeting on %s within %.0fs (%s); log: %s" % (
                self.name, ", ".join(pending), timeout, last, self.log_text()[-2000:]))

    def stop(self, timeout=10.0):
        """``dovecot -c FILE stop``, then SIGKILL the master's process group if it lingers."""
        pid = self.master_pid or self._read_master_pid_now()
        if self.dovecot_bin and os.path.exists(self.config_path):
            try:
                subprocess.run([self.dovecot_bin, "-c", self.config_path, "stop"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                pass
        if pid:
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        self.master_pid = None

    def _read_master_pid_now(self):
        try:
            with open(os.path.join(self.base_dir, "master.pid")) as handle:
                return int(handle.read().strip())
        except (IOError, OSError, ValueError):
            return None

    def running(self):
        pid = self.master_pid or self._read_master_pid_now()
        return bool(pid and _alive(pid))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie is not alive for our purpose
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except (IOError, OSError, IndexError):
        return True


def client_context(ca=None):
    """Harness-side client context that can talk to all three flavours.

    This is test tooling, not the product: it deliberately widens the
    protocol range so it can check the legacy servers are up.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if ca:
        ctx.load_verify_locations(cafile=ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _readline(sock, limit=4096):
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def tls_greeting(host, port, service, mode, ca=None, timeout=5.0):
    """Connect, do TLS (implicit or STARTTLS) and return the server's greeting line."""
    ctx = client_context(ca)
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        raw.settimeout(timeout)
        if mode == "implicit":
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
            greeting = _readline(sock)
        else:
            greeting = _readline(raw)
            if service == "imap":
                raw.sendall(b"h1 STARTTLS\r\n")
                reply = _readline(raw)
                if not reply.startswith("h1 OK"):
                    raise HarnessError("STARTTLS refused: %r" % reply)
            else:
                raw.sendall(b"STLS\r\n")
                reply = _readline(raw)
                if not reply.startswith("+OK"):
                    raise HarnessError("STLS refused: %r" % reply)
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
        expected = "* OK" if service == "imap" else "+OK"
        if not greeting.startswith(expected):
            raise HarnessError("unexpected greeting %r" % greeting)
        try:
            sock.sendall(b"h2 LOGOUT\r\n" if service == "imap" else b"QUIT\r\n")
        except OSError:
            pass
        sock.close()
        return greeting.strip()
    finally:
        raw.close()


class MailServers(object):
    """The three flavours, started together; a context manager."""

    def __init__(self, root=None, names=("modern", "legacy_ecdhe", "legacy_rsa")):
        self._own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="mailtls-dovecot-")
        os.chmod(self.root, 0o755)
        self.names = tuple(names)
        self.cert = None
        self.ca = None
        self.servers = {}

    def start(self, ready_timeout=20.0):
        try:
            certdir = os.path.join(self.root, "pki")
            os.makedirs(certdir, exist_ok=True)
            os.chmod(certdir, 0o755)
            self.cert, key = make_certificate(certdir)
            self.ca = self.cert
            for name in self.names:
                server = MailServer(name, self.root, self.cert, key)
                self.servers[name] = server
                server.start(ready_timeout=ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def __getattr__(self, name):
        servers = self.__dict__.get("servers", {})
        if name in servers:
            return servers[name]
        raise AttributeError(name)

    def __iter__(self):
        return iter(self.servers.values())

    def stop(self, cleanup=True):
        """Stop all servers in parallel (each stop is bounded), then remove the files."""
        def stop_one(server):
            try:
                server.stop()
            except Exception:  # pylint: disable=broad-except
                pass

        workers = [threading.Thread(target=stop_one, args=(server,)) for server in self.servers.values()]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        if cleanup and self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def start_servers(root=None, names=("modern", "legacy_ecdhe", "legacy_rsa"), ready_timeout=20.0):
    """Start the named flavours; the caller must call ``.stop()`` on the result."""
    return MailServers(root=root, names=names).start(ready_timeout=ready_timeout)
