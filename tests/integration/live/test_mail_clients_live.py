"""mail_client_tls and the mail client inventory, proven with Debian's real clients.

The real fetchmail, mbsync (isync), mutt and msmtp read configuration files in
a temporary HOME; the real Dovecot servers of the harness answer on 127.0.0.1:

* ``modern``: TLS 1.2 and newer (the Exchange Online stand-in),
* ``legacy_ecdhe`` and ``legacy_rsa``: TLS 1.0 only.

``mail_client_tls`` runs for real through ``ansible localhost -m`` with
``paths`` pointing into the temporary HOME, so no real user's file is touched.
"""
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from harness import require_binary  # noqa: E402  pylint: disable=wrong-import-position
from harness.ansible import run_module  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc  # noqa: E402
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture  # noqa: E402

DATA = os.path.join(TESTS, 'unit', 'data', 'mail_clients')
FLAVOURS = ('modern', 'legacy_ecdhe', 'legacy_rsa')
CLIENT_TIMEOUT = 60


@pytest.fixture(scope='module')
def servers(mail_servers):
    """The session's Dovecot servers (tests/integration/live/conftest.py)."""
    return mail_servers


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / 'home'
    folder.mkdir()
    os.chmod(str(folder), 0o700)
    return folder


def _run(argv, home, timeout=CLIENT_TIMEOUT):
    env = dict(os.environ, HOME=str(home), LC_ALL='C')
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def state_dir_for(path):
    """The test's own state directory (next to its temporary HOME): no test writes the host's /var/lib."""
    path = os.path.abspath(str(path))
    while os.path.basename(path) != 'home' and path != os.path.dirname(path):
        path = os.path.dirname(path)
    return os.path.join(os.path.dirname(path), 'state')


def _remediate(paths, check=False, diff=False, **extra):
    args = dict({'paths': [str(p) for p in paths], 'min_protocol': 'TLSv1.2', 'state_dir': state_dir_for(paths[0])}, **extra)
    run = run_module('mail_client_tls', args, check=check, diff=diff)
    assert not run.failed, run.output
    return run


def _full_cycle(paths):
    """check+diff, real run, second run; returns (check_run, real_run, second_run)."""
    before = dict((str(p), p.read_bytes()) for p in paths)
    check_run = _remediate(paths, check=True, diff=True)
    assert dict((str(p), p.read_bytes()) for p in paths) == before, 'check mode wrote something'
    real = _remediate(paths, diff=True)
    second = _remediate(paths)
    assert check_run['changed'] and real['changed'] and not second['changed']
    predicted = [(f['path'], f['status'], f['changes']) for f in check_run['files']]
    applied = [(f['path'], f['status'], f['changes']) for f in real['files']]
    assert predicted == applied
    assert all(f['status'] == 'unchanged' for f in second['files'])
    return check_run, real, second


# --- fetchmail -----------------------------------------------------------------

def _fetchmailrc(path, server, sslproto):
    path.write_text(
        '# a user\'s fetchmailrc pinned to an old protocol\n'
        'set no syslog\n\n'
        'poll 127.0.0.1 with proto IMAP port %d\n'
        '    user "%s" there with password "%s" is root here\n'
        "    ssl sslproto '%s' sslcertck sslcommonname 'localhost' sslcertfile '%s'\n"
        % (server.imaps_port, server.user, server.password, sslproto, server.ca))
    os.chmod(str(path), 0o600)


def _fetchmail(path, home):
    # -c only checks: it logs in and counts messages without fetching them.
    return _run([require_binary('fetchmail'), '-f', str(path), '-c', '-v', '--nosyslog'], home)


def _fetchmail_ok(result):
    rc, out = result
    return rc in (0, 1) and 'SSL connection failed' not in out and ('message' in out or 'No mail' in out)


def test_fetchmail_pinned_to_tls1_before_and_after(servers, home):
    require_binary('fetchmail')
    rcs = {}
    for name in FLAVOURS:
        rcs[name] = home / ('.fetchmailrc-%s' % name)
        _fetchmailrc(rcs[name], getattr(servers, name), 'tls1')
    before = dict((name, _fetchmail(rcs[name], home)) for name in FLAVOURS)
    # sslproto 'tls1' fails against the TLS 1.2 server, which is the Exchange Online case
    assert not _fetchmail_ok(before['modern']), before['modern'][1]
    assert 'SSL connection failed' in before['modern'][1]
    # ... and only reaches the TLS 1.0 server with RSA key exchange (Debian's OpenSSL refuses the ECDHE one)
    assert _fetchmail_ok(before['legacy_rsa']), before['legacy_rsa'][1]
    assert 'using protocol TLSv1,' in before['legacy_rsa'][1]
    assert not _fetchmail_ok(before['legacy_ecdhe'])

    check_run, real, unused = _full_cycle(list(rcs.values()))
    for item in real['files']:
        assert item['format'] == 'fetchmail' and item['status'] == 'changed'
        assert item['changes'] == ["line 6: sslproto 'tls1' -> tls1.2+"]
        assert item['backup_file'] and open(item['backup_file']).read().count("sslproto 'tls1' ") == 1
    for secret_holder in (check_run.output, real.output):
        assert getattr(servers, 'modern').password not in secret_holder
    for path in rcs.values():
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600, 'fetchmail refuses an rcfile others can read'
        assert "sslproto 'tls1.2+'" in path.read_text()

    after = dict((name, _fetchmail(rcs[name], home)) for name in FLAVOURS)
    assert _fetchmail_ok(after['modern']), after['modern'][1]
    assert 'using protocol TLSv1.2' in after['modern'][1] or 'using protocol TLSv1.3' in after['modern'][1]
    assert not _fetchmail_ok(after['legacy_ecdhe']), after['legacy_ecdhe'][1]
    assert not _fetchmail_ok(after['legacy_rsa']), after['legacy_rsa'][1]

    # rollback puts the pinned files back byte for byte
    rollback = run_module('mail_client_tls', {'state': 'rollback', 'backup_files': real['backup_files'],
                                              'state_dir': state_dir_for(home)})
    assert rollback['changed'] and not rollback.failed
    assert "sslproto 'tls1' " in rcs['modern'].read_text()
    assert not _fetchmail_ok(_fetchmail(rcs['modern'], home))


def test_fetchmail_configdump_reads_the_remediated_file(servers, home):
    fetchmail = require_binary('fetchmail')
    rc = home / '.fetchmailrc'
    shutil.copy(os.path.join(DATA, 'fetchmailrc'), str(rc))
    os.chmod(str(rc), 0o600)
    _remediate([rc], move_legacy_endpoints=True)
    code, out = _run([fetchmail, '-f', str(rc), '--configdump'], home)
    assert code == 0, out
    assert out.count('"sslproto":"tls1.2+"') == 3
    assert '"pollname":"outlook.office365.com"' in out and 'imap-legacy' not in out


# --- mbsync ----------------------------------------------------------------------

def _mbsyncrc(path, home, server, versions):
    maildir = home / ('Mail-%s' % server.name)
    maildir.mkdir(exist_ok=True)
    path.write_text(
        '# isync 1.4 configuration with a legacy pin\n'
        'IMAPAccount acct\n'
        'Host localhost\n'
        'Port %d\n'
        'User %s\n'
        'Pass %s\n'
        'SSLType IMAPS\n'
        'SSLVersions %s\n'
        'CertificateFile %s\n'
        '\n'
        'IMAPStore remote\nAccount acct\n\n'
        'MaildirStore local\nPath %s/\nInbox %s/INBOX\n\n'
        'Channel inbox\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSyncState *\n'
        % (server.imaps_port, server.user, server.password, versions, server.ca, maildir, maildir))
    return maildir


def _mbsync(path, home):
    return _run([require_binary('mbsync'), '-c', str(path), '-a'], home)


def _delivered(maildir):
    folder = maildir / 'INBOX'
    return sum(len(os.listdir(str(folder / sub))) for sub in ('cur', 'new') if (folder / sub).is_dir())


def test_mbsync_legacy_sslversions_before_and_after(servers, home):
    require_binary('mbsync')
    rcs = {}
    maildirs = {}
    for name in FLAVOURS:
        rcs[name] = home / ('mbsyncrc-%s' % name)
        maildirs[name] = _mbsyncrc(rcs[name], home, getattr(servers, name), 'TLSv1')
    before = dict((name, _mbsync(rcs[name], home)) for name in FLAVOURS)
    assert before['modern'][0] != 0 and _delivered(maildirs['modern']) == 0, before['modern'][1]
    assert before['legacy_rsa'][0] == 0 and _delivered(maildirs['legacy_rsa']) == 1, before['legacy_rsa'][1]
    assert before['legacy_ecdhe'][0] != 0

    unused, real, unused2 = _full_cycle(list(rcs.values()))
    assert all(f['changes'] == ['line 8: SSLVersions TLSv1 -> TLSv1.2 TLSv1.3'] for f in real['files'])
    assert 'Pass ********' in real.output and getattr(servers, 'modern').password not in real.output

    after = dict((name, _mbsync(rcs[name], home)) for name in FLAVOURS)
    assert after['modern'][0] == 0 and _delivered(maildirs['modern']) == 1, after['modern'][1]
    assert after['legacy_ecdhe'][0] != 0
    assert after['legacy_rsa'][0] != 0, after['legacy_rsa'][1]


# --- mutt --------------------------------------------------------------------------

MUTT_VARS = ('ssl_use_tlsv1', 'ssl_use_tlsv1_1', 'ssl_use_tlsv1_2', 'ssl_use_tlsv1_3')


def _mutt_query(path, home):
    code, out = _run([require_binary('mutt'), '-n', '-F', str(path), '-Q'] + list(MUTT_VARS), home)
    assert code == 0, out
    values = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in MUTT_VARS:
            values[parts[0]] = parts[2]
    return values


def test_mutt_accepts_the_remediated_muttrc(servers, home):
    modern = servers.modern
    rc = home / '.muttrc'
    rc.write_text(
        '# mutt against the TLS 1.2 server\n'
        'set folder = "imaps://%s:%s@localhost:%d/"\n'
        'set spoolfile = +INBOX\n'
        'set certificate_file = "%s"\n'
        'set ssl_use_tlsv1=yes ssl_use_tlsv1_1 = yes   # for an old server\n'
        'set nossl_use_tlsv1_2\n'
        % (modern.user, modern.password, modern.imaps_port, home / 'certs'))
    assert _mutt_query(rc, home) == {'ssl_use_tlsv1': 'set', 'ssl_use_tlsv1_1': 'set', 'ssl_use_tlsv1_2': 'unset', 'ssl_use_tlsv1_3': 'set'}
    unused, real, unused2 = _full_cycle([rc])
    assert real['files'][0]['changes'] == ['line 5: ssl_use_tlsv1=yes -> no', 'line 5: ssl_use_tlsv1_1=yes -> no',
                                           'line 6: nossl_use_tlsv1_2 -> ssl_use_tlsv1_2=yes']
    assert modern.password not in real.output
    assert _mutt_query(rc, home) == {'ssl_use_tlsv1': 'unset', 'ssl_use_tlsv1_1': 'unset', 'ssl_use_tlsv1_2': 'set', 'ssl_use_tlsv1_3': 'set'}
    assert '# for an old server' in rc.read_text()


# --- msmtp -------------------------------------------------------------------------

def test_msmtp_reads_the_remediated_priorities(home):
    msmtp = require_binary('msmtp')
    rc = home / '.msmtprc'
    with open(os.path.join(DATA, 'msmtprc')) as handle:
        # --pretend runs passwordeval: give it a command that exists here
        rc.write_text(handle.read().replace('"pass show relay"', '"echo not-a-real-secret"'))
    os.chmod(str(rc), 0o600)
    code, out = _run([msmtp, '-C', str(rc), '-a', 'exo', '--pretend'], home)
    assert code == 0 and 'tls_priorities = NORMAL:+VERS-TLS1.0:+VERS-TLS1.1' in out, out
    _full_cycle([rc])
    for account, expect in (('exo', 'NORMAL:-VERS-TLS1.0:-VERS-TLS1.1'), ('relay', 'NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1')):
        code, out = _run([msmtp, '-C', str(rc), '-a', account, '--pretend'], home)
        assert code == 0 and 'tls_priorities = %s' % expect in out, out
        assert 'Smtp-Secret' not in out
    assert stat.S_IMODE(os.stat(str(rc)).st_mode) == 0o600


# --- Thunderbird -------------------------------------------------------------------

def test_thunderbird_profile_remediated_other_preferences_identical(home):
    root = home / '.thunderbird'
    shutil.copytree(os.path.join(DATA, 'thunderbird'), str(root))
    shutil.copytree(os.path.join(DATA, 'thunderbird-archive'), str(home / 'archive'))
    ini = root / 'profiles.ini'
    ini.write_text(ini.read_text().replace('@ABSOLUTE_PROFILE@', str(home / 'archive')))
    prefs = root / 'Profiles' / 'k3x9q1.default-release' / 'prefs.js'
    before_lines = prefs.read_text().splitlines(True)
    unused, real, unused2 = _full_cycle([ini])
    changed = sorted(os.path.relpath(f['path'], str(home)) for f in real['files'] if f['status'] == 'changed')
    assert changed == ['.thunderbird/Profiles/k3x9q1.default-release/prefs.js', '.thunderbird/Profiles/k3x9q1.default-release/user.js',
                       'archive/prefs.js']
    after_lines = prefs.read_text().splitlines(True)
    assert len(after_lines) == len(before_lines)
    differing = [b for a, b in zip(before_lines, after_lines) if a != b]
    assert sorted(differing) == ['user_pref("security.tls.version.enable-deprecated", false);\n', 'user_pref("security.tls.version.min", 3);\n']
    assert 'user_pref("security.tls.version.max", 4);' in (prefs.parent / 'user.js').read_text()


# --- inventory before/after, as the real clients behaved ---------------------------------

def test_inventory_matches_what_the_real_clients_did(servers, home):
    require_binary('fetchmail')
    facts = run_module('tls_facts', {'gather': ['openssl', 'gnutls']})
    assert not facts.failed, facts.output
    base = facts['ansible_facts']['mailtls_posture']
    rc = home / '.fetchmailrc'
    _fetchmailrc(rc, servers.modern, 'tls1')
    mbsyncrc = home / '.mbsyncrc'
    _mbsyncrc(mbsyncrc, home, servers.modern, 'TLSv1')
    import pwd  # pylint: disable=import-outside-toplevel
    passwd = [pwd.struct_passwd(('livetest', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]

    def inventory():
        doc = json.loads(json.dumps(base))
        doc['clients'], doc['findings'] = [], []
        mc.gather_mail_clients(doc, passwd_entries=passwd, include_system=False)
        _posture.evaluate(doc)
        return doc

    def client_ids(doc, client):
        ids = [c['id'] for c in doc['clients'] if c['client'] == client]
        assert len(ids) == 1
        return ids[0], set(f['id'] for f in doc['findings'] if f['subject'] == 'client:%s' % ids[0])

    before = inventory()
    for client in ('fetchmail', 'mbsync'):
        cid, found = client_ids(before, client)
        record = [c for c in before['clients'] if c['id'] == cid][0]
        assert record['library'] == 'openssl' and record['settings']['library_source'].startswith('ldd ')
        # the real client failed against the TLS 1.2 server: the inventory says it will
        assert record['protocols']['tls1_2']['state'] == 'refused'
        assert found & {'client_pinned_below_tls12', 'client_no_usable_protocol'}, found
        assert 'client_cleartext_password' in found
    assert not _fetchmail_ok(_fetchmail(rc, home))

    _full_cycle([rc, mbsyncrc])
    after = inventory()
    for client in ('fetchmail', 'mbsync'):
        cid, found = client_ids(after, client)
        record = [c for c in after['clients'] if c['id'] == cid][0]
        # the real client now refuses TLS 1.0 and reaches the TLS 1.2 server
        assert record['protocols']['tls1_0']['state'] == 'refused' and record['protocols']['tls1_1']['state'] == 'refused'
        assert record['protocols']['tls1_2']['state'] == 'allowed'
        assert not found & {'client_pinned_below_tls12', 'client_no_usable_protocol', 'client_allows_legacy'}, found
    assert _fetchmail_ok(_fetchmail(rc, home))
    assert not _fetchmail_ok(_fetchmail(_legacy_copy(rc, servers.legacy_rsa, home), home))
    assert servers.modern.password not in json.dumps(after)


def _legacy_copy(rc, server, home):
    text = rc.read_text()
    port = [line for line in text.splitlines() if line.startswith('poll ')][0].split()[-1]
    copy = home / '.fetchmailrc-legacy'
    copy.write_text(text.replace('port %s' % port, 'port %d' % server.imaps_port))
    os.chmod(str(copy), 0o600)
    return copy
