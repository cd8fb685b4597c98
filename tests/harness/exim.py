"""Debian's Exim 4 run from a private configuration, next to an installed Postfix.

Debian's ``exim4-daemon-light`` conflicts with ``postfix`` (both provide
``mail-transport-agent``), so Exim is never installed here: ``ensure()``
downloads ``exim4-daemon-light``, ``exim4-base`` and ``exim4-config`` from the
Debian archive with ``apt-get download`` and unpacks them with ``dpkg-deb -x``
into the checkout's ``build/exim`` (its libraries, GnuTLS among them, are
already on the host).  Three things stand in the way of running that copy,
and each is handled without touching the host:

* the binary looks up its user ``Debian-exim`` by name at start-up (the
  package's postinst would create it): every run happens in a private mount
  namespace (``unshare -m``) where a read-only overlay lays copies of
  ``/etc/passwd`` and ``/etc/group`` with that account (and, when a test
  asks, a GnuTLS policy as ``/etc/gnutls/config``) over ``/etc``;
* it re-executes itself as ``/usr/sbin/exim4`` (its compiled-in path) to
  deliver: in the same namespace an overlay puts the unpacked ``usr/sbin``
  over the real one, read-only;
* ``-C FILE`` with a configuration that is not in Debian's
  ``TRUSTED_CONFIG_LIST`` makes Exim give up root ("exim user lost privilege
  for using -C option"): that is fine for remote SMTP delivery, which runs as
  the Exim user anyway, so the spool and log directories belong to it.

This needs root (namespaces, mounts); ``available()`` says whether it can run.
Every delivery is in the foreground (``-odi``) and bounded in time.
"""
import hashlib
import os
import re
import shutil
import subprocess
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(REPO, 'build', 'exim')
PACKAGES = ('exim4-daemon-light', 'exim4-base', 'exim4-config')
EXIM_UID = 64990  # only inside the private namespace
ACCOUNT = 'Debian-exim'


class EximError(RuntimeError):
    """Exim could not be fetched, unpacked or run."""


def root_dir(build=BUILD):
    return os.path.join(build, 'root')


def binary(build=BUILD):
    return os.path.join(root_dir(build), 'usr', 'sbin', 'exim4')


def ensure(build=BUILD, timeout=300):
    """Download and unpack the Debian packages once; returns the unpacked exim4 binary."""
    if os.access(binary(build), os.X_OK):
        return binary(build)
    debs = os.path.join(build, 'debs')
    os.makedirs(debs, exist_ok=True)
    proc = subprocess.run(['apt-get', 'download'] + list(PACKAGES), cwd=debs, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise EximError('apt-get download %s failed: %s' % (' '.join(PACKAGES), proc.stdout.decode('utf-8', 'replace')[-1500:]))
    for name in sorted(os.listdir(debs)):
        if name.endswith('.deb'):
            subprocess.run(['dpkg-deb', '-x', os.path.join(debs, name), root_dir(build)], check=True, timeout=120)
    if not os.access(binary(build), os.X_OK):
        raise EximError('the unpacked packages hold no usr/sbin/exim4')
    return binary(build)


def available():
    return os.geteuid() == 0 and bool(shutil.which('unshare')) and bool(shutil.which('apt-get'))


def version(build=BUILD):
    proc = run(['-bV'], build=build, timeout=30)
    match = re.search(r'Exim version (\S+)', proc[1])
    return match.group(1) if match else None


_NS_READY = {}
_NS_LOCK = threading.Lock()


def _etc_layer(build, gnutls_config=None):
    """A read-only layer laid over /etc in the namespace: passwd and group with the Exim account, and
    ``gnutls/config`` when a GnuTLS system policy is given (Exim clears its environment, so
    GNUTLS_SYSTEM_PRIORITY_FILE would not reach its GnuTLS; the file at its real path does)."""
    policy = b''
    if gnutls_config:
        with open(gnutls_config, 'rb') as handle:
            policy = handle.read()
    folder = os.path.join(build, 'etc-layer-%s' % hashlib.sha256(policy).hexdigest()[:12] if gnutls_config else 'etc-layer')
    with _NS_LOCK:
        if _NS_READY.get(folder):
            return folder
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o755)
        files = {}
        for name, line in (('passwd', '%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n' % (ACCOUNT, EXIM_UID, EXIM_UID)),
                           ('group', '%s:x:%d:\n' % (ACCOUNT, EXIM_UID))):
            with open('/etc/%s' % name) as handle:
                text = handle.read()
            if not re.search(r'^%s:' % re.escape(ACCOUNT), text, re.M):
                text = text + ('' if text.endswith('\n') else '\n') + line
            files[name] = text.encode()
        if gnutls_config:
            os.makedirs(os.path.join(folder, 'gnutls'), exist_ok=True)
            os.chmod(os.path.join(folder, 'gnutls'), 0o755)
            files[os.path.join('gnutls', 'config')] = policy
        for name, data in files.items():
            tmp = os.path.join(folder, '.tmp.%d' % os.getpid())
            with open(tmp, 'wb') as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, os.path.join(folder, name))
        _NS_READY[folder] = True
    return folder


def run(args, build=BUILD, stdin=None, env=None, timeout=60, gnutls_config=None):
    """``exim4 ARGS`` inside the private namespace; returns (exit code or None on timeout, output).

    ``gnutls_config``: the GnuTLS system policy file Exim's GnuTLS reads (appears as /etc/gnutls/config).
    """
    layer = _etc_layer(build, gnutls_config)
    sbin = os.path.join(root_dir(build), 'usr', 'sbin')
    script = ('mount -t overlay overlay -o lowerdir={sbin}:/usr/sbin /usr/sbin && '
              'mount -t overlay overlay -o lowerdir={layer}:/etc /etc && '
              'exec /usr/sbin/exim4 "$@"').format(sbin=sbin, layer=layer)
    try:
        proc = subprocess.run(['unshare', '-m', 'sh', '-c', script, 'exim4'] + list(args), input=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False)
        return proc.returncode, proc.stdout.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as exc:
        return None, (exc.output or b'').decode('utf-8', 'replace') + '\n[timed out]'


def relay_config(root, ca, routes, user, password, require_ciphers=None):
    """A private Exim configuration relaying ``*.test`` domains to ``routes`` ({domain: port}) over TLS with AUTH PLAIN.

    ``require_ciphers`` goes into the smtp transport's ``tls_require_ciphers`` (a GnuTLS priority string in
    Debian's GnuTLS build), as a hand-written or Debian ``remote_smtp`` transport would carry it.
    """
    route_list = ' ; '.join('%s 127.0.0.1::%d' % (domain, port) for domain, port in sorted(routes.items()))
    lines = [
        '# private Exim configuration of the mailtls test harness',
        'primary_hostname = relay.mailtls.invalid',
        'spool_directory = %s/spool' % root,
        'log_file_path = %s/log/%%slog' % root,
        'keep_environment =',
        'exim_user = %s' % ACCOUNT,
        'exim_group = %s' % ACCOUNT,
        'delay_warning =',
        '',
        'begin routers',
        'relay:',
        '  driver = manualroute',
        '  domains = *.test',
        '  transport = remote_smtp',
        '  route_list = %s' % route_list,
        '  self = send',
        '',
        'begin transports',
        'remote_smtp:',
        '  driver = smtp',
        '  allow_localhost',
        '  hosts_require_tls = *',
        '  hosts_require_auth = *',
        '  tls_verify_certificates = %s' % ca,
        '  tls_verify_cert_hostnames = :',
    ]
    if require_ciphers:
        lines.append('  tls_require_ciphers = %s' % require_ciphers)
    lines += [
        '',
        'begin retry',
        '* * F,1h,15m',
        '',
        'begin authenticators',
        'plain:',
        '  driver = plaintext',
        '  public_name = PLAIN',
        '  client_send = ^%s^%s' % (user, password),
        '',
    ]
    return '\n'.join(lines)


class Relay(object):
    """One private Exim configuration under ``root``: ``send()`` delivers one message in the foreground."""

    def __init__(self, root, config_text, build=BUILD):
        self.root = os.path.abspath(root)
        self.build = build
        self.config = os.path.join(self.root, 'exim.conf')
        for sub in ('spool', 'log'):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
            os.chown(os.path.join(self.root, sub), EXIM_UID, EXIM_UID)
        os.chmod(self.root, 0o755)
        self.write(config_text)

    def write(self, text):
        with open(self.config, 'w') as handle:
            handle.write(text)
        os.chmod(self.config, 0o644)

    def check(self):
        """``exim -C FILE -bV``: (ok, output)."""
        code, out = run(['-C', self.config, '-bV'], build=self.build, timeout=30)
        return code == 0 and 'Exim version' in out, out

    def send(self, recipient, subject, gnutls_config=None, timeout=60):
        message = ('From: sender@mailtls.invalid\nTo: %s\nSubject: %s\n\nrelayed by the private exim\n' % (recipient, subject)).encode()
        return run(['-C', self.config, '-odi', '-v', '-f', 'sender@mailtls.invalid', recipient], build=self.build, stdin=message,
                   timeout=timeout, gnutls_config=gnutls_config)
