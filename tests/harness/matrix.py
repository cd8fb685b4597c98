"""The behaviour matrix: what Debian's real mail clients and MTAs negotiate.

Every *cell* is one client, one of its settings (``legacy`` pin, ``none``, a
``tls12`` pin), one system policy and one server:

policies
    ``before``: a copy of this host's stock ``/etc/ssl/openssl.cnf`` and of its
    GnuTLS system file (absent on Debian 12, so an empty file);
    ``after``: the same copies after the real ``system_tls`` planner ran on them
    (``MinProtocol = TLSv1.2``; GnuTLS ``disabled-version`` for SSL 3, TLS 1.0
    and TLS 1.1).  A client gets them through ``OPENSSL_CONF`` and
    ``GNUTLS_SYSTEM_PRIORITY_FILE``; no real system file is read or touched.
    Both are kept in ``tests/data/client_matrix/`` and used from there.
servers
    ``modern`` (TLS 1.2+), ``legacy_ecdhe`` (TLS 1.0 only, ECDHE), ``legacy_rsa``
    (TLS 1.0 only, RSA key exchange): Dovecot for IMAP and POP3
    (``tests/harness/dovecot.py``), the STARTTLS submission server of
    ``tests/harness/smtp.py`` for SMTP.  Each server is checked with
    ``openssl s_client`` before any cell runs.

What a cell records comes from the server side wherever possible: every IMAP
and POP3 cell logs in as a user of its own, and Dovecot logs the TLS protocol
and cipher of each login; the SMTP server records the protocol of every message
it accepted, and the message's subject names the cell.  The client's own output
gives the failure class when nothing arrived.

``python -m tests.harness.matrix --record`` (from the checkout) runs every cell
and rewrites ``tests/data/client_matrix.json``; the live test
``tests/integration/live/test_client_matrix.py`` runs them again and compares.
"""
from __future__ import print_function

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
REPO = os.path.dirname(TESTS)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import dovecot  # noqa: E402  pylint: disable=wrong-import-position
from harness.smtp import SmtpServer  # noqa: E402  pylint: disable=wrong-import-position
from harness.terminal import run_in_terminal  # noqa: E402  pylint: disable=wrong-import-position

DATA_FILE = os.path.join(TESTS, 'data', 'client_matrix.json')
POLICY_DIR = os.path.join(TESTS, 'data', 'client_matrix')
SERVERS = ('modern', 'legacy_ecdhe', 'legacy_rsa')
SERVER_FACTS = {
    'modern': {'protocols': ['tls1_2', 'tls1_3'], 'kx': 'ecdhe'},
    'legacy_ecdhe': {'protocols': ['tls1_0'], 'kx': 'ecdhe'},
    'legacy_rsa': {'protocols': ['tls1_0'], 'kx': 'rsa'},
}
POLICIES = ('before', 'after')
SETTINGS = ('legacy', 'none', 'tls12')
CELL_TIMEOUT = 40
ECDHE_ONLY = 'kECDHE:@SECLEVEL=0'
PASSWORD = dovecot.PASSWORD
SMTP_USER = 'mailtest'
SYSTEM_PYTHON = '/usr/bin/python3'
PROTOCOL_IDS = {'TLSv1': 'tls1_0', 'TLSv1.1': 'tls1_1', 'TLSv1.2': 'tls1_2', 'TLSv1.3': 'tls1_3',
                'TLS1.0': 'tls1_0', 'TLS1.1': 'tls1_1', 'TLS1.2': 'tls1_2', 'TLS1.3': 'tls1_3',
                'TLSv1.0': 'tls1_0'}
NOTES = [
    'Exim clears its environment, so GNUTLS_SYSTEM_PRIORITY_FILE does not reach its GnuTLS: the Exim cells get the '
    'policy file at its real path, /etc/gnutls/config, through an overlay in their private mount namespace '
    '(tests/harness/exim.py); on a host that is where system_tls writes it.',
    'legacy_ecdhe servers offer kECDHE suites only (the shared harness flavour also serves kRSA to a client that '
    'offers nothing else); every listener was checked with openssl s_client, see servers.*.s_client.',
]
NOT_DRIVEN = [
    {'client': 'thunderbird',
     'why': 'not packaged for a headless run here (a GUI program with its own NSS and profile); '
            'its prefs.js/user.js handling is tested from fixtures only'},
]


# ---------------------------------------------------------------- policies

def policy_files(policy):
    """(openssl.cnf, gnutls config) of a policy, as kept in tests/data/client_matrix/."""
    return (os.path.join(POLICY_DIR, 'openssl-%s.cnf' % policy), os.path.join(POLICY_DIR, 'gnutls-%s.config' % policy))


def make_policies(folder=POLICY_DIR, system_openssl='/etc/ssl/openssl.cnf', system_gnutls='/etc/gnutls/config'):
    """Write the ``before`` copies of the system files and the ``after`` plan of system_tls for them."""
    import harness.collection_root  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
    from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_system_tls as st  # pylint: disable=import-outside-toplevel
    from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_conf  # pylint: disable=import-outside-toplevel
    os.makedirs(folder, exist_ok=True)
    before_ssl, before_gnutls = [os.path.join(folder, os.path.basename(p)) for p in policy_files('before')]
    after_ssl, after_gnutls = [os.path.join(folder, os.path.basename(p)) for p in policy_files('after')]
    shutil.copyfile(system_openssl, before_ssl)
    if os.path.exists(system_gnutls) and os.path.getsize(system_gnutls):
        shutil.copyfile(system_gnutls, before_gnutls)
    else:
        with open(before_gnutls, 'w') as handle:
            handle.write('')
    work = tempfile.mkdtemp(prefix='mailtls-matrix-policy-')
    try:
        for source, target, planner in ((before_ssl, after_ssl, lambda p: st.plan_openssl(p, 'TLSv1.2', 'enforce_minimum')),
                                        (before_gnutls, after_gnutls, lambda p: st.plan_gnutls(p, 'enforce_minimum', 'TLSv1.2'))):
            copy = os.path.join(work, os.path.basename(target))
            shutil.copyfile(source, copy)
            edits = planner(copy)
            with open(target, 'wb') as handle:
                if edits:
                    handle.write(_openssl_conf.encode_lossless(edits[-1].after))
                else:
                    with open(source, 'rb') as original:
                        handle.write(original.read())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load():
    """The recorded matrix (tests/data/client_matrix.json)."""
    with open(DATA_FILE) as handle:
        return json.load(handle)


def policy_stacks(matrix, policy):
    """The OpenSSL, GnuTLS and NSS stacks of this host under one recorded policy.

    Read as tls_facts reads them when the cells ran: through ``OPENSSL_CONF`` and
    ``GNUTLS_SYSTEM_PRIORITY_FILE`` pointing at the recorded policy files.
    """
    import harness.collection_root  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
    from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls  # pylint: disable=import-outside-toplevel
    from ansible_collections.mailtls.remediation.plugins.module_utils import _posture  # pylint: disable=import-outside-toplevel
    files = matrix['policies'][policy]
    saved = dict((k, os.environ.get(k)) for k in ('OPENSSL_CONF', 'GNUTLS_SYSTEM_PRIORITY_FILE'))
    os.environ['OPENSSL_CONF'] = os.path.join(TESTS, files['openssl_conf'])
    os.environ['GNUTLS_SYSTEM_PRIORITY_FILE'] = os.path.join(TESTS, files['gnutls_config'])
    try:
        document = _posture.new_document('linux', 'matrix')
        _linux_tls.gather_all(document, {'gather': ['crypto_policies', 'openssl', 'gnutls', 'nss']})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return document


def prediction_mismatches(matrix, cells, record_for):
    """Each cell where the posture's prediction for ``record_for(cell)`` is not what the real program did, as a line."""
    import harness.collection_root  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
    from ansible_collections.mailtls.remediation.plugins.module_utils._clients._predict import predict_session  # pylint: disable=import-outside-toplevel
    mismatches = []
    for cell in cells:
        server = dict((k, matrix['servers'][cell['server']][k]) for k in ('protocols', 'kx'))
        got = predict_session(record_for(cell), server)
        predicted = (got['result'], got.get('protocol') if got['result'] == 'connected' else None)
        if predicted != (cell['result'], cell['protocol']):
            mismatches.append('%s %s %s %s: real %s %s, predicted %s %s' % (
                cell['client'], cell['setting'], cell['policy'], cell['server'], cell['result'], cell['protocol'],
                predicted[0], predicted[1]))
    return mismatches


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


# ---------------------------------------------------------------- servers

class CellMailServer(dovecot.MailServer):
    """A harness Dovecot that knows one login per cell and logs each login's TLS protocol."""

    def __init__(self, name, root, cert, key, users):
        super(CellMailServer, self).__init__(name, root, cert, key)
        self.cell_users = list(users)
        if name == 'legacy_ecdhe':
            # the shared flavour's DEFAULT list also serves kRSA to a client that offers only that
            self.flavour = dict(self.flavour, cipher_list=ECDHE_ONLY,
                                openssl_conf=self.flavour['openssl_conf'].replace('DEFAULT:@SECLEVEL=0', ECDHE_ONLY))

    def _prepare(self):
        accounts = super(CellMailServer, self)._prepare()
        with open(self.passwd_file, 'a') as handle:
            for user in self.cell_users:
                handle.write('%s:{PLAIN}%s::::::\n' % (user, PASSWORD))
        return accounts

    def _write_config(self, accounts):
        super(CellMailServer, self)._write_config(accounts)
        with open(self.config_path, 'a') as handle:
            handle.write('login_log_format_elements = user=<%u> method=%m rip=%r lip=%l mpid=%e %c tls=<%k> session=<%{session}>\n')
            handle.write('auth_cache_size = 0\n')

    def logins(self):
        """``{user: (protocol id, cipher)}`` for every login Dovecot logged."""
        found = {}
        for match in re.finditer(r'Login: user=<([^>]*)>.*? tls=<(TLSv[0-9.]+) with cipher ([A-Z0-9_-]+)', self.log_text()):
            found[match.group(1)] = (PROTOCOL_IDS.get(match.group(2), match.group(2)), match.group(3))
        return found


class Servers(object):
    """Three Dovecot servers (IMAP, POP3) and three SMTP servers, each checked with openssl s_client."""

    def __init__(self, root, users):
        self.root = root
        self.users = users
        self.dovecot = {}
        self.smtp = {}
        self.cert = None
        self.key = None
        self.checks = {}

    def start(self):
        pki = os.path.join(self.root, 'pki')
        os.makedirs(pki, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chmod(pki, 0o755)
        self.cert, self.key = dovecot.make_certificate(pki)
        try:
            for name in SERVERS:
                self.dovecot[name] = CellMailServer(name, self.root, self.cert, self.key, self.users).start()
                smtp = SmtpServer(name, self.cert, self.key, SMTP_USER, PASSWORD, lifetime=900.0)
                if name == 'legacy_ecdhe':
                    smtp.context.set_ciphers(ECDHE_ONLY)
                self.smtp[name] = smtp.start()
            self.checks = self.verify()
        except BaseException:
            self.stop()
            raise
        return self

    def verify(self):
        """Prove with openssl s_client that each server does what its name says (wide-open client side)."""
        neutral = os.path.join(self.root, 'neutral-openssl.cnf')
        with open(neutral, 'w') as handle:
            handle.write('# empty: library defaults\n')
        probes = {'tls1_2': ['-tls1_2'], 'tls1_0_ecdhe': ['-tls1', '-cipher', 'ECDHE:@SECLEVEL=0'],
                  'tls1_0_rsa': ['-tls1', '-cipher', 'kRSA:@SECLEVEL=0']}
        expect = {'modern': {'tls1_2'}, 'legacy_ecdhe': {'tls1_0_ecdhe'}, 'legacy_rsa': {'tls1_0_rsa'}}
        results = {}
        for name in SERVERS:
            for kind, port, starttls in (('imaps', self.dovecot[name].imaps_port, None),
                                         ('pop3s', self.dovecot[name].pop3s_port, None),
                                         ('smtp', self.smtp[name].port, 'smtp')):
                accepted = set()
                for probe, flags in probes.items():
                    argv = ['openssl', 's_client', '-connect', '127.0.0.1:%d' % port, '-brief'] + flags
                    if starttls:
                        argv += ['-starttls', starttls]
                    proc = subprocess.run(argv, input=b'', stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          env=dict(os.environ, OPENSSL_CONF=neutral), timeout=20, check=False)
                    if b'Protocol version:' in proc.stdout:
                        accepted.add(probe)
                results['%s/%s' % (name, kind)] = sorted(accepted)
                if accepted != expect[name]:
                    raise dovecot.HarnessError('server %s/%s accepted %s, expected %s' % (name, kind, sorted(accepted), sorted(expect[name])))
        return results

    def stop(self):
        for server in self.smtp.values():
            server.stop()
        for server in self.dovecot.values():
            server.stop()


# ---------------------------------------------------------------- clients

def _binary(name):
    path = shutil.which(name) or dovecot.find_binary(name)
    if not path:
        raise dovecot.HarnessError('%s is not installed (hack/bootstrap.sh installs it)' % name)
    return path


def _tls_library(path):
    """'openssl', 'gnutls', 'openssl+gnutls' (curl links both) or 'python-ssl' from ``ldd``."""
    try:
        out = subprocess.run(['ldd', path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20, check=False).stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return None
    libs = []
    if 'libssl.so' in out:
        libs.append('openssl')
    if 'libgnutls.so' in out:
        libs.append('gnutls')
    return '+'.join(libs) or None


def _deb_version(package):
    proc = subprocess.run(['dpkg-query', '-W', '-f=${Version}', package], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          timeout=20, check=False)
    return proc.stdout.decode().strip() or None


# Each client: the Debian package, the protocol it speaks here, the binary whose
# ldd says the library, and the text of its setting per kind.
CLIENTS = {
    'fetchmail': {'package': 'fetchmail', 'binary': 'fetchmail', 'service': 'imap',
                  'settings': {'legacy': "sslproto 'tls1'", 'none': '', 'tls12': "sslproto 'tls1.2+'"}},
    'mutt': {'package': 'mutt', 'binary': 'mutt', 'service': 'imap',
             'settings': {'legacy': 'set ssl_use_tlsv1=yes ssl_use_tlsv1_1=yes ssl_use_tlsv1_2=no ssl_use_tlsv1_3=no',
                          'none': '',
                          'tls12': 'set ssl_use_tlsv1=no ssl_use_tlsv1_1=no ssl_use_tlsv1_2=yes ssl_use_tlsv1_3=yes'}},
    'neomutt': {'package': 'neomutt', 'binary': 'neomutt', 'service': 'imap',
                'settings': {'legacy': 'set ssl_use_tlsv1=yes ssl_use_tlsv1_1=yes ssl_use_tlsv1_2=no ssl_use_tlsv1_3=no',
                             'none': '',
                             'tls12': 'set ssl_use_tlsv1=no ssl_use_tlsv1_1=no ssl_use_tlsv1_2=yes ssl_use_tlsv1_3=yes'}},
    'mbsync': {'package': 'isync', 'binary': 'mbsync', 'service': 'imap',
               'settings': {'legacy': 'SSLVersions TLSv1', 'none': '', 'tls12': 'SSLVersions TLSv1.2 TLSv1.3'}},
    'msmtp': {'package': 'msmtp', 'binary': 'msmtp', 'service': 'smtp',
              'settings': {'legacy': 'tls_priorities NORMAL:-VERS-ALL:+VERS-TLS1.0', 'none': '',
                           'tls12': 'tls_priorities NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2'}},
    'offlineimap': {'package': 'offlineimap3', 'binary': SYSTEM_PYTHON, 'service': 'imap',
                    'settings': {'legacy': 'ssl_version = tls1', 'none': '', 'tls12': 'ssl_version = tls1_2'}},
    'getmail': {'package': 'getmail6', 'binary': SYSTEM_PYTHON, 'service': 'pop3',
                'settings': {'legacy': 'ssl_version = tlsv1', 'none': '', 'tls12': 'ssl_version = tlsv1_2'}},
    'imapfilter': {'package': 'imapfilter', 'binary': 'imapfilter', 'service': 'imap',
                   'settings': {'legacy': "ssl = 'tls1'", 'none': '', 'tls12': "ssl = 'tls1.2'"}},
    'curl': {'package': 'curl', 'binary': 'curl', 'service': 'imap',
             'settings': {'legacy': '--tlsv1.0 --tls-max 1.0', 'none': '', 'tls12': '--tlsv1.2'}},
    'python_imaplib': {'package': 'python3.11', 'binary': SYSTEM_PYTHON, 'service': 'imap',
                       'settings': {'legacy': 'ssl.SSLContext(ssl.PROTOCOL_TLSv1)', 'none': 'ssl.create_default_context()',
                                    'tls12': 'context.minimum_version = ssl.TLSVersion.TLSv1_2'}},
    'exim': {'package': 'exim4-daemon-light', 'binary': None, 'service': 'smtp',
             'settings': {'legacy': 'tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0', 'none': '',
                          'tls12': 'tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2'}},
    'postfix': {'package': 'postfix', 'binary': '/usr/lib/postfix/sbin/smtp', 'service': 'smtp',
                'settings': {'legacy': 'smtp_tls_mandatory_protocols = TLSv1', 'none': '',
                             'tls12': 'smtp_tls_mandatory_protocols = >=TLSv1.2'}},
}


def cell_id(client, setting, policy, server):
    return '%s.%s.%s.%s' % (client, setting, policy, server)


def cell_user(client, setting, policy, server):
    """Dovecot login of one cell: short, unique, no dots."""
    return 'c%s' % hashlib.sha1(cell_id(client, setting, policy, server).encode()).hexdigest()[:10]


def all_cells(clients=None):
    for client in sorted(clients or CLIENTS):
        for setting in SETTINGS:
            for policy in POLICIES:
                for server in SERVERS:
                    yield client, setting, policy, server


class Cell(object):
    """One run: its folder (the client's HOME), environment and the servers to use."""

    def __init__(self, runner, client, setting, policy, server):
        self.runner = runner
        self.client = client
        self.setting = setting
        self.policy = policy
        self.server = server
        self.id = cell_id(client, setting, policy, server)
        self.user = cell_user(client, setting, policy, server)
        self.home = os.path.join(runner.root, 'cells', self.id)
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o700)
        openssl_conf, gnutls_conf = policy_files(policy)
        self.env = dict(os.environ, HOME=self.home, LC_ALL='C', OPENSSL_CONF=openssl_conf,
                        GNUTLS_SYSTEM_PRIORITY_FILE=gnutls_conf, PYTHONWARNINGS='ignore', TERM='vt100',
                        FETCHMAILHOME=self.home)
        for name in ('MAIL', 'PYTHONPATH', 'PYTHONHOME', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'SSLKEYLOGFILE'):
            self.env.pop(name, None)
        self.dovecot = runner.servers.dovecot[server]
        self.smtp = runner.servers.smtp[server]
        self.ca = runner.servers.cert
        self.pin = CLIENTS[client]['settings'][setting]

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.home, name)
        with open(path, 'w') as handle:
            handle.write(text)
        os.chmod(path, mode)
        return path

    def run(self, argv, timeout=CELL_TIMEOUT, stdin=b''):
        try:
            proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env,
                                  cwd=self.home, timeout=timeout, check=False)
            return proc.returncode, proc.stdout.decode('utf-8', 'replace')
        except subprocess.TimeoutExpired as exc:
            return None, (exc.output or b'').decode('utf-8', 'replace') + '\n[timed out]'


FAILURE_CLASSES = (
    ('timeout', r'\[timed out\]'),
    ('legacy_sigalg', r'legacy sigalg disallowed|no suitable signature algorithm'),
    ('no_usable_protocol', r'error in priority string|No or insufficient priorities|no protocols available|NO_PROTOCOLS_AVAILABLE'),
    ('peer_closed', r'SSL_ERROR_SYSCALL|connection has been closed \(EOF\)|unexpected eof|EOF occurred|'
                    r'Connection reset|The TLS connection was non-properly terminated'),
    ('protocol_version', r'protocol version|unsupported protocol|wrong version number|UNSUPPORTED_PROTOCOL|'
                         r'No or insufficient priorities|no protocols available|NO_PROTOCOLS_AVAILABLE|'
                         r'handshake failure|HANDSHAKE_FAILURE|tlsv1 alert|WRONG_SSL_VERSION|wrong ssl version|An unexpected TLS packet|'
                         r'TLS handshake failed|SSL connection failed|SSL handshake|SSLError|ssl\.SSLError|'
                         r'gnutls_handshake|Error in the pull function|The TLS connection was non-properly terminated'),
)


def failure_class(output):
    for name, pattern in FAILURE_CLASSES:
        if re.search(pattern, output or ''):
            return name
    return 'other'


def _excerpt(output, limit=300):
    lines = [line.strip() for line in (output or '').splitlines() if line.strip()]
    interesting = [line for line in lines if re.search(r'(?i)ssl|tls|handshake|error|fail|refus', line)]
    text = ' | '.join((interesting or lines)[-4:])
    return text[-limit:]


# --- the clients ------------------------------------------------------------

def cell_params(cell):
    """What a cell's configuration files are made of (ports, login, CA, folder)."""
    return {'imaps_port': cell.dovecot.imaps_port, 'pop3s_port': cell.dovecot.pop3s_port, 'smtp_port': cell.smtp.port,
            'user': cell.user, 'password': PASSWORD, 'smtp_user': SMTP_USER, 'ca': cell.ca, 'home': cell.home}


PYTHON_CONTEXT = {
    'legacy': ('    context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)\n'
               '    context.load_verify_locations(ca)\n'
               '    context.verify_mode = ssl.CERT_REQUIRED\n'),
    'none': '    context = ssl.create_default_context(cafile=ca)\n',
    'tls12': ('    context = ssl.create_default_context(cafile=ca)\n'
              '    context.minimum_version = ssl.TLSVersion.TLSv1_2\n'),
}

PYTHON_SCRIPT = r"""import imaplib
import ssl
import sys
import warnings

warnings.simplefilter("ignore")


def main(port, user, password, ca):
%(context)s    imap = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context, timeout=20)
    print("protocol", imap.sock.version(), imap.sock.cipher()[0])
    imap.login(user, password)
    print("login ok")
    imap.logout()


try:
    main(*sys.argv[1:5])
except Exception as exc:
    print("error", type(exc).__name__, exc)
    sys.exit(1)
"""


def config_files(client, setting, params):
    """``{file name relative to the cell's HOME: text}`` of one client and setting.

    Pure: the live run writes these files, and the unit test can hand the same
    text to the posture's readers.
    """
    pin = CLIENTS[client]['settings'][setting]
    p = dict(params, pin=pin)
    if client == 'fetchmail':
        p['pin'] = (' ' + pin) if pin else ''
        return {'.fetchmailrc': (
            'set no syslog\n'
            'poll 127.0.0.1 with proto IMAP port %(imaps_port)d\n'
            '    user "%(user)s" there with password "%(password)s" is root here\n'
            "    ssl%(pin)s sslcertck sslcommonname 'localhost' sslcertfile '%(ca)s'\n") % p}
    if client in ('mutt', 'neomutt'):
        name = '.muttrc' if client == 'mutt' else '.neomuttrc'
        return {name: (
            'set ssl_ca_certificates_file = "%(ca)s"\n'
            'set certificate_file = "%(home)s/.mutt_certificates"\n'
            'set ssl_force_tls = yes\n'
            'set imap_user = "%(user)s"\n'
            'set imap_pass = "%(password)s"\n'
            'set folder = "imaps://127.0.0.1:%(imaps_port)d/"\n'
            'set spoolfile = "+INBOX"\n'
            'set sleep_time = 0 move = no quit = yes\n'
            '%(pin)s\n') % p}
    if client == 'mbsync':
        p['pin'] = (pin + '\n') if pin else ''
        return {'.mbsyncrc': (
            'IMAPAccount cell\nHost 127.0.0.1\nPort %(imaps_port)d\nUser %(user)s\nPass %(password)s\n'
            'SSLType IMAPS\nCertificateFile %(ca)s\nSystemCertificates no\n%(pin)s\n'
            'IMAPStore remote\nAccount cell\n\n'
            'MaildirStore local\nPath %(home)s/mail/\nInbox %(home)s/mail/INBOX\n\n'
            'Channel cell\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSync Pull\n') % p}
    if client == 'msmtp':
        lines = ['account cell', 'host 127.0.0.1', 'port %(smtp_port)d', 'tls on', 'tls_starttls on', 'tls_trust_file %(ca)s',
                 'auth plain', 'user %(smtp_user)s', 'password %(password)s', 'from %(smtp_user)s@localhost']
        lines += [pin] if pin else []
        lines += ['']
        return {'.msmtprc': '\n'.join(lines) % p}
    if client == 'offlineimap':
        p['pin'] = (pin + '\n') if pin else ''
        return {'.offlineimaprc': (
            '[general]\naccounts = cell\nmetadata = %(home)s/meta\n\n'
            '[Account cell]\nlocalrepository = local\nremoterepository = remote\n\n'
            '[Repository local]\ntype = Maildir\nlocalfolders = %(home)s/mail\n\n'
            '[Repository remote]\ntype = IMAP\nremotehost = localhost\nremoteport = %(imaps_port)d\nssl = yes\n'
            'sslcacertfile = %(ca)s\nremoteuser = %(user)s\nremotepass = %(password)s\n'
            'folderfilter = lambda name: name == "INBOX"\nreadonly = True\n%(pin)s') % p}
    if client == 'getmail':
        p['pin'] = (pin + '\n') if pin else ''
        return {'.getmail/getmailrc': (
            '[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\nport = %(pop3s_port)d\nusername = %(user)s\n'
            'password = %(password)s\nca_certs = %(ca)s\n%(pin)s\n'
            '[destination]\ntype = Maildir\npath = %(home)s/Maildir/\n\n'
            '[options]\nread_all = false\ndelete = false\nverbose = 2\n') % p}
    if client == 'imapfilter':
        p['pin'] = pin.replace('ssl = ', '') if pin else "'auto'"
        return {'.imapfilter/config.lua': (
            'options.timeout = 20\noptions.certificates = false\n'
            'account = IMAP {\n  server = "127.0.0.1",\n  port = %(imaps_port)d,\n  username = "%(user)s",\n'
            '  password = "%(password)s",\n  ssl = %(pin)s,\n}\n'
            'local n = account.INBOX:check_status()\nprint("messages", n)\n') % p}
    if client == 'curl':
        # '--tlsv1.0 --tls-max 1.0' -> one option per line, as a curlrc has them
        flags = ''.join('%s\n' % option.strip() for option in re.split(r'\s(?=--)', pin) if option.strip())
        return {'.curlrc': ('url = "imaps://127.0.0.1:%(imaps_port)d/INBOX"\nuser = "%(user)s:%(password)s"\n'
                            'cacert = "%(ca)s"\n' % p) + flags}
    if client == 'python_imaplib':
        return {'imap_check.py': PYTHON_SCRIPT % {'context': PYTHON_CONTEXT[setting]}}
    raise KeyError(client)


def _write_all(cell):
    paths = {}
    for name, text in config_files(cell.client, cell.setting, cell_params(cell)).items():
        folder = os.path.dirname(os.path.join(cell.home, name))
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o700)
        paths[name] = cell.write(name, text)
    return paths


def run_fetchmail(cell):
    rc = _write_all(cell)['.fetchmailrc']
    return cell.run([_binary('fetchmail'), '-f', rc, '-c', '-v', '--nosyslog', '--pidfile', os.path.join(cell.home, 'fetchmail.pid'),
                     '-i', os.path.join(cell.home, 'fetchids')])


def _run_mutt(cell, binary):
    rc = list(_write_all(cell).values())[0]
    url = 'imaps://127.0.0.1:%d/INBOX' % cell.dovecot.imaps_port
    run = run_in_terminal([_binary(binary), '-n', '-F', rc, '-f', url, '-e', 'push <quit>'], env=cell.env, cwd=cell.home,
                          timeout=CELL_TIMEOUT, idle_key='q', idle_after=6.0, max_keys=3)
    return (None if run.timed_out else run.rc), run.text + ('\n[timed out]' if run.timed_out else '')


def run_mutt(cell):
    return _run_mutt(cell, 'mutt')


def run_neomutt(cell):
    return _run_mutt(cell, 'neomutt')


def run_mbsync(cell):
    rc = _write_all(cell)['.mbsyncrc']
    os.makedirs(os.path.join(cell.home, 'mail'), exist_ok=True)
    return cell.run([_binary('mbsync'), '-c', rc, '-V', 'cell'])


def run_msmtp(cell):
    rc = _write_all(cell)['.msmtprc']
    message = ('From: %s@localhost\nTo: rcpt@localhost\nSubject: cell %s\n\nbody\n' % (SMTP_USER, cell.id)).encode()
    return cell.run([_binary('msmtp'), '-C', rc, '-a', 'cell', '-d', 'rcpt@localhost'], stdin=message)


def run_offlineimap(cell):
    rc = _write_all(cell)['.offlineimaprc']
    os.makedirs(os.path.join(cell.home, 'mail'), exist_ok=True)
    return cell.run([_binary('offlineimap'), '-c', rc, '-o', '-u', 'basic'])


def run_getmail(cell):
    rc = _write_all(cell)['.getmail/getmailrc']
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(cell.home, 'Maildir', sub), exist_ok=True)
    return cell.run([_binary('getmail'), '--getmaildir', os.path.dirname(rc), '--rcfile', rc])


def run_imapfilter(cell):
    rc = _write_all(cell)['.imapfilter/config.lua']
    return cell.run([_binary('imapfilter'), '-c', rc, '-t', cell.ca, '-v'])


def run_curl(cell):
    _write_all(cell)  # ~/.curlrc holds the URL, the login and the pin; curl reads it from HOME
    return cell.run([_binary('curl'), '-sS', '-v', '--max-time', '20'])


def run_python_imaplib(cell):
    script = _write_all(cell)['imap_check.py']
    return cell.run([SYSTEM_PYTHON, '-I', script, str(cell.dovecot.imaps_port), cell.user, PASSWORD, cell.ca])


def run_exim(cell):
    from harness import exim  # pylint: disable=import-outside-toplevel
    exim.ensure()
    ciphers = cell.pin.partition('=')[2].strip() if cell.pin else None
    # the Exim user must reach its spool: a folder outside the cell's private HOME
    folder = os.path.join(cell.runner.root, 'exim', cell.id)
    os.makedirs(folder, exist_ok=True)
    os.chmod(os.path.dirname(folder), 0o755)
    relay = exim.Relay(folder, exim.relay_config(folder, cell.ca, {'cell.test': cell.smtp.port}, SMTP_USER, PASSWORD, ciphers))
    return relay.send('rcpt@cell.test', 'cell %s' % cell.id, gnutls_config=policy_files(cell.policy)[1])


RUNNERS = {
    'fetchmail': run_fetchmail, 'mutt': run_mutt, 'neomutt': run_neomutt, 'mbsync': run_mbsync, 'msmtp': run_msmtp,
    'offlineimap': run_offlineimap, 'getmail': run_getmail, 'imapfilter': run_imapfilter, 'curl': run_curl,
    'python_imaplib': run_python_imaplib, 'exim': run_exim,
}


def config_excerpt(client, setting):
    """What the cell's configuration says about TLS (for the record and the posture's parsers)."""
    return CLIENTS[client]['settings'][setting]


class Runner(object):
    """Starts the servers, runs the cells (concurrently), returns the records."""

    def __init__(self, root=None, clients=None, workers=4, postfix=True):
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix='mailtls-matrix-', dir=_build_dir())
        os.chmod(self.root, 0o755)
        self.clients = sorted(clients or CLIENTS)
        self.workers = workers
        users = [cell_user(*cell) for cell in all_cells(self.clients)]
        self.servers = Servers(os.path.join(self.root, 'servers'), users)
        self.postfix = None
        self.with_postfix = postfix and 'postfix' in self.clients

    def __enter__(self):
        self.servers.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.postfix is not None:
            for instance in self.postfix.values():
                instance.stop()
        self.servers.stop()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def _judge_dovecot(self, cell, rc, output):
        login = cell.dovecot.logins().get(cell.user)
        if login:
            return {'result': 'connected', 'protocol': login[0], 'cipher': login[1], 'observed': 'dovecot login log'}
        return {'result': 'failed', 'protocol': None, 'failure': failure_class(output), 'observed': 'no dovecot login; client output'}

    def _judge_smtp(self, cell, rc, output):
        for message in list(cell.smtp.messages):
            if 'Subject: cell %s\r\n' % cell.id in message['data']:
                return {'result': 'connected', 'protocol': PROTOCOL_IDS.get(message['tls_version'], message['tls_version']),
                        'cipher': message['cipher'], 'observed': 'smtp server received the message'}
        return {'result': 'failed', 'protocol': None, 'failure': failure_class(output), 'observed': 'no message at the smtp server; client output'}

    def run_cell(self, client, setting, policy, server):
        cell = Cell(self, client, setting, policy, server)
        started = time.monotonic()
        rc, output = RUNNERS[client](cell)
        if CLIENTS[client]['service'] == 'smtp':
            cell.smtp.settle(5.0)
            record = self._judge_smtp(cell, rc, output)
        else:
            time.sleep(0.2)  # the login line may trail the client's exit
            record = self._judge_dovecot(cell, rc, output)
        record.update({'client': client, 'setting': setting, 'policy': policy, 'server': server, 'exit_code': rc,
                       'client_output': _excerpt(output), 'seconds': round(time.monotonic() - started, 1)})
        return record

    def run(self, cells=None):
        cells = list(cells or [c for c in all_cells(self.clients) if c[0] != 'postfix'])
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            records = list(pool.map(lambda c: self.run_cell(*c), cells))
        if self.with_postfix:
            records += self.run_postfix()
        return records

    def run_postfix(self):
        from harness import postfix  # pylint: disable=import-outside-toplevel
        self.postfix = {}
        records = []
        for policy in POLICIES:
            openssl_conf, unused = policy_files(policy)
            self.postfix[policy] = postfix.Instance(os.path.join(self.root, 'postfix-%s' % policy), openssl_conf=openssl_conf)
        for instance in self.postfix.values():
            instance.start()
        jobs = []
        for policy, instance in self.postfix.items():
            for setting in SETTINGS:
                for server in SERVERS:
                    cid = cell_id('postfix', setting, policy, server)
                    transport = instance.add_route(setting, server, self.servers.smtp[server].port, CLIENTS['postfix']['settings'][setting])
                    jobs.append((policy, setting, server, cid, transport))
        for instance in self.postfix.values():
            instance.configure(SMTP_USER, PASSWORD, self.servers.cert)
            instance.reload_or_start()
        queued = {}
        for policy, setting, server, cid, transport in jobs:
            queued[cid] = self.postfix[policy].submit(transport, 'Subject: cell %s' % cid)
        deadline = time.monotonic() + 60
        pending = set(queued)
        while pending and time.monotonic() < deadline:
            for policy, setting, server, cid, transport in jobs:
                if cid in pending and self.postfix[policy].outcome(queued[cid]) is not None:
                    pending.discard(cid)
            time.sleep(0.5)
        for policy, setting, server, cid, transport in jobs:
            smtp = self.servers.smtp[server]
            smtp.settle(5.0)
            outcome = self.postfix[policy].outcome(queued[cid])
            record = None
            for message in list(smtp.messages):
                if 'Subject: cell %s\r\n' % cid in message['data']:
                    record = {'result': 'connected', 'protocol': PROTOCOL_IDS.get(message['tls_version']), 'cipher': message['cipher'],
                              'observed': 'smtp server received the message relayed by postfix'}
            if record is None:
                record = {'result': 'failed', 'protocol': None, 'failure': failure_class(outcome or '[timed out]'),
                          'observed': 'postfix log: message deferred'}
            record.update({'client': 'postfix', 'setting': setting, 'policy': policy, 'server': server, 'exit_code': None,
                           'client_output': _excerpt(outcome or ''), 'seconds': None})
            records.append(record)
        return records


def _build_dir():
    folder = os.path.join(REPO, 'build', 'matrix')
    os.makedirs(folder, exist_ok=True)
    return folder


def client_facts(clients=None):
    """Version and TLS library of every client binary on this host."""
    facts = {}
    for name in sorted(clients or CLIENTS):
        spec = CLIENTS[name]
        if name == 'exim':
            from harness import exim  # pylint: disable=import-outside-toplevel
            binary = exim.binary()
            facts[name] = {'package': spec['package'], 'version': exim.version(), 'binary': '/usr/sbin/exim4',
                           'tls_library': _tls_library(binary), 'service': spec['service'], 'settings': dict(spec['settings']),
                           'how': 'unpacked from the Debian archive into build/exim and run from a private -C configuration '
                                  'in a private mount namespace (tests/harness/exim.py): it conflicts with the installed Postfix'}
            continue
        binary = spec['binary'] if os.path.isabs(spec['binary']) else shutil.which(spec['binary'])
        facts[name] = {'package': spec['package'], 'version': _deb_version(spec['package']),
                       'binary': binary, 'tls_library': _tls_library(binary) if binary else None,
                       'service': spec['service'], 'settings': dict(spec['settings'])}
    if facts.get('curl', {}).get('binary'):
        proc = subprocess.run([facts['curl']['binary'], '-V'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20, check=False)
        first = proc.stdout.decode('utf-8', 'replace').splitlines()[:1]
        # ldd also lists libgnutls (pulled in by a dependency); the TLS backend is what curl -V names
        facts['curl']['tls_library'] = 'openssl' if first and 'OpenSSL/' in first[0] else facts['curl']['tls_library']
        facts['curl']['tls_library_source'] = first[0] if first else None
    facts['python_imaplib']['tls_library'] = 'openssl (python ssl)'
    facts['offlineimap']['tls_library'] = 'openssl (python ssl)'
    facts['getmail']['tls_library'] = 'openssl (python ssl)'
    return facts


CELL_KEYS = ('client', 'setting', 'policy', 'server', 'result', 'protocol', 'cipher', 'failure', 'observed')


def key_of(record):
    return (record['client'], record['setting'], record['policy'], record['server'])


def record(path=DATA_FILE, workers=4, clients=None, refresh_policies=False):
    if refresh_policies or not os.path.exists(policy_files('after')[0]):
        make_policies()
    started = time.monotonic()
    with Runner(clients=clients, workers=workers) as runner:
        cells = runner.run()
        checks = runner.servers.checks
    cells.sort(key=key_of)
    document = {
        'format': 1,
        'about': 'What the real clients negotiated; see tests/harness/matrix.py for how each cell runs and is observed.',
        'recorded': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'),
        'host': {'openssl': _deb_version('openssl'), 'libssl3': _deb_version('libssl3'), 'libgnutls30': _deb_version('libgnutls30'),
                 'dovecot': _deb_version('dovecot-core')},
        'policies': dict((p, {'openssl_conf': os.path.relpath(policy_files(p)[0], TESTS),
                              'openssl_conf_sha256': sha256(policy_files(p)[0]),
                              'gnutls_config': os.path.relpath(policy_files(p)[1], TESTS),
                              'gnutls_config_sha256': sha256(policy_files(p)[1])}) for p in POLICIES),
        'servers': dict((name, dict(SERVER_FACTS[name], s_client=dict((k, v) for k, v in checks.items() if k.startswith(name + '/'))))
                        for name in SERVERS),
        'clients': client_facts(clients),
        'not_driven': NOT_DRIVEN,
        'notes': NOTES,
        'cells': [dict((k, c.get(k)) for k in CELL_KEYS) for c in cells],
    }
    with open(path, 'w') as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write('\n')
    return document, time.monotonic() - started, cells


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--record', action='store_true', help='run every cell and rewrite %s' % os.path.relpath(DATA_FILE, REPO))
    parser.add_argument('--policies', action='store_true', help='regenerate the before/after policy copies first')
    parser.add_argument('--client', action='append', help='only these clients (printing, no recording)')
    parser.add_argument('--workers', type=int, default=4)
    args = parser.parse_args(argv)
    if args.policies:
        make_policies()
    if args.record:
        document, seconds, unused = record(workers=args.workers)
        print('recorded %d cells in %.0fs' % (len(document['cells']), seconds))
        return 0
    with Runner(clients=args.client, workers=args.workers) as runner:
        for cell in sorted(runner.run(), key=key_of):
            print('%-15s %-7s %-7s %-13s %-10s %-7s %s | %s' % (
                cell['client'], cell['setting'], cell['policy'], cell['server'], cell['result'], cell.get('protocol'),
                cell.get('failure') or '', cell['client_output'][:150]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
