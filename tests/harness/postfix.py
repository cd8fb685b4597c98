"""A private Postfix instance relaying to the loopback SMTP servers of the harness.

``postfix -c DIR start`` with its own configuration, queue and data
directories under the test's folder; no ``smtpd`` listener at all (mail enters
through ``sendmail -C DIR``), so it needs no port of its own.  Every route is a
``transport_maps`` entry ``<name>.test -> <transport>:[127.0.0.1]:<port>``, and
a transport may carry ``-o`` overrides in ``master.cf``, which is how Debian
hosts pin one relay's TLS settings.  The client side logs (``maillog_file``)
what happened to each message, keyed by its Message-ID.

The instance imports ``OPENSSL_CONF`` into its daemons (``import_environment``)
so a test decides which system OpenSSL policy Postfix's ``smtp`` client sees.
It runs as root (Postfix's master must), drops to the ``postfix`` account as
Debian's own instance does, and is stopped with ``postfix -c DIR stop`` (then
``abort`` if needed).  Every wait is bounded.
"""
import os
import pwd
import re
import shutil
import subprocess
import time

POSTFIX = '/usr/sbin/postfix'
SENDMAIL = '/usr/sbin/sendmail'
POSTCONF = '/usr/sbin/postconf'

MASTER_CF = """\
# private test instance: no smtpd, nothing chrooted
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def main_cf_text(root, ca, openssl_conf=None, main_extra=None):
    """The main.cf of an instance under ``root`` (pure: the unit tests read the same text)."""
    environment = 'MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME'
    if openssl_conf:
        environment += ' OPENSSL_CONF=%s' % openssl_conf
    etc = os.path.join(root, 'etc')
    main = [
        '# private Postfix instance of the mailtls test harness',
        'compatibility_level = 3.6',
        'queue_directory = %s' % os.path.join(root, 'spool'),
        'data_directory = %s' % os.path.join(root, 'data'),
        'mail_owner = postfix',
        'setgid_group = postdrop',
        'myhostname = relay.mailtls.invalid',
        'mydomain = mailtls.invalid',
        'myorigin = $myhostname',
        'mydestination =',
        'inet_interfaces = loopback-only',
        'inet_protocols = ipv4',
        'maillog_file_prefixes = %s' % root,
        'maillog_file = %s' % os.path.join(root, 'maillog'),
        'import_environment = %s' % environment,
        'transport_maps = texthash:%s' % os.path.join(etc, 'transport'),
        'smtp_sasl_auth_enable = yes',
        'smtp_sasl_password_maps = texthash:%s' % os.path.join(etc, 'sasl_passwd'),
        'smtp_sasl_security_options = noanonymous',
        'smtp_sasl_tls_security_options = noanonymous',
        'smtp_tls_security_level = encrypt',
        'smtp_tls_CAfile = %s' % ca,
        'smtp_tls_loglevel = 1',
        'smtp_connect_timeout = 10s',
        'smtp_helo_timeout = 10s',
        'smtp_dns_support_level = disabled',
        'smtp_tls_session_cache_database =',
        'queue_run_delay = 300s',
        'minimal_backoff_time = 300s',
        'maximal_backoff_time = 600s',
        'biff = no',
        'append_dot_mydomain = no',
        'notify_classes =',
        'bounce_queue_lifetime = 1h',
        'maximal_queue_lifetime = 1h',
        'smtp_tls_note_starttls_offer = no',
    ]
    for key, value in sorted((main_extra or {}).items()):
        main.append('%s = %s' % (key, value))
    return '\n'.join(main) + '\n'


def master_cf_text(transports):
    """master.cf: the fixed services plus one smtp transport per ``{name: 'param = value' or ''}``.

    A pin of ``smtp_tls_mandatory_protocols`` also pins ``smtp_tls_protocols`` (as old hosts did).
    """
    master = [MASTER_CF]
    for transport, override in sorted(transports.items()):
        master.append('%s unix  -       -       n       -       -       smtp\n' % transport)
        if override:
            key, unused, value = override.partition('=')
            key, value = key.strip(), value.strip()
            master.append('  -o %s=%s\n' % (key, value))
            if key.endswith('_mandatory_protocols'):
                master.append('  -o %s=%s\n' % (key.replace('_mandatory', ''), value))
    return ''.join(master)


def transport_name(setting):
    return 'smtp_%s' % re.sub(r'[^a-z0-9]', '', setting.lower())


class PostfixError(RuntimeError):
    """The instance could not be set up, started or stopped."""


def available():
    return os.geteuid() == 0 and all(os.access(p, os.X_OK) for p in (POSTFIX, SENDMAIL, POSTCONF))


def _run(argv, timeout=60, stdin=None, env=None):
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          env=env, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


class Instance(object):
    """One private Postfix instance; ``start()``, ``submit()``, ``outcome()``, ``stop()``."""

    def __init__(self, root, openssl_conf=None, main_extra=None):
        root = os.path.abspath(root)
        self.root = root
        self.config_dir = os.path.join(root, 'etc')
        self.queue_dir = os.path.join(root, 'spool')
        self.data_dir = os.path.join(root, 'data')
        self.maillog = os.path.join(root, 'maillog')
        self.openssl_conf = openssl_conf
        self.main_extra = dict(main_extra or {})
        self.routes = {}
        self.transports = {}
        self.credentials = {}
        self.ca = None
        self.started = False
        self._counter = 0
        for folder in (self.config_dir, self.queue_dir, self.data_dir):
            os.makedirs(folder, exist_ok=True)
            os.chmod(folder, 0o755)
        os.chmod(root, 0o755)
        owner = pwd.getpwnam('postfix')
        # the master opens its lock file as mail_owner: the data directory is postfix's
        os.chown(self.data_dir, owner.pw_uid, owner.pw_gid)

    @property
    def main_cf(self):
        return os.path.join(self.config_dir, 'main.cf')

    @property
    def master_cf(self):
        return os.path.join(self.config_dir, 'master.cf')

    def add_route(self, setting, server, port, override=''):
        """Route ``*@<setting>.<server>.test`` to ``[127.0.0.1]:port`` through a transport named after ``setting``.

        ``override`` is a ``name = value`` line (or empty): it becomes ``-o`` options of that transport in master.cf.
        Returns the recipient domain.
        """
        transport = transport_name(setting)
        self.transports[transport] = override
        domain = '%s.%s.test' % (re.sub(r'[^a-z0-9]', '', setting.lower()), re.sub(r'[^a-z0-9]', '', server.lower()))
        self.routes[domain] = '%s:[127.0.0.1]:%d' % (transport, port)
        self.credentials['[127.0.0.1]:%d' % port] = True
        return domain

    def configure(self, user, password, ca):
        """Write main.cf, master.cf, the transport and SASL password tables."""
        self.ca = ca
        with open(self.main_cf, 'w') as handle:
            handle.write(main_cf_text(self.root, ca, self.openssl_conf, self.main_extra))
        with open(self.master_cf, 'w') as handle:
            handle.write(master_cf_text(self.transports))
        with open(os.path.join(self.config_dir, 'transport'), 'w') as handle:
            for domain, nexthop in sorted(self.routes.items()):
                handle.write('%s %s\n' % (domain, nexthop))
        path = os.path.join(self.config_dir, 'sasl_passwd')
        with open(path, 'w') as handle:
            for nexthop in sorted(self.credentials):
                handle.write('%s %s:%s\n' % (nexthop, user, password))
        os.chmod(path, 0o600)

    def check(self):
        """``postfix -c DIR check``: (rc, output)."""
        return _run([POSTFIX, '-c', self.config_dir, 'check'])

    def start(self):
        if not os.path.exists(self.main_cf):
            return self  # configured and started later by reload_or_start()
        return self.reload_or_start()

    def reload_or_start(self):
        if self.started:
            rc, out = _run([POSTFIX, '-c', self.config_dir, 'reload'])
        else:
            rc, out = _run([POSTFIX, '-c', self.config_dir, 'start'])
        if rc != 0:
            raise PostfixError('postfix -c %s start/reload failed (%d): %s' % (self.config_dir, rc, out))
        self.started = True
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if _run([POSTFIX, '-c', self.config_dir, 'status'])[0] == 0:
                return self
            time.sleep(0.2)
        raise PostfixError('postfix -c %s did not come up' % self.config_dir)

    def submit(self, domain, subject, sender='sender@mailtls.invalid'):
        """Hand one message to ``sendmail -C DIR``; returns its Message-ID (what ``outcome`` looks for)."""
        self._counter += 1
        message_id = '%d.%d.%s@mailtls.invalid' % (os.getpid(), self._counter, re.sub(r'[^A-Za-z0-9.-]', '', domain))
        text = 'From: %s\nTo: rcpt@%s\n%s\nMessage-ID: <%s>\n\nrelayed by the private postfix\n' % (
            sender, domain, subject, message_id)
        rc, out = _run([SENDMAIL, '-C', self.config_dir, '-f', sender, 'rcpt@%s' % domain], stdin=text.encode(), timeout=30)
        if rc != 0:
            raise PostfixError('sendmail -C %s failed (%d): %s' % (self.config_dir, rc, out))
        return message_id

    def log_text(self):
        try:
            with open(self.maillog, 'r', errors='replace') as handle:
                return handle.read()
        except (IOError, OSError):
            return ''

    def outcome(self, message_id):
        """The log lines of the first delivery attempt once it has one (status=sent/deferred/bounced), else None."""
        text = self.log_text()
        match = re.search(r' ([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): message-id=<%s>' % re.escape(message_id), text)
        if not match:
            return None
        queue_id = match.group(1)
        lines = [line for line in text.splitlines() if ' %s: ' % queue_id in line or ('%s' % queue_id) in line]
        status = [line for line in lines if ' status=' in line]
        if not status:
            return None
        return '\n'.join(lines)

    def status(self, message_id):
        """'sent', 'deferred', 'bounced' or None."""
        out = self.outcome(message_id)
        if out is None:
            return None
        found = re.findall(r' status=([a-z]+)', out)
        return found[0] if found else None

    def stop(self):
        if not self.started:
            return
        rc, unused = _run([POSTFIX, '-c', self.config_dir, 'stop'], timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _run([POSTFIX, '-c', self.config_dir, 'status'])[0] == 0:
            time.sleep(0.2)
        if _run([POSTFIX, '-c', self.config_dir, 'status'])[0] == 0:
            _run([POSTFIX, '-c', self.config_dir, 'abort'], timeout=30)
        self.started = False

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
