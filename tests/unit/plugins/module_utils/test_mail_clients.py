# -*- coding: utf-8 -*-
"""Unit tests for the mail client readers, editors, inventory and planning."""
import hashlib
import json
import os
import pwd
import shutil
import stat

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc
from ansible_collections.mailtls.remediation.plugins.module_utils import _clients as mf
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import _decide
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import FileChangedError, atomic_replace, restore_backup

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'data', 'mail_clients')
SCHEMA = os.path.join(os.path.dirname(DATA), '..', '..', '..', 'schemas', 'posture-v1.schema.json')
CTX = {'mutt_defaults_modern': True, 'mbsync_version': (1, 4, 4), 'msmtp_library': 'gnutls'}
OPTS12 = dict(CTX, min_protocol='tls1_2', move_legacy_endpoints=False)
SECRETS = ('S3cret-Alice#1', 'p\\"w0rd', 'Another1', 'Mutt-Pa55 word', 'smtpSecret9', 'Mb-Secret-42', 'Off-Line-Secret', 'Get-Mail-Secret',
           'Smtp-Secret-7', 'Lua-Secret-5', 'curl-Secret-3')

# Scripts whose real bytes git must not hold (ansible-test sanity rejects a data file with a python3 shebang):
# <name>.in holds the file without its first line, the test writes the real script and checks its digest.
BUILT_SCRIPTS = {
    'fetch_mail.py': (b'#!/usr/bin/env python3\n', '07c886b31f2c39f1fff6debe422e56c880143875568c6c1eff44b647c14a02a1'),
}


def scripts_dir(tmp_path):
    """A copy of data/mail_clients/scripts with the built scripts in place of their .in sources."""
    target = tmp_path / 'scripts'
    shutil.copytree(os.path.join(DATA, 'scripts'), str(target), ignore=shutil.ignore_patterns('*.in'))
    for name, (first_line, digest) in BUILT_SCRIPTS.items():
        with open(os.path.join(DATA, 'scripts', name + '.in'), 'rb') as handle:
            data = first_line + handle.read()
        assert hashlib.sha256(data).hexdigest() == digest, name
        (target / name).write_bytes(data)
    return str(target)


FIXTURES = [
    ('fetchmail', 'fetchmailrc'), ('mutt', 'muttrc'), ('mbsync', 'mbsyncrc'), ('mbsync', 'mbsyncrc-1.5'), ('offlineimap', 'offlineimaprc'),
    ('getmail', 'getmailrc'), ('msmtp', 'msmtprc'), ('imapfilter', 'imapfilter-config.lua'), ('curl', 'curlrc'), ('curl', 'curlrc-plain'),
    ('thunderbird_policies', 'policies.json'), ('thunderbird_prefs', 'thunderbird/Profiles/k3x9q1.default-release/prefs.js'),
    ('thunderbird_user', 'thunderbird/Profiles/k3x9q1.default-release/user.js'), ('thunderbird_profiles', 'thunderbird/profiles.ini'),
]


def fixture_text(name):
    with open(os.path.join(DATA, name), 'rb') as handle:
        return mf.decode(handle.read())


def states(entry):
    return dict((p, entry['versions'][p][0]) for p in mf.PROTOS)


# --- lossless ------------------------------------------------------------------

@pytest.mark.parametrize('fmt,name', FIXTURES)
def test_render_of_unchanged_fixture_is_identical(fmt, name):
    text = fixture_text(name)
    parsed = mf.parse(fmt, text, CTX)
    assert parsed.ok, parsed.errors
    assert mf.encode(parsed.render()) == mf.encode(text)
    assert mf.apply_edits(text, []) == text


@pytest.mark.parametrize('fmt,name', [f for f in FIXTURES if f[0] != 'thunderbird_profiles'])
def test_remediation_changes_only_planned_spans_and_is_idempotent(fmt, name):
    text = fixture_text(name)
    parsed = mf.parse(fmt, text, CTX)
    edits = mf.plan_edits(parsed, OPTS12)
    new = mf.apply_edits(text, edits)
    again = mf.parse(fmt, new, CTX)
    assert again.ok, again.errors
    assert mf.plan_edits(again, OPTS12) == []
    # every byte outside the edited spans is kept, in order
    pos = 0
    rebuilt = []
    for edit in sorted(set((e.start, e.end, e.new) for e in edits)):
        rebuilt.append(text[pos:edit[0]])
        rebuilt.append(edit[2])
        pos = edit[1]
    rebuilt.append(text[pos:])
    assert ''.join(rebuilt) == new
    for entry in again.entries:
        if not entry.get('plain'):
            assert not mf.needs_change(entry, OPTS12) or fmt in ('offlineimap', 'getmail', 'imapfilter', 'curl'), entry['name']


def test_property_lossless_on_arbitrary_text():
    import hypothesis  # pylint: disable=import-outside-toplevel
    st = hypothesis.strategies
    pieces = []
    for unused, name in FIXTURES:
        pieces.extend(fixture_text(name).splitlines(True))
    pieces.extend(['"', "'", '\\', '\r\n', '\x00', '\xff', '{', '}', '[', ']', '#', ';', '=', ':', ' ', '\t', 'set ', 'poll ', 'user_pref('])
    fragment = st.one_of(st.sampled_from(pieces), st.text(max_size=20))

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.lists(fragment, max_size=40), st.sampled_from([f[0] for f in FIXTURES]))
    def check(parts, fmt):
        text = ''.join(parts)
        parsed = mf.parse(fmt, text, CTX)
        assert parsed.render() == text
        if parsed.ok and fmt != 'thunderbird_profiles':
            edits = mf.plan_edits(parsed, OPTS12)
            new = mf.apply_edits(text, edits)
            again = mf.parse(fmt, new, CTX)
            if again.ok:
                assert mf.apply_edits(new, mf.plan_edits(again, OPTS12)) == new
        for start, end in parsed.secrets:
            assert 0 <= start <= end <= len(text)

    check()  # pylint: disable=no-value-for-parameter


def test_property_bytes_survive_decoding():
    import hypothesis  # pylint: disable=import-outside-toplevel

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(hypothesis.strategies.binary(max_size=300))
    def check(data):
        for fmt in ('fetchmail', 'mutt', 'mbsync', 'msmtp', 'curl', 'thunderbird_prefs', 'thunderbird_policies', 'offlineimap'):
            assert mf.encode(mf.parse(fmt, mf.decode(data), CTX).render()) == data

    check()  # pylint: disable=no-value-for-parameter


# --- readers ---------------------------------------------------------------------

def test_fetchmail_entries():
    parsed = mf.parse('fetchmail', fixture_text('fetchmailrc'), CTX)
    exo, pop, skip = parsed.entries
    assert exo['servers'][0]['host'] == 'imap-legacy.office365.com' and exo['servers'][0]['legacy_endpoint']
    assert exo['servers'][0]['port'] == 993 and exo['servers'][0]['mode'] == 'implicit'
    assert states(exo) == {'ssl3': 'off', 'tls1_0': 'on', 'tls1_1': 'off', 'tls1_2': 'off', 'tls1_3': 'off'}
    assert exo['passwords'] == [{'line': 11, 'key': 'password'}]
    # no sslproto: fetchmail sets TLS 1.0..1.3 itself (measured: it reaches a TLS 1.0 server after MinProtocol = TLSv1.2)
    assert states(pop)['tls1_0'] == 'on' and pop['bounds'] == 'own' and pop['servers'][0]['port'] == 995 and pop['servers'][0]['service'] == 'pop3'
    assert skip['servers'][0]['host'] == 'mail.example.org'  # via wins over the poll name
    assert states(skip)['tls1_0'] == 'off' and states(skip)['tls1_1'] == 'on'


def test_fetchmail_unterminated_quote_is_unparsable():
    parsed = mf.parse('fetchmail', 'poll x proto imap user "abc\n', CTX)
    assert not parsed.ok and mf.plan_edits(parsed, OPTS12) == []


def test_mutt_settings_and_secrets():
    text = fixture_text('muttrc')
    parsed = mf.parse('mutt', text, CTX)
    entry = parsed.entries[0]
    assert states(entry) == {'ssl3': 'off', 'tls1_0': 'on', 'tls1_1': 'on', 'tls1_2': 'off', 'tls1_3': 'on'}
    hosts = [(s['host'], s['port'], s['service']) for s in entry['servers']]
    assert ('outlook.office365.com', 993, 'imap') in hosts and ('smtp.office365.com', 587, 'smtp') in hosts
    masked = mf.redact(text, parsed.secrets)
    assert 'Mutt-Pa55' not in masked and 'smtpSecret9' not in masked and 'alice:' + mf.MASK + '@smtp' in masked


def test_mutt_unknown_version_defaults_are_unknown_and_old_ones_get_a_block():
    parsed = mf.parse('mutt', 'set folder=imaps://imap.example.org/\n', {'mutt_defaults_modern': None})
    assert states(parsed.entries[0])['tls1_0'] == 'unknown'
    old = dict(OPTS12, mutt_defaults_modern=False)
    parsed = mf.parse('mutt', 'set folder=imaps://imap.example.org/\n', old)
    new = mf.apply_edits(parsed.text, mf.plan_edits(parsed, old))
    assert new.startswith('set folder=imaps://imap.example.org/\n# mailtls.remediation')
    assert 'set ssl_use_tlsv1=no' in new and 'set ssl_use_tlsv1_1=no' in new
    assert mf.plan_edits(mf.parse('mutt', new, old), old) == []


def test_mutt_unset_is_fixed_by_an_appended_set():
    text = 'unset ssl_use_tlsv1_2 ssl_use_tlsv1_3\n'
    parsed = mf.parse('mutt', text, CTX)
    new = mf.apply_edits(text, mf.plan_edits(parsed, OPTS12))
    assert new.startswith(text)
    assert states(mf.parse('mutt', new, CTX).entries[0])['tls1_2'] == 'on'


def test_mbsync_versions_both_spellings():
    parsed = mf.parse('mbsync', fixture_text('mbsyncrc'), CTX)
    work, home = parsed.entries
    assert states(work)['tls1_0'] == 'on' and states(work)['tls1_2'] == 'off'
    assert states(home)['tls1_0'] == 'on'  # isync 1.4 default enables TLSv1
    assert home['auth'] == 'password' and work['passwords'] == [{'line': 5, 'key': 'Pass'}]
    parsed = mf.parse('mbsync', fixture_text('mbsyncrc-1.5'), dict(CTX, mbsync_version=(1, 5, 1)))
    exo, lab = parsed.entries
    assert exo['auth'] == 'oauth' and states(exo)['tls1_0'] == 'on'
    assert states(lab)['tls1_0'] == 'lib'
    new = mf.apply_edits(parsed.text, mf.plan_edits(parsed, dict(OPTS12, mbsync_version=(1, 5, 1))))
    assert 'TLSVersions -1.0 -1.1 +1.2 +1.3' in new and 'SSLVersions' not in new


def test_mbsync_unknown_version_word_is_unparsable():
    parsed = mf.parse('mbsync', 'IMAPAccount a\nHost h\nSSLVersions TLSv9\n', CTX)
    assert not parsed.ok


def test_msmtp_inheritance_and_priorities():
    parsed = mf.parse('msmtp', fixture_text('msmtprc'), CTX)
    names = [e['name'] for e in parsed.entries]
    assert names == ['account exo', 'account relay', 'account default']
    assert states(parsed.entries[0])['tls1_0'] == 'on'
    assert parsed.entries[2]['servers'][0]['host'] == 'smtp.office365.com'
    assert parsed.entries[1]['servers'][0]['mode'] == 'implicit' and parsed.entries[1]['servers'][0]['port'] == 465
    assert mf.gnutls_priority_versions('NORMAL:-VERS-ALL:+VERS-TLS1.2')['tls1_0'] == 'off'
    assert mf.msmtp._gnutls_fix('SECURE128:-VERS-ALL:+VERS-TLS1.0', 'tls1_2') == 'SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2'


def test_thunderbird_profile_range_user_js_wins():
    prefs = mf.parse('thunderbird_prefs', fixture_text('thunderbird/Profiles/k3x9q1.default-release/prefs.js'))
    user = mf.parse('thunderbird_user', fixture_text('thunderbird/Profiles/k3x9q1.default-release/user.js'))
    entries, rng = mf.thunderbird_entries(prefs, user, None, (115, 9))
    assert rng[0] == 'tls1_0' and rng[1] == 'tls1_0'  # min 1 (and enable-deprecated), max 1 from user.js
    hosts = sorted((e['servers'][0]['host'], e['auth']) for e in entries)
    assert hosts == [('imap-legacy.office365.com', 'password'), ('imap.example.net', 'oauth'), ('smtp.office365.com', 'password')]


def test_thunderbird_prefs_other_preferences_byte_identical():
    text = fixture_text('thunderbird/Profiles/k3x9q1.default-release/prefs.js')
    parsed = mf.parse('thunderbird_prefs', text)
    new = mf.apply_edits(text, mf.plan_edits(parsed, dict(OPTS12, move_legacy_endpoints=True)))
    old_lines, new_lines = text.splitlines(True), new.splitlines(True)
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert sorted(b for a, b in changed) == sorted([
        'user_pref("mail.server.server1.hostname", "outlook.office365.com");\n',
        'user_pref("security.tls.version.enable-deprecated", false);\n',
        'user_pref("security.tls.version.min", 3);\n'])


def test_policies_json_edit_and_invalid_json():
    parsed = mf.parse('thunderbird_policies', fixture_text('policies.json'))
    assert parsed.extra['range'] == {'min': 'tls1_0', 'max': 'tls1_1'}
    new = mf.apply_edits(parsed.text, mf.plan_edits(parsed, OPTS12))
    assert json.loads(new)['policies'] == {'DisableTelemetry': True, 'SSLVersionMin': 'tls1.2', 'SSLVersionMax': 'tls1.3',
                                           'Certificates': {'ImportEnterpriseRoots': True}}
    assert not mf.parse('thunderbird_policies', '{"policies": {"SSLVersionMin": "tls1",}').ok


def test_profiles_ini_relative_and_absolute(tmp_path):
    root = tmp_path / 'tb'
    shutil.copytree(os.path.join(DATA, 'thunderbird'), str(root))
    shutil.copytree(os.path.join(DATA, 'thunderbird-archive'), str(tmp_path / 'archive'))
    ini = root / 'profiles.ini'
    ini.write_text(ini.read_text().replace('@ABSOLUTE_PROFILE@', str(tmp_path / 'archive')))
    files = mc.thunderbird_profile_files(str(ini))
    got = sorted((os.path.relpath(f['path'], str(tmp_path)), f['format'], f['profile']) for f in files)
    assert got == [
        ('archive/prefs.js', 'thunderbird_prefs', 'archive'),
        ('tb/Profiles/k3x9q1.default-release/prefs.js', 'thunderbird_prefs', 'default-release'),
        ('tb/Profiles/k3x9q1.default-release/user.js', 'thunderbird_user', 'default-release'),
        ('tb/Profiles/w7m2a0.work/prefs.js', 'thunderbird_prefs', 'work'),
    ]


def test_curlrc_and_imapfilter_and_ini_formats():
    curl = mf.parse('curl', fixture_text('curlrc'), CTX).entries[0]
    assert states(curl) == {'ssl3': 'off', 'tls1_0': 'on', 'tls1_1': 'on', 'tls1_2': 'off', 'tls1_3': 'off'}
    work, home = mf.parse('imapfilter', fixture_text('imapfilter-config.lua'), CTX).entries
    # imapfilter 2.8: ssl = 'tls1' only turns TLS on; the version is negotiated within the OpenSSL policy
    assert states(work)['tls1_0'] == 'lib' and states(work)['tls1_2'] == 'lib' and states(home)['tls1_0'] == 'lib'
    assert work['bounds'] == 'library'
    remote, home_remote = mf.parse('offlineimap', fixture_text('offlineimaprc'), CTX).entries
    assert remote['servers'][0]['exchange_online'] and states(remote)['tls1_0'] == 'on' and home_remote['passwords'] == []
    retriever = mf.parse('getmail', fixture_text('getmailrc'), CTX).entries[0]
    assert retriever['servers'][0]['service'] == 'pop3' and retriever['servers'][0]['legacy_endpoint']


def test_endpoint_classification():
    assert mf.is_legacy_endpoint('IMAP-legacy.office365.com.') and mf.is_exchange_online('pop-legacy.office365.com')
    assert mf.is_exchange_online('outlook.office.com') and mf.is_exchange_online('eur01.outlook.com')
    assert not mf.is_exchange_online('outlook.example.com') and not mf.is_legacy_endpoint('outlook.office365.com')
    assert mf.legacy_target('smtp-legacy.office365.com') == 'smtp.office365.com'


# --- inventory ---------------------------------------------------------------------

def _stack(stack_id, refused=(), reason='MinProtocol = TLSv1.2', overrides=False):
    stack = _posture.new_stack(stack_id, stack_id, stack_id, version='3.0.19' if stack_id == 'openssl' else '3.7.9')
    if stack_id == 'openssl':
        stack['details'] = {'security_level': 2, 'cipher_string': None, 'ubuntu_seclevel_patch': False}
    for proto in _posture.PROTOCOLS:
        if proto in refused:
            ev = [_posture.evidence('file', path='/etc/x', key='disabled-version' if overrides else 'MinProtocol', value='x')]
            _posture.set_protocol(stack, proto, 'refused', reason, ev)
        else:
            _posture.set_protocol(stack, proto, 'allowed', 'library default', [_posture.evidence('default')])
    return stack


class FakeToolbox(mc.Toolbox):
    def __init__(self):
        super(FakeToolbox, self).__init__(runner=lambda argv, timeout=5: None, which=lambda name: None)


def _home(tmp_path):
    home = tmp_path / 'home' / 'alice'
    home.mkdir(parents=True)
    for src, dst in (('fetchmailrc', '.fetchmailrc'), ('muttrc', '.muttrc'), ('mbsyncrc', '.mbsyncrc'), ('msmtprc', '.msmtprc'),
                     ('curlrc', '.curlrc'), ('offlineimaprc', '.offlineimaprc'), ('imapfilter-config.lua', '.imapfilter/config.lua')):
        target = home / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(DATA, src), str(target))
    os.chmod(str(home / '.fetchmailrc'), 0o600)
    shutil.copytree(os.path.join(DATA, 'thunderbird'), str(home / '.thunderbird'))
    shutil.copytree(os.path.join(DATA, 'thunderbird-archive'), str(home / 'archive'))
    ini = home / '.thunderbird' / 'profiles.ini'
    ini.write_text(ini.read_text().replace('@ABSOLUTE_PROFILE@', str(home / 'archive')))
    (home / '.getmail').mkdir()
    shutil.copy(os.path.join(DATA, 'getmailrc'), str(home / '.getmail' / 'getmailrc-work'))
    entry = pwd.struct_passwd(('alice', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))
    return home, [entry, pwd.struct_passwd(('nobody2', 'x', 65534, 65534, '', '/nonexistent', '/bin/false'))]


def test_gather_inventory_findings_and_no_secret_leaks(tmp_path):
    home, passwd = _home(tmp_path)
    document = _posture.new_document('linux', 'host')
    document['stacks'].append(_stack('openssl', refused=('ssl3', 'tls1_0', 'tls1_1')))
    document['stacks'].append(_stack('gnutls', refused=('ssl3',)))
    mc.gather_mail_clients(document, passwd_entries=passwd, script_paths=[scripts_dir(tmp_path)], toolbox=FakeToolbox(), include_system=False)
    _posture.evaluate(document)
    text = json.dumps(document)
    for secret in SECRETS:
        assert secret not in text
    by_client = {}
    for client in document['clients']:
        by_client.setdefault(client['client'], []).append(client)
    assert set(by_client) == {'fetchmail', 'mutt', 'mbsync', 'msmtp', 'curl', 'thunderbird', 'offlineimap', 'imapfilter', 'getmail', 'script'}
    exo = by_client['fetchmail'][0]
    assert exo['user'] == 'alice' and exo['line'] == 10 and exo['library'] == 'openssl'
    assert exo['settings']['file_mode'] == '0600'
    # sslproto tls1 sets fetchmail's own bounds: a system minimum of TLS 1.2 does not bind it, TLS 1.0 stays (RSA key exchange only)
    assert exo['bounds'] == 'own'
    assert exo['protocols']['tls1_0']['state'] == 'allowed' and exo['conditions'] == {'tls1_0': [{'kx': ['rsa']}]}
    assert exo['protocols']['tls1_2']['state'] == 'refused'
    assert exo['plan']['change'] and exo['plan']['files'][0]['changes'] == ["line 12: sslproto 'tls1' -> tls1.2+"]
    ids = set((f['id'], f['subject']) for f in document['findings'])
    subject = 'client:%s' % exo['id']
    for fid in ('client_pinned_below_tls12', 'client_own_bounds_legacy', 'client_legacy_endpoint', 'client_exo_basic_auth',
                'client_cleartext_password'):
        assert (fid, subject) in ids
    # mutt links GnuTLS whose (non-override) policy allows TLS 1.0: the explicit ssl_use_tlsv1=yes is honoured
    mutt = by_client['mutt'][0]
    assert mutt['library'] == 'gnutls' and mutt['protocols']['tls1_0']['state'] == 'allowed'
    assert ('client_allows_legacy', 'client:%s' % mutt['id']) in ids
    assert ('client_exo_basic_auth_smtp', 'client:%s' % mutt['id']) in ids
    tb = [c for c in by_client['thunderbird'] if c['path'].endswith('k3x9q1.default-release/prefs.js')][0]
    assert ('client_pinned_below_tls12', 'client:%s' % tb['id']) in ids
    assert len(by_client['thunderbird']) == 3
    password_finding = [f for f in document['findings'] if f['id'] == 'client_cleartext_password' and f['subject'] == subject][0]
    assert password_finding['evidence'][0]['line'] == 11 and 'value' not in password_finding['evidence'][0]
    kinds = set(f['id'] for f in document['findings'] if f['subject'].startswith('script:'))
    assert kinds == {'script_pins_legacy_tls', 'script_allows_legacy_tls', 'script_legacy_endpoint'}
    assert not any('clean.py' in f['subject'] for f in document['findings'])
    fetch = [f for f in document['findings'] if f['subject'].startswith('script:') and 'fetch_mail.py' in f['subject']]
    assert set(f['id'] for f in fetch) == {'script_pins_legacy_tls', 'script_legacy_endpoint'}
    import jsonschema  # pylint: disable=import-outside-toplevel
    with open(SCHEMA) as handle:
        jsonschema.validate(document, json.load(handle))


def test_gnutls_override_binds_explicit_client_settings():
    entry = mf.parse('mutt', 'set ssl_use_tlsv1=yes\nset folder=imaps://h/\n', CTX).entries[0]
    default_stack = _stack('gnutls', refused=('tls1_0',), reason='default priority')
    override_stack = _stack('gnutls', refused=('tls1_0',), reason='disabled-version in /etc/gnutls/config', overrides=True)
    assert _decide.decide(entry, 'gnutls', default_stack, 'f')['protocols']['tls1_0']['state'] == 'allowed'
    assert _decide.decide(entry, 'gnutls', override_stack, 'f')['protocols']['tls1_0']['state'] == 'refused'
    assert _decide.decide(entry, 'gnutls', None, 'f')['protocols']['tls1_0']['state'] == 'allowed'


def test_unparsable_file_gets_a_finding(tmp_path):
    home = tmp_path / 'bob'
    home.mkdir()
    (home / '.mbsyncrc').write_text('IMAPAccount x\n!!! what\n')
    document = _posture.new_document('linux', 'host')
    passwd = [pwd.struct_passwd(('bob', 'x', 1, 1, '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, toolbox=FakeToolbox(), include_system=False)
    assert [f['id'] for f in document['findings']] == ['client_config_unparsable']
    assert document['clients'] == []


def test_users_filter_and_discovery(tmp_path):
    home, passwd = _home(tmp_path)
    found = mc.discover(users=['alice'], passwd_entries=passwd, clients=['fetchmail', 'thunderbird'])
    formats = sorted(set(f['format'] for f in found))
    assert formats == ['fetchmail', 'thunderbird_prefs', 'thunderbird_user']
    assert mc.discover(users=['someone-else'], passwd_entries=passwd) == []


def test_detect_format_by_name_and_content(tmp_path):
    assert mc.detect_format('/x/.fetchmailrc') == 'fetchmail'
    assert mc.detect_format('/x/Muttrc.d/gpg.rc') == 'mutt'
    assert mc.detect_format('/x/whatever', b'IMAPAccount a\nHost b\n') == 'mbsync'
    assert mc.detect_format('/x/whatever', b'just some text\n') is None


# --- planning and writing -------------------------------------------------------------

def test_plan_file_write_keeps_mode_backup_and_rollback(tmp_path):
    path = tmp_path / '.fetchmailrc'
    shutil.copy(os.path.join(DATA, 'fetchmailrc'), str(path))
    os.chmod(str(path), 0o600)
    original = path.read_bytes()
    plan = mc.plan_file(str(path), None, {'min_protocol': 'tls1_2', 'move_legacy_endpoints': True}, CTX)
    assert plan['status'] == 'changed' and plan['format'] == 'fetchmail'
    for secret in SECRETS:
        assert secret not in plan['before_redacted'] and secret not in plan['after_redacted'] and secret not in ' '.join(plan['changes'])
    backup = atomic_replace(str(path), plan['after'], plan['sha256'], backup=True)
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert open(backup, 'rb').read() == original
    second = mc.plan_file(str(path), None, {'min_protocol': 'tls1_2', 'move_legacy_endpoints': True}, CTX)
    assert second['status'] == 'unchanged'
    assert restore_backup(str(path), backup) and path.read_bytes() == original


def test_file_changed_between_read_and_write_is_not_overwritten(tmp_path):
    path = tmp_path / '.mbsyncrc'
    shutil.copy(os.path.join(DATA, 'mbsyncrc'), str(path))
    plan = mc.plan_file(str(path), 'mbsync', {'min_protocol': 'tls1_2'}, CTX)
    with open(str(path), 'a') as handle:
        handle.write('# edited meanwhile\n')
    with pytest.raises(FileChangedError):
        atomic_replace(str(path), plan['after'], plan['sha256'])
    assert path.read_text().endswith('# edited meanwhile\n')


def test_unknown_and_unparsable_files_are_left_alone(tmp_path):
    odd = tmp_path / 'notes.txt'
    odd.write_text('hello\n')
    assert mc.plan_file(str(odd), None, {'min_protocol': 'tls1_2'}, CTX)['status'] == 'unknown_format'
    bad = tmp_path / 'prefs.js'
    bad.write_text('user_pref("a", 1);\nthis is not javascript\n')
    assert mc.plan_file(str(bad), None, {'min_protocol': 'tls1_2'}, CTX)['status'] == 'unparsable'
    assert mc.plan_file(str(tmp_path / 'missing'), 'fetchmail', {'min_protocol': 'tls1_2'}, CTX)['status'] == 'missing'


def test_tls13_minimum():
    opts = dict(CTX, min_protocol='tls1_3')
    for fmt, name, expect in (('fetchmail', 'fetchmailrc', "sslproto 'tls1.3+'"), ('mbsync', 'mbsyncrc', 'SSLVersions TLSv1.3\n'),
                              ('thunderbird_policies', 'policies.json', '"SSLVersionMin": "tls1.3"'),
                              ('msmtp', 'msmtprc', '-VERS-TLS1.2')):
        text = fixture_text(name)
        new = mf.apply_edits(text, mf.plan_edits(mf.parse(fmt, text, CTX), opts))
        assert expect in new
        assert mf.plan_edits(mf.parse(fmt, new, CTX), opts) == []


# --- Windows ---------------------------------------------------------------------------

def test_windows_raw_inventory():
    document = _posture.new_document('windows', 'w')
    document['stacks'].append(_stack('schannel', refused=('ssl3',)))
    prefs = fixture_text('thunderbird/Profiles/k3x9q1.default-release/prefs.js')
    raw = {
        'mail_handlers': {'default': 'Microsoft Outlook', 'names': ['Microsoft Outlook', 'Mozilla Thunderbird']},
        'outlook': [{'version': '16.0.17928.20114', 'bitness': 'x86', 'source': 'ClickToRun', 'path': 'C:\\Office\\OUTLOOK.EXE'}],
        'outlook_accounts': [{'user': 'alice', 'imap_server': 'imap-legacy.office365.com', 'imap_port': 993}],
        'thunderbird': {'installs': [{'path': 'C:\\TB\\thunderbird.exe', 'version': '115.9.0'}],
                        'policy_registry': {'SSLVersionMin': 'tls1.2'}},
        'thunderbird_profiles': [{'user': 'alice', 'profile': 'C:\\Users\\alice\\AppData\\Roaming\\Thunderbird\\Profiles\\x.default',
                                  'prefs_js': prefs, 'user_js': None, 'compatibility_version': '115.9.0'}],
    }
    records = mc.clients_from_windows_raw(raw, document)
    assert [r['client'] for r in records] == ['outlook', 'thunderbird']
    outlook = records[0]
    assert outlook['library'] == 'schannel' and outlook['settings']['bitness'] == 'x86' and outlook['settings']['default_handler']
    assert outlook['protocols']['tls1_0']['state'] == 'allowed' and outlook['protocols']['ssl3']['state'] == 'refused'
    ids = set(f['id'] for f in document['findings'])
    assert {'client_legacy_endpoint', 'client_exo_basic_auth'} <= ids
    tb = records[1]
    # prefs.js min 1 beats the registry policy; enable-deprecated keeps TLS 1.0
    assert tb['protocols']['tls1_0']['state'] == 'allowed'
    assert mc.clients_from_windows_raw({}) == []


def test_mutt_quote_left_open_runs_to_end_of_line_like_mutt():
    # mutt reads an unbalanced quote up to the end of its line instead of rejecting the file
    text = "send-hook . 'my_hdr X-Note: it's late'\nset ssl_use_tlsv1=yes\nset imap_pass='Open-Quote-Pw\n"
    parsed = mf.parse('mutt', text, CTX)
    assert parsed.ok, parsed.errors
    assert parsed.render() == text
    assert states(parsed.entries[0])['tls1_0'] == 'on'
    assert 'Open-Quote-Pw' not in mf.redact(text, parsed.secrets)
    new = mf.apply_edits(text, mf.plan_edits(parsed, OPTS12))
    assert "set ssl_use_tlsv1=no\n" in new
    again = mf.parse('mutt', new, CTX)
    assert again.ok and mf.plan_edits(again, OPTS12) == []


@pytest.mark.parametrize('fmt, text, secret', [
    ('msmtp', 'account work\nhost smtp.office365.com\n#password OldSecret1\ntls_starttls on\n', 'OldSecret1'),
    ('mbsync', 'IMAPAccount work\nHost outlook.office365.com\n#    Pass "tok3n-value"\nSSLVersions TLSv1\n', 'tok3n-value'),
    ('fetchmail', 'poll outlook.office365.com protocol imap\n  user "a" there\n# password "Fetch-0ld"\n  sslproto tls1\n', 'Fetch-0ld'),
    ('mutt', '# set imap_pass = "Mutt-0ld"\nset ssl_use_tlsv1 = yes\n', 'Mutt-0ld'),
])
def test_commented_out_credentials_never_reach_a_diff(fmt, text, secret):
    parsed = mf.parse(fmt, text, {})
    assert parsed.ok, parsed.errors
    masked = mf.redact(text, mc.secret_spans(parsed, text))
    assert secret not in masked
    assert masked.count('\n') == text.count('\n'), 'masking keeps the lines'


# --- one decision: the posture's plan is the module's change ------------------------------

HARDENED_OPENSSL = ('openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.2\n')


def _host_stacks(tmp_path, openssl_text=None):
    """This host's real stacks, with OPENSSL_CONF pointing at ``openssl_text`` when given (as tls_facts honours it)."""
    from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls
    saved = os.environ.get('OPENSSL_CONF')
    if openssl_text is not None:
        conf = tmp_path / 'openssl.cnf'
        conf.write_text(openssl_text)
        os.environ['OPENSSL_CONF'] = str(conf)
    try:
        document = _posture.new_document('linux', 'host')
        _linux_tls.gather_all(document, {'gather': ['crypto_policies', 'openssl', 'gnutls', 'nss']})
    finally:
        if saved is None:
            os.environ.pop('OPENSSL_CONF', None)
        else:
            os.environ['OPENSSL_CONF'] = saved
    return document


@pytest.mark.parametrize('policy', ['stock', 'hardened'])
def test_posture_plan_equals_module_plan_for_every_fixture(tmp_path, policy):
    stacks = _host_stacks(tmp_path, HARDENED_OPENSSL if policy == 'hardened' else None)
    home, passwd = _home(tmp_path)
    (home / '.fetchmailrc-plus').write_text("poll h proto imap user a sslproto 'tls1+'\n")
    document = json.loads(json.dumps(stacks))
    toolbox = mc.Toolbox()
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False, toolbox=toolbox)
    by_path = {}
    for record in document['clients']:
        if record['client'] == 'script':
            continue
        plan = record['plan']
        # compliant and 'would change' never disagree
        legacy = [p for p in ('ssl3', 'tls1_0', 'tls1_1') if record['protocols'][p]['state'] == 'allowed']
        modern = [p for p in ('tls1_2', 'tls1_3') if record['protocols'][p]['state'] == 'allowed']
        undetermined = all(record['protocols'][p]['state'] == 'unknown' for p in ('tls1_2', 'tls1_3'))
        assert plan['change'] == bool(legacy or (not modern and not undetermined)), record
        for item in plan['files']:
            by_path.setdefault(item['path'], []).extend(item['changes'])
    context = mc.client_context(toolbox)
    options = {'min_protocol': 'tls1_2', 'move_legacy_endpoints': False}
    for target in mc.discover(passwd_entries=passwd, include_system=False):
        planned = mc.plan_file(target['path'], target['format'], options, context, document=json.loads(json.dumps(stacks)), toolbox=toolbox)
        assert sorted(planned['changes']) == sorted(set(by_path.get(target['path'], []))), target['path']


def test_sslproto_tls1_plus_under_min_protocol_tls12_is_reported_and_changed(tmp_path):
    """fetchmail sets its own bounds: MinProtocol = TLSv1.2 does not bind it, so the posture and the module agree on a change."""
    stacks = _host_stacks(tmp_path, HARDENED_OPENSSL)
    home = tmp_path / 'u'
    home.mkdir()
    rc = home / '.fetchmailrc'
    rc.write_text("poll mail.example.org proto imap user alice sslproto 'tls1+'\n")
    document = json.loads(json.dumps(stacks))
    passwd = [pwd.struct_passwd(('u', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False)
    _posture.evaluate(document)
    [record] = document['clients']
    assert record['bounds'] == 'own' and record['protocols']['tls1_0']['state'] == 'allowed'
    assert record['conditions']['tls1_0'] == [{'kx': ['rsa']}]
    assert document['verdict']['status'] != 'compliant'
    assert set(f['id'] for f in document['findings']) >= {'client_allows_legacy', 'client_own_bounds_legacy'}
    plan = mc.plan_file(str(rc), 'fetchmail', {'min_protocol': 'tls1_2', 'move_legacy_endpoints': False}, {},
                        document=json.loads(json.dumps(stacks)))
    assert plan['status'] == 'changed' and plan['changes'] == record['plan']['files'][0]['changes'] == ["line 1: sslproto 'tls1+' -> tls1.2+"]


def test_mbsync_pin_under_a_binding_minimum_is_neither_reported_nor_changed(tmp_path):
    """mbsync follows the system minimum: with MinProtocol = TLSv1.2 its 'SSLVersions TLSv1 TLSv1.2' can only do TLS 1.2."""
    stacks = _host_stacks(tmp_path, HARDENED_OPENSSL)
    home = tmp_path / 'u'
    home.mkdir()
    rc = home / '.mbsyncrc'
    rc.write_text('IMAPAccount a\nHost h\nSSLType IMAPS\nSSLVersions TLSv1 TLSv1.2\n')
    document = json.loads(json.dumps(stacks))
    passwd = [pwd.struct_passwd(('u', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]
    mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False)
    [record] = document['clients']
    assert record['bounds'] == 'library' and record['protocols']['tls1_0']['state'] == 'refused'
    assert record['plan'] == {'change': False, 'files': [], 'note': None}
    plan = mc.plan_file(str(rc), 'mbsync', {'min_protocol': 'tls1_2', 'move_legacy_endpoints': False}, {},
                        document=json.loads(json.dumps(stacks)))
    assert plan['status'] == 'unchanged'


def test_client_ids_survive_the_edit(tmp_path):
    """Before/after inventories match by id: the id hashes client, file and account name, not a line number."""
    stacks = _host_stacks(tmp_path)
    home, passwd = _home(tmp_path)

    def inventory():
        document = json.loads(json.dumps(stacks))
        mc.gather_mail_clients(document, passwd_entries=passwd, include_system=False, toolbox=FakeToolbox())
        return sorted(c['id'] for c in document['clients'])

    before = inventory()
    options = {'min_protocol': 'tls1_2', 'move_legacy_endpoints': True}
    changed = 0
    for target in mc.discover(passwd_entries=passwd, include_system=False):
        plan = mc.plan_file(target['path'], target['format'], options, CTX, document=json.loads(json.dumps(stacks)), toolbox=FakeToolbox())
        if plan['status'] == 'changed':
            with open(target['path'], 'wb') as handle:
                handle.write(plan['after'])
            changed += 1
    assert changed >= 5
    assert inventory() == before


@pytest.mark.parametrize('code,bounds,low,high', [
    ('ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1)\nimaplib.IMAP4_SSL(h, ssl_context=ctx)\n', 'own', 'tls1_0', 'tls1_0'),
    ('ctx = ssl.create_default_context()\nctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED\n', 'own', 'tls1_0', 'tls1_3'),
    ('ctx = ssl.create_default_context()\nctx.minimum_version = ssl.TLSVersion.TLSv1_2\n', 'own', 'tls1_2', 'tls1_3'),
    # measured: a maximum alone leaves the minimum to OpenSSL (fails against TLS 1.0 after MinProtocol = TLSv1.2)
    ('ctx = ssl.create_default_context()\nctx.maximum_version = ssl.TLSVersion.TLSv1\n', 'library', None, 'tls1_0'),
    ('s = smtplib.SMTP(h)\ns.starttls(context=ssl.create_default_context())\n', 'library', None, None),
])
def test_python_script_bounds(code, bounds, low, high):
    entry = mf.scripts.python_tls_entry('import ssl, imaplib, smtplib\n' + code)
    assert entry['bounds'] == bounds
    on = [p for p in mf.PROTOS if entry['versions'][p][0] == 'on']
    if low is not None:
        assert on[0] == low and on[-1] == high
    else:
        assert not on and entry['versions']['tls1_0'][0] in ('lib', 'off')
        if high is not None:
            assert entry['versions']['tls1_2'][0] == 'off' and entry['versions']['tls1_0'][0] == 'lib'
    assert mf.scripts.python_tls_entry('print("no TLS here")\n') is None
