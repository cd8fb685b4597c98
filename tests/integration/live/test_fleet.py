# -*- coding: utf-8 -*-
"""The change pipeline end to end, across a fleet of real Debian hosts.

Each managed host is a Debian root file system built from Debian's archive with
``debootstrap`` (``tests/harness/fleet.py``), copied fresh for this session and
reached through community.general's ``chroot`` connection plugin.  Five hosts
run Debian 12 (OpenSSL 3.0), one runs Debian 11 (OpenSSL 1.1.1):

``stock``     distribution defaults; a user's fetchmail without a protocol pin.
``pinned``    a user's fetchmail and mbsync pinned to TLS 1.0.
``legacy11``  Debian 11 whose admin loosened OpenSSL to TLS 1.0 for an old
              server, and a fetchmail pinned to TLS 1.0.
``hardened``  TLS 1.2 minimum for OpenSSL and GnuTLS and clients pinned to
              TLS 1.2 or newer already: nothing to change.
``tls13``     a host vars mistake: TLS 1.3 minimum, but one of its mail endpoints
              stops at TLS 1.2.  Its verify must fail, stop the rollout and roll
              it back.
``relay``     a Postfix relay: ``relayhost`` on the loopback SMTP server and
              ``smtp_tls_protocols`` allowing only TLSv1.

The mail endpoints are the session's Dovecot (TLS 1.2 and newer) and SMTP
servers on 127.0.0.1; the hosts share this machine's network namespace, so
their loopback reaches them.  The playbooks run as users run them
(``ansible-playbook mailtls.remediation.<name>``), aimed at the servers
through group and host vars.  Real fetchmail and mbsync inside the hosts log
in before and after.  Before and after ``rollback`` every file under ``/etc``,
``/home`` and ``/root`` of every host is hashed (content, mode, owner).

The stages run once per module, in order, whatever test asks first: each test
asserts one claim about them.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import socket
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import fleet as fleet_lib, smtp  # noqa: E402  pylint: disable=wrong-import-position
from harness.collection_root import collection_root  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
PLAYBOOK_TIMEOUT = 900
CLIENT_TIMEOUT = 60
USER = 'alice'
UID = 1000
HOME = '/home/alice'
COMMON = ('python3', 'openssl', 'ca-certificates', 'fetchmail', 'isync')
PACKAGES = {
    # libsasl2-modules: Postfix's SMTP client needs the PLAIN mechanism to log in to the relay
    'bookworm': COMMON + ('postfix', 'libsasl2-modules'),
    'bullseye': COMMON,
}
# Inventory order is rollout order.  With serial [1, 3, 1] the batches are
# stock | pinned legacy11 hardened | tls13 | relay: tls13 fails alone in its
# batch, so relay is never reached.
ROLLOUT = json.dumps({'mailtls_serial': [1, 3, 1]})
HOSTS = (
    ('stock', 'bookworm'),
    ('pinned', 'bookworm'),
    ('legacy11', 'bullseye'),
    ('hardened', 'bookworm'),
    ('tls13', 'bookworm'),
    ('relay', 'bookworm'),
)
CANARY_CA = '/usr/local/share/ca-certificates/mailtls-canary-%d.crt'


# -- starting states -------------------------------------------------------------

def _fetchmailrc(server, sslproto):
    pin = " sslproto '%s'" % sslproto if sslproto else ''
    return ('# %s\'s fetchmail\n'
            'set no syslog\n'
            'poll 127.0.0.1 with proto IMAP port %d\n'
            '    user "%s" there with password "%s" is %s here\n'
            "    ssl%s sslcertck sslcommonname 'localhost'\n"
            % (USER, server.imaps_port, server.user, server.password, USER, pin))


def _mbsyncrc(server, versions):
    return ('# %s\'s isync\n'
            'IMAPAccount work\n'
            'Host localhost\n'
            'Port %d\n'
            'User %s\n'
            'Pass %s\n'
            'SSLType IMAPS\n'
            'SSLVersions %s\n'
            '\n'
            'IMAPStore work-remote\nAccount work\n\n'
            'MaildirStore work-local\nPath /var/tmp/alice-mail/\nInbox /var/tmp/alice-mail/INBOX\n\n'
            'Channel work\nFar :work-remote:\nNear :work-local:\nPatterns INBOX\nCreate Near\nSyncState *\n'
            % (USER, server.imaps_port, server.user, server.password, versions))


def _hardened_openssl(text):
    """Debian 12's openssl.cnf with the system_default chain and a TLS 1.2 minimum, as an admin writes it."""
    text = text.replace('[openssl_init]\n', '[openssl_init]\nssl_conf = ssl_sect\n', 1)
    assert 'ssl_conf = ssl_sect' in text, 'Debian 12 openssl.cnf layout changed'
    return text + ('\n[ssl_sect]\nsystem_default = system_default_sect\n\n'
                   '[system_default_sect]\nMinProtocol = TLSv1.2\nCipherString = DEFAULT:@SECLEVEL=2\n')


def _loosened_openssl(text):
    """Debian 11's openssl.cnf with its TLS 1.2 minimum lowered to TLS 1.0, as done for an old server."""
    assert 'MinProtocol = TLSv1.2' in text, 'Debian 11 openssl.cnf layout changed'
    return text.replace('MinProtocol = TLSv1.2', 'MinProtocol = TLSv1', 1).replace(
        'CipherString = DEFAULT@SECLEVEL=2', 'CipherString = DEFAULT@SECLEVEL=1', 1)


def _postfix_relay(relay_port):
    """``postconf -e`` settings of a Debian 12 satellite relaying through a provider that needs SMTP AUTH, pinned to TLSv1."""
    return [
        'relayhost=[127.0.0.1]:%d' % relay_port,
        'master_service_disable=inet',  # a satellite: no listener of its own
        'maillog_file=/var/log/postfix.log',
        'smtp_sasl_auth_enable=yes',
        'smtp_sasl_password_maps=texthash:/etc/postfix/sasl_passwd',
        'smtp_sasl_security_options=noanonymous',
        'smtp_sasl_tls_security_options=noanonymous',
        'smtp_tls_security_level=encrypt',
        'smtp_tls_protocols=TLSv1',
        'smtp_tls_mandatory_protocols=TLSv1',
        'smtp_tls_CAfile=/etc/ssl/certs/ca-certificates.crt',
    ]


def prepare_host(host, state, world):
    """Common set-up (name resolution, the test CA, a user) then the host's starting state."""
    host.write('/etc/hostname', host.name + '\n')
    host.write('/etc/hosts', '127.0.0.1\tlocalhost\n127.0.1.1\t%s %s\n::1\tip6-localhost ip6-loopback\n'
               % (socket.gethostname(), host.name))
    for index, ca in enumerate(world.cas):
        with open(ca) as handle:
            host.write(CANARY_CA % index, handle.read())
    host.must(['update-ca-certificates'])
    owner = host.add_user(USER, UID)
    imap = world.servers.modern
    if state == 'stock':
        host.write(HOME + '/.fetchmailrc', _fetchmailrc(imap, None), 0o600, owner)
    elif state == 'pinned':
        host.write(HOME + '/.fetchmailrc', _fetchmailrc(imap, 'tls1'), 0o600, owner)
        host.write(HOME + '/.mbsyncrc', _mbsyncrc(imap, 'TLSv1'), 0o600, owner)
    elif state == 'legacy11':
        host.write('/etc/ssl/openssl.cnf', _loosened_openssl(host.read('/etc/ssl/openssl.cnf')))
        host.write(HOME + '/.fetchmailrc', _fetchmailrc(imap, 'tls1'), 0o600, owner)
    elif state == 'hardened':
        host.write('/etc/ssl/openssl.cnf', _hardened_openssl(host.read('/etc/ssl/openssl.cnf')))
        host.write('/etc/gnutls/config', '[overrides]\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n')
        host.write(HOME + '/.fetchmailrc', _fetchmailrc(imap, 'tls1.2+'), 0o600, owner)
        host.write(HOME + '/.mbsyncrc', _mbsyncrc(imap, 'TLSv1.2 TLSv1.3'), 0o600, owner)
        # Postfix sets its own protocol bounds (the system minimum does not reach it): harden it too.
        host.must(['postconf', '-e', 'smtp_tls_protocols = >=TLSv1.2', 'smtp_tls_mandatory_protocols = >=TLSv1.2'])
    elif state == 'tls13':
        host.write(HOME + '/.fetchmailrc', _fetchmailrc(imap, None), 0o600, owner)
        host.vars = {
            'tls_remediation_min_protocol': 'TLSv1.3',
            'tls_remediation_probe_endpoints': world.endpoints + [
                {'host': '127.0.0.1', 'port': world.smtp_tls12.port, 'service': 'smtp', 'mode': 'starttls'}],
        }
    elif state == 'relay':
        host.must(['postconf', '-e'] + _postfix_relay(world.smtp.port))
        host.write('/etc/postfix/sasl_passwd', '[127.0.0.1]:%d %s:%s\n' % (
            world.smtp.port, world.smtp.user, world.smtp.password), 0o600)
    else:
        raise AssertionError('unknown starting state %s' % state)
    host.must(['install', '-d', '-o', str(UID), '-g', str(UID), '/var/tmp/alice-mail'])


# -- the world of this module ----------------------------------------------------------

class Stage(object):
    def __init__(self, rc, output, results, report, seconds):
        self.rc = rc
        self.output = output
        self.results = results
        self.report = report
        self.seconds = seconds

    def task_results(self, host, action):
        """Results of every task of ``host`` whose action is ``action`` (module name without the namespace)."""
        return [r for r in self.results.get(host, []) if r['action'].split('.')[-1] == action]

    def posture(self, host):
        for doc in self.report['hosts']:
            if doc['host']['name'] == host:
                return doc
        raise KeyError(host)


class World(object):
    def __init__(self, servers, smtp_modern, smtp_tls12, cas, hosts, workdir):
        self.servers = servers
        self.smtp = smtp_modern
        self.smtp_tls12 = smtp_tls12
        self.cas = cas
        self.fleet = hosts
        self.workdir = workdir
        self.stages = {}
        self.snapshots = {}
        self.login_log = {}
        self.endpoints = [
            {'host': '127.0.0.1', 'port': servers.modern.imaps_port, 'service': 'imap', 'mode': 'implicit'},
            {'host': '127.0.0.1', 'port': smtp_modern.port, 'service': 'smtp', 'mode': 'starttls'},
        ]
        self.inventory = os.path.join(workdir, 'inventory', 'hosts.ini')

    def names(self):
        return [host.name for host in self.fleet.hosts]

    def snapshot_all(self):
        return dict((host.name, host.snapshot()) for host in self.fleet.hosts)

    def playbook(self, label, playbook, *extra):
        report_dir = os.path.join(self.workdir, 'report-%s' % label)
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': collection_root(),
            'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.json',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': 'False',
            'ANSIBLE_LOCALHOST_WARNING': 'False',
            'ANSIBLE_DEPRECATION_WARNINGS': 'False',
            'ANSIBLE_FORKS': '6',
            'PATH': BIN + os.pathsep + env.get('PATH', ''),
        })
        cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', self.inventory, 'mailtls.remediation.%s' % playbook,
               '-e', 'fleet_report_dir=%s' % report_dir] + list(extra)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=PLAYBOOK_TIMEOUT, check=False)
        seconds = time.monotonic() - started
        with open(os.path.join(self.workdir, '%s.out' % label), 'w') as handle:
            handle.write(proc.stdout + '\n--- stderr\n' + proc.stderr)
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError('%s: no JSON from ansible-playbook (rc %d): %s %s'
                                 % (label, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        results = {}
        for play in data.get('plays', []):
            for task in play.get('tasks', []):
                for host, result in task.get('hosts', {}).items():
                    entry = dict(result)
                    entry['task'] = task['task']['name']
                    entry['action'] = result.get('action') or task['task'].get('name', '')
                    results.setdefault(host, []).append(entry)
        report = None
        report_file = os.path.join(report_dir, 'posture.json')
        if os.path.exists(report_file):
            with open(report_file) as handle:
                report = json.load(handle)
        stage = Stage(proc.returncode, proc.stdout + proc.stderr, results, report, seconds)
        self.stages[label] = stage
        return stage

    # -- real clients inside the hosts --------------------------------------------
    def fetchmail(self, host):
        rc, out = host.run(['fetchmail', '-c', '-v', '--nosyslog'], user='%d:%d' % (UID, UID),
                           env={'HOME': HOME, 'USER': USER, 'LOGNAME': USER}, timeout=CLIENT_TIMEOUT)
        ok = rc in (0, 1) and 'SSL connection failed' not in out and ('message' in out or 'No mail' in out)
        return ok, out

    def mbsync(self, host):
        rc, out = host.run(['mbsync', '-a'], user='%d:%d' % (UID, UID),
                           env={'HOME': HOME, 'USER': USER, 'LOGNAME': USER}, timeout=CLIENT_TIMEOUT)
        return rc == 0, out

    def relay_mail(self, host, tag, timeout=45):
        """Start the host's Postfix, submit one message with its sendmail, wait until the SMTP server has it.

        Returns (delivered, TLS version of the delivery or None, the end of Postfix's log).
        The master runs in its own PID namespace, so stopping the wrapper stops every Postfix process.
        """
        subject = 'mailtls fleet relay %s %s' % (host.name, tag)
        master = subprocess.Popen([host.wrapper, host.root, 'env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'postfix', 'start-fg'],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        log_path = host.path('/var/log/postfix.log')

        def new_log():
            if not os.path.exists(log_path):
                return ''
            with open(log_path, 'r', errors='replace') as handle:
                handle.seek(offset)
                return handle.read()

        offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        try:
            message = 'From: %s@%s\nTo: %s@example.invalid\nSubject: %s\n\nrelayed by the fleet test\n' % (
                USER, host.name, self.smtp.user, subject)
            host.must(['sendmail', '-f', '%s@%s' % (USER, host.name), '%s@example.invalid' % self.smtp.user],
                      input_text=message)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                got = [m for m in self.smtp.messages if ('Subject: %s' % subject) in m['data']]
                if got:
                    return True, got[0]['tls_version'], ''
                if 'status=deferred' in new_log() or 'status=bounced' in new_log():
                    break
                time.sleep(0.5)
            return False, None, new_log()[-1500:]
        finally:
            os.killpg(master.pid, 15)
            try:
                master.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(master.pid, 9)
                master.wait(10)
            # the queue keeps the deferred message; empty it so the next round starts clean
            host.run(['postsuper', '-d', 'ALL'])

    def logins(self):
        result = {}
        for host in self.fleet.hosts:
            entry = {}
            if os.path.exists(host.path(HOME + '/.fetchmailrc')):
                entry['fetchmail'] = self.fetchmail(host)
            if os.path.exists(host.path(HOME + '/.mbsyncrc')):
                entry['mbsync'] = self.mbsync(host)
            if os.path.exists(host.path('/etc/postfix/main.cf')) and 'relayhost = [' in host.read('/etc/postfix/main.cf'):
                delivered, version, log = self.relay_mail(host, str(len(self.login_log)))
                entry['postfix'] = (delivered, '%s %s' % (version, log))
            result[host.name] = entry
        return result


def build_world(servers, workdir):
    """Start the SMTP servers, build the hosts and their starting states, write the inventory."""
    # the same certificate as the Dovecot servers: two self-signed CAs with one
    # subject name confuse OpenSSL 1.1.1's lookup in /etc/ssl/certs
    cert, key = servers.cert, servers.modern._key  # pylint: disable=protected-access
    smtp_modern = smtp.SmtpServer('modern', cert, key, servers.modern.user, servers.modern.password,
                                  lifetime=PLAYBOOK_TIMEOUT * 4).start()
    smtp_tls12 = smtp.SmtpServer('tls12_only', cert, key, servers.modern.user, servers.modern.password,
                                 lifetime=PLAYBOOK_TIMEOUT * 4).start()
    hosts = fleet_lib.Fleet('fleet-test')
    world = World(servers, smtp_modern, smtp_tls12, [servers.ca], hosts, workdir)
    try:
        hosts.add_all([(name, release, PACKAGES[release]) for name, release in HOSTS])
        for host in hosts.hosts:
            prepare_host(host, host.name, world)
        group_vars = {
            'tls_remediation_probe_endpoints': world.endpoints,
            'tls_remediation_probe_retries': 1,
            # Ansible's own temporary files stay out of the homes that are compared byte for byte
            'ansible_remote_tmp': '/var/tmp/ansible-remote',
        }
        os.makedirs(os.path.dirname(world.inventory))
        hosts.write_inventory(world.inventory, group_vars={'fleet': group_vars})
    except BaseException:
        world.close()
        raise
    return world


def _close(world):
    for server in (world.smtp, world.smtp_tls12):
        server.stop()
    world.fleet.cleanup()


World.close = _close


# -- the stages, run once and in order ----------------------------------------------------

MACHINE_FILES = ('/etc/ssl/openssl.cnf', '/etc/gnutls/config', '/etc/postfix/main.cf', '/root/.fetchmailrc',
                 '/root/.mbsyncrc', '/var/lib/mailtls-remediation')


def machine_state():
    """This machine's own files that a stray module run would change (the fleet must never touch them)."""
    state = {}
    for path in MACHINE_FILES:
        if os.path.isdir(path):
            state[path] = sorted(os.listdir(path))
        elif os.path.exists(path):
            state[path] = fleet_lib.sha256_file(path)
        else:
            state[path] = None
    return state


STAGES = ('start', 'inventory', 'plan', 'remediate', 'remediate_rest', 'inventory_after', 'rollback', 'site')


def _run_stage(world, name):
    if name == 'start':
        world.snapshots['start'] = world.snapshot_all()
        world.login_log['start'] = world.logins()
    elif name == 'inventory':
        world.playbook('inventory', 'inventory')
    elif name == 'plan':
        world.playbook('plan', 'remediate', '--check', '--diff', '-e', ROLLOUT)
        world.snapshots['plan'] = world.snapshot_all()
    elif name == 'remediate':
        world.playbook('remediate', 'remediate', '--diff', '-e', ROLLOUT)
        world.snapshots['remediate'] = world.snapshot_all()
    elif name == 'remediate_rest':
        # the operator leaves the failed host out and finishes the rollout
        world.playbook('remediate_rest', 'remediate', '--diff', '-e', ROLLOUT, '-e', 'mailtls_hosts=fleet:!tls13')
        world.snapshots['remediate_rest'] = world.snapshot_all()
        world.login_log['remediated'] = world.logins()
    elif name == 'inventory_after':
        world.playbook('inventory_after', 'inventory')
    elif name == 'rollback':
        world.playbook('rollback', 'rollback')
        world.snapshots['rollback'] = world.snapshot_all()
        world.login_log['rollback'] = world.logins()
    elif name == 'site':
        world.playbook('site', 'site')


def _stage(self, name):
    for step in STAGES[:STAGES.index(name) + 1]:
        if step not in self.done:
            self.done.append(step)
            started = time.monotonic()
            _run_stage(self, step)
            self.seconds[step] = round(time.monotonic() - started, 1)
    return self.stages.get(name)


World.stage = _stage


@pytest.fixture(scope='module')
def world(mail_servers, tmp_path_factory):
    reason = fleet_lib.check_prerequisites()
    assert reason is None, reason
    machine_before = machine_state()
    started = time.monotonic()
    built = build_world(mail_servers, str(tmp_path_factory.mktemp('fleet')))
    built.done = []
    built.seconds = {'setup': round(time.monotonic() - started, 1)}
    built.machine_before = machine_before
    try:
        yield built
    finally:
        built.close()
        timing = os.path.join(fleet_lib.FLEET_DIR, 'last-run.json')
        with open(timing, 'w') as handle:
            json.dump({'stages': built.seconds, 'build': built.fleet.timings['build'],
                       'copy': dict((k, round(v, 1)) for k, v in built.fleet.timings['copy'].items())}, handle, indent=1)


# -- helpers for the claims --------------------------------------------------------------

CHANGING = ('system_tls', 'mail_client_tls')


def changed_paths(stage, host):
    """Paths the changing modules say they changed (or would change in check mode) on host."""
    paths = set()
    for action in CHANGING:
        for result in stage.task_results(host, action):
            if result.get('skipped') or (result.get('invocation', {}).get('module_args', {}).get('state') == 'rollback'):
                continue
            for item in result.get('files', []):
                if item.get('changed') or item.get('status') == 'changed':
                    paths.add(item['path'])
    return paths


def backups_of(stage, host):
    paths = set()
    for action in CHANGING:
        for result in stage.task_results(host, action):
            for item in result.get('backup_files', []) or []:
                paths.add(item['backup'])
    return paths


def disk_changes(before, after):
    """Entries that differ, appeared or disappeared between two snapshots of one host (files and links only)."""
    changed = set()
    for path in set(before) | set(after):
        kinds = set(entry[0] for entry in (before.get(path), after.get(path)) if entry)
        if kinds <= {'dir'}:
            continue
        if before.get(path) != after.get(path):
            changed.add(path)
    return changed


def client_predictions(doc):
    """{config path: True when the posture says the client reaches a TLS 1.2-and-newer server}."""
    result = {}
    for client in doc['clients']:
        protocols = client.get('protocols') or {}
        states = [(protocols.get(p) or {}).get('state') for p in ('tls1_2', 'tls1_3')]
        assert all(state in ('allowed', 'refused', 'conditional', 'unknown', None) for state in states), states
        ok = 'allowed' in states
        result[(client['client'], client['path'])] = ok if result.get((client['client'], client['path'])) is None \
            else (result[(client['client'], client['path'])] and ok)
    return result


def logins_as_predicted(world, stage_name, login_key):
    report = world.stages[stage_name].report
    mismatches = []
    for host in world.fleet.hosts:
        predicted = client_predictions(world.stages[stage_name].posture(host.name))
        for client, (ok, output) in world.login_log[login_key][host.name].items():
            if client == 'postfix':
                continue  # test_relay_*
            path = HOME + ('/.fetchmailrc' if client == 'fetchmail' else '/.mbsyncrc')
            if predicted.get((client, path)) != ok:
                mismatches.append((host.name, client, 'predicted %s' % predicted.get((client, path)),
                                   'real login %s' % ok, output[-400:]))
    assert report is not None
    return mismatches


# -- the claims -----------------------------------------------------------------------------

def test_hosts_are_separate_debian_systems(world):
    world.stage('inventory')
    for host in world.fleet.hosts:
        release = host.read('/etc/os-release')
        assert 'VERSION_CODENAME=%s' % host.release in release, (host.name, release)
        version = host.must(['openssl', 'version'])
        expected = '1.1.1' if host.release == 'bullseye' else '3.0.'
        assert version.startswith('OpenSSL %s' % expected), (host.name, version)
        # the posture was gathered inside the host: it names the host's own OpenSSL
        stacks = dict((stack['id'], stack) for stack in world.stages['inventory'].posture(host.name)['stacks'])
        assert stacks['openssl']['version'] and version.split()[1].startswith(stacks['openssl']['version']), (
            host.name, stacks['openssl']['version'], version)
    assert os.path.exists(world.fleet['relay'].path('/usr/sbin/postfix'))


def test_inventory_verdicts_follow_the_starting_states(world):
    stage = world.stage('inventory')
    assert stage.rc == 0, stage.output[-3000:]
    verdicts = dict((doc['host']['name'], doc['verdict']['status']) for doc in stage.report['hosts'])
    assert verdicts == {
        'stock': 'at_risk', 'pinned': 'will_fail', 'legacy11': 'will_fail', 'hardened': 'compliant',
        'tls13': 'at_risk', 'relay': 'will_fail',
    }, verdicts
    assert 'client_pinned_below_tls12' in stage.posture('pinned')['verdict']['reasons']


def test_real_clients_log_in_as_the_inventory_predicts(world):
    world.stage('inventory')
    start = world.login_log['start']
    assert not start['pinned']['fetchmail'][0] and not start['pinned']['mbsync'][0], 'pinned to TLS 1.0 against a TLS 1.2 server'
    assert start['stock']['fetchmail'][0] and start['hardened']['mbsync'][0], start
    assert logins_as_predicted(world, 'inventory', 'start') == []


def test_relay_is_pinned_below_its_provider_at_start(world):
    world.stage('start')
    delivered, detail = world.login_log['start']['relay']['postfix']
    assert not delivered and 'status=deferred' in detail and 'Cannot start TLS' in detail, detail


def test_relay_delivers_after_remediation(world):
    world.stage('remediate_rest')
    delivered, detail = world.login_log['remediated']['relay']['postfix']
    assert delivered and detail.split()[0] in ('TLSv1.2', 'TLSv1.3'), detail


def test_check_mode_plans_without_changing_a_file(world):
    stage = world.stage('plan')
    assert world.snapshots['plan'] == world.snapshots['start']
    statuses = dict((doc['host']['name'], (doc['run'].get('remediation') or {}).get('status')) for doc in stage.report['hosts'])
    for name in ('stock', 'pinned', 'legacy11'):
        assert statuses[name] == 'would_change', statuses
        assert changed_paths(stage, name), name
    # Debian 12's stock Postfix main.cf is planned too: the bookworm hosts all have Postfix installed
    assert changed_paths(stage, 'pinned') == {'/etc/ssl/openssl.cnf', '/etc/gnutls/config', HOME + '/.fetchmailrc',
                                              HOME + '/.mbsyncrc', '/etc/postfix/main.cf'}
    assert '/etc/postfix/main.cf' in changed_paths(stage, 'relay')


def test_real_run_does_what_the_plan_said(world):
    world.stage('remediate')
    plan, real = world.stages['plan'], world.stages['remediate']
    compared = []
    for host in world.fleet.hosts:
        if host.name in ('tls13', 'relay'):
            continue  # tls13 fails before the change; the rollout stops before relay
        predicted = changed_paths(plan, host.name)
        assert changed_paths(real, host.name) == predicted, host.name
        on_disk = disk_changes(world.snapshots['start'][host.name], world.snapshots['remediate'][host.name])
        backups = backups_of(real, host.name)
        assert on_disk - backups == predicted, (host.name, sorted(on_disk - backups), sorted(predicted))
        assert backups <= on_disk
        compared.append(host.name)
    assert compared == ['stock', 'pinned', 'legacy11', 'hardened']


def test_a_failed_host_stops_the_rollout(world):
    stage = world.stage('remediate')
    assert stage.rc != 0, 'the rollout must fail when a host fails'
    failed = [r for r in stage.results['tls13'] if r.get('failed')]
    assert failed, 'tls13 must fail'
    # max_fail_percentage 0: the batch after tls13 (relay) never starts
    assert 'relay' not in stage.results or not any(r['action'].endswith(CHANGING) for r in stage.results['relay'])
    assert world.snapshots['remediate']['relay'] == world.snapshots['start']['relay']


def test_a_failed_verify_is_rolled_back(world):
    stage = world.stage('remediate')
    doc = stage.posture('tls13')
    assert (doc['run'].get('remediation') or {}).get('status') == 'rolled_back', doc['run']
    assert world.snapshots['remediate']['tls13'] == world.snapshots['start']['tls13']


def test_finishing_the_rollout_changes_only_the_rest(world):
    stage = world.stage('remediate_rest')
    assert stage.rc == 0, stage.output[-3000:]
    statuses = dict((doc['host']['name'], (doc['run'].get('remediation') or {}).get('status')) for doc in stage.report['hosts'])
    for name in ('stock', 'pinned', 'legacy11', 'hardened'):
        assert statuses[name] == 'unchanged', statuses
        assert world.snapshots['remediate_rest'][name] == world.snapshots['remediate'][name]
    assert statuses['relay'] == 'changed'
    assert 'tls13' not in stage.results


def test_remediated_clients_log_in(world):
    world.stage('inventory_after')
    logins = world.login_log['remediated']
    for name in ('stock', 'pinned', 'legacy11', 'hardened'):
        for client, (ok, output) in logins[name].items():
            assert ok, (name, client, output[-1500:])
    assert logins_as_predicted(world, 'inventory_after', 'remediated') == []


def test_inventory_after_remediation_changes_verdicts_as_planned(world):
    stage = world.stage('inventory_after')
    assert stage.rc == 0
    verdicts = dict((doc['host']['name'], doc['verdict']['status']) for doc in stage.report['hosts'])
    assert verdicts == {
        'stock': 'compliant', 'pinned': 'compliant', 'legacy11': 'compliant', 'hardened': 'compliant',
        'tls13': 'at_risk', 'relay': 'compliant',
    }, verdicts


def test_a_compliant_host_is_not_changed(world):
    world.stage('remediate')
    assert changed_paths(world.stages['plan'], 'hardened') == set()
    assert world.snapshots['remediate']['hardened'] == world.snapshots['start']['hardened']


def test_rollback_restores_every_host_byte_for_byte(world):
    stage = world.stage('rollback')
    assert stage.rc == 0, stage.output[-3000:]
    differences = {}
    for host in world.fleet.hosts:
        diff = disk_changes(world.snapshots['start'][host.name], world.snapshots['rollback'][host.name])
        if diff:
            differences[host.name] = sorted(diff)
    assert differences == {}


def test_clients_are_pinned_again_after_rollback(world):
    world.stage('rollback')
    logins = world.login_log['rollback']
    assert not logins['pinned']['fetchmail'][0] and not logins['pinned']['mbsync'][0]
    assert not logins['legacy11']['fetchmail'][0]


def test_site_inventories_every_host(world):
    stage = world.stage('site')
    assert stage.rc == 0, stage.output[-3000:]
    assert sorted(doc['host']['name'] for doc in stage.report['hosts']) == sorted(world.names())
    assert all(doc['run']['status'] == 'reported' for doc in stage.report['hosts'])


def test_this_machine_is_never_touched(world):
    world.stage(STAGES[-1])
    assert machine_state() == world.machine_before
