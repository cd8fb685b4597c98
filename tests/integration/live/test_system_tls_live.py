"""tls_facts and system_tls for real, proven with handshakes against the Dovecot harness.

Everything runs through Ansible on localhost with Debian's own Python and
OpenSSL. The system files are never touched: system_tls manages copies of
/etc/ssl/openssl.cnf and /etc/gnutls/config in a temporary directory, and the
probe points OpenSSL at the copy with OPENSSL_CONF.
"""
import hashlib
import json
import os
import shutil
import subprocess

import jsonschema
import pytest

from harness.ansible import REPO, run_module

SCHEMA = json.load(open(os.path.join(REPO, 'schemas', 'posture-v1.schema.json')))
SYSTEM_OPENSSL_CNF = '/etc/ssl/openssl.cnf'


def _validate(doc):
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def _stack(doc, stack_id):
    return next(s for s in doc['stacks'] if s['id'] == stack_id)


def _endpoint(server, service='imap', mode='implicit'):
    return {'host': '127.0.0.1', 'port': server.port_for(service, mode), 'service': service, 'mode': mode}


def _probe(servers, protocols, engines, extra=None):
    args = {'endpoints': [_endpoint(s) for s in servers], 'protocols': protocols, 'engines': engines,
            'validate_certs': False, 'retries': 1, 'total_timeout': 60, 'timeout': 5}
    args.update(extra or {})
    run = run_module('tls_probe', args)
    assert not run.failed, run.output
    return run['results']


def _outcome(results, port, engine, protocol):
    for item in results:
        if item['port'] == port and item['engine'] == engine and item['protocol'] == protocol:
            return item
    raise AssertionError('no probe result for %s %s %s in %r' % (port, engine, protocol, results))


@pytest.fixture
def config_copies(tmp_path):
    """Copies of the system OpenSSL and GnuTLS configuration, owned like the originals."""
    openssl_copy = tmp_path / 'openssl.cnf'
    shutil.copy2(SYSTEM_OPENSSL_CNF, openssl_copy)
    gnutls_copy = tmp_path / 'gnutls-config'
    if os.path.exists('/etc/gnutls/config'):
        shutil.copy2('/etc/gnutls/config', gnutls_copy)
    return openssl_copy, gnutls_copy


def test_inventory_of_this_machine_reports_tls10_via_rsa_key_exchange(mail_servers):
    run = run_module('tls_facts', {'gather': ['openssl', 'crypto_policies', 'gnutls', 'nss', 'java', 'python']})
    assert not run.failed, run.output
    doc = run['ansible_facts']['mailtls_posture']
    _validate(doc)
    openssl = _stack(doc, 'openssl')
    tls10 = openssl['protocols']['tls1_0']
    assert tls10['state'] == 'allowed'
    assert any('RSA key exchange' in c for c in tls10['conditions'])
    assert any(e.get('key') == 'OPENSSL_TLS_SECURITY_LEVEL' for e in tls10['evidence'])
    assert openssl['details']['config_file_real'] == os.path.realpath(SYSTEM_OPENSSL_CNF)
    assert openssl['protocols']['tls1_2']['state'] == 'allowed'
    assert 'legacy_protocol_allowed' in [f['id'] for f in doc['findings']]
    assert doc['verdict']['status'] == 'at_risk'

    # The probe through the same stack agrees: the RSA-key-exchange server gets TLS 1.0,
    # the ECDHE one is refused for its SHA-1 signature.
    results = _probe([mail_servers.legacy_rsa, mail_servers.legacy_ecdhe], ['tls1_0'], ['openssl'])
    rsa = _outcome(results, mail_servers.legacy_rsa.imaps_port, 'openssl', 'tls1_0')
    assert rsa['outcome'] == 'success' and rsa['negotiated_protocol'] == 'tls1_0'
    ecdhe = _outcome(results, mail_servers.legacy_ecdhe.imaps_port, 'openssl', 'tls1_0')
    assert ecdhe['outcome'] == 'failure'


def test_system_tls_check_real_idempotent_probe_and_rollback(mail_servers, config_copies):
    openssl_copy, gnutls_copy = config_copies
    original = openssl_copy.read_bytes()
    gnutls_original = gnutls_copy.read_bytes() if gnutls_copy.exists() else None
    args = {'openssl_conf': str(openssl_copy), 'gnutls_config': str(gnutls_copy), 'state_dir': str(openssl_copy.parent / 'state')}

    check = run_module('system_tls', args, check=True, diff=True)
    assert not check.failed, check.output
    assert check['changed'] is True
    assert openssl_copy.read_bytes() == original, 'check mode must not write'
    assert '+MinProtocol = TLSv1.2' in check.output, 'the diff shows the new setting'
    assert all(v['ok'] for v in check['validation'])

    real = run_module('system_tls', args, diff=True)
    assert not real.failed, real.output
    assert real['changed'] is True
    assert real['files'] == check['files'], 'check mode predicts the real run exactly'
    assert hashlib.sha256(openssl_copy.read_bytes()).hexdigest() == next(f['after_sha256'] for f in real['files'] if f['kind'] == 'openssl')
    new_text = openssl_copy.read_text()
    assert 'MinProtocol = TLSv1.2' in new_text
    assert new_text.count('openssl_conf') == original.decode().count('openssl_conf'), 'no second openssl_conf line'
    backups = dict((b['path'], b['backup']) for b in real['backup_files'])
    assert open(backups[str(openssl_copy)], 'rb').read() == original
    assert os.stat(openssl_copy).st_mode == os.stat(SYSTEM_OPENSSL_CNF).st_mode

    again = run_module('system_tls', args)
    assert not again.failed and again['changed'] is False, again.output

    # A client using the new configuration: refused by both TLS 1.0-only servers, fine with the modern one.
    results = _probe([mail_servers.legacy_rsa, mail_servers.legacy_ecdhe, mail_servers.modern], ['tls1_0', 'tls1_2'], ['openssl', 'python'],
                     {'openssl_conf': str(openssl_copy)})
    for engine in ('openssl', 'python'):
        assert _outcome(results, mail_servers.legacy_rsa.imaps_port, engine, 'tls1_0')['outcome'] == 'failure'
        assert _outcome(results, mail_servers.legacy_ecdhe.imaps_port, engine, 'tls1_0')['outcome'] == 'failure'
        assert _outcome(results, mail_servers.modern.imaps_port, engine, 'tls1_2')['outcome'] == 'success'
    if gnutls_copy.exists() and shutil.which('gnutls-cli'):
        gnutls = _probe([mail_servers.legacy_ecdhe, mail_servers.modern], ['tls1_0', 'tls1_2'], ['gnutls'],
                        {'gnutls_priority_file': str(gnutls_copy)})
        assert _outcome(gnutls, mail_servers.legacy_ecdhe.imaps_port, 'gnutls', 'tls1_0')['outcome'] == 'failure'
        assert _outcome(gnutls, mail_servers.modern.imaps_port, 'gnutls', 'tls1_2')['outcome'] == 'success'

    # The inventory of the new configuration is compliant.
    facts = run_module('tls_facts', {'openssl_conf': str(openssl_copy), 'gnutls_config': str(gnutls_copy),
                                     'gather': ['openssl', 'gnutls', 'python']})
    doc = facts['ansible_facts']['mailtls_posture']
    _validate(doc)
    assert _stack(doc, 'openssl')['protocols']['tls1_0']['state'] == 'refused'
    assert doc['verdict']['status'] == 'compliant', doc['findings']

    # Rollback restores both files byte for byte, and a second rollback changes nothing.
    undo = {'state': 'rollback', 'backup_files': real['backup_files'], 'created_files': real['created_files'], 'state_dir': args['state_dir']}
    back = run_module('system_tls', undo)
    assert not back.failed and back['changed'] is True, back.output
    assert openssl_copy.read_bytes() == original
    if gnutls_original is not None:
        assert gnutls_copy.read_bytes() == gnutls_original
    else:
        assert not gnutls_copy.exists(), 'a GnuTLS file the change created is removed again'
    assert run_module('system_tls', undo)['changed'] is False


def test_rollback_from_the_record_of_the_last_run(config_copies):
    openssl_copy, gnutls_copy = config_copies
    original = openssl_copy.read_bytes()
    args = {'openssl_conf': str(openssl_copy), 'gnutls_config': str(gnutls_copy), 'state_dir': str(openssl_copy.parent / 'state')}
    assert run_module('system_tls', args)['changed'] is True
    assert openssl_copy.read_bytes() != original
    back = run_module('system_tls', {'state': 'rollback', 'state_dir': args['state_dir']})
    assert not back.failed and back['changed'] is True, back.output
    assert openssl_copy.read_bytes() == original


def _tree(root):
    """Every directory and file below ``root`` with its bytes: what "the host is as it was" means."""
    found = {}
    for folder, dirs, files in os.walk(str(root)):
        dirs[:] = [d for d in dirs if d != 'state']  # the rollback record is the module's own, kept on purpose
        found[os.path.relpath(folder, str(root))] = None
        for name in files:
            with open(os.path.join(folder, name), 'rb') as handle:
                found[os.path.relpath(os.path.join(folder, name), str(root))] = handle.read()
    return found


def test_rollback_from_the_record_undoes_runs_newest_first_and_leaves_nothing_behind(tmp_path):
    """Backups, created files and the folders made for them go again; each rollback undoes one run, then nothing."""
    etc = tmp_path / 'etc'
    (etc / 'ssl').mkdir(parents=True)
    shutil.copy2(SYSTEM_OPENSSL_CNF, str(etc / 'ssl' / 'openssl.cnf'))
    # No GnuTLS folder at all: the change has to create /etc/gnutls/config and its folder.
    args = {'openssl_conf': str(etc / 'ssl' / 'openssl.cnf'), 'gnutls_config': str(etc / 'gnutls' / 'config'),
            'state_dir': str(etc / 'state')}
    start = _tree(etc)
    first = run_module('system_tls', args)
    assert not first.failed and first['changed'] is True, first.output
    after_first = _tree(etc)
    assert after_first != start
    second = run_module('system_tls', dict(args, min_protocol='TLSv1.3'))
    assert not second.failed and second['changed'] is True, second.output
    assert _tree(etc) != after_first

    back = run_module('system_tls', {'state': 'rollback', 'state_dir': args['state_dir']})
    assert not back.failed and back['changed'] is True, back.output
    assert _tree(etc) == after_first, 'the first rollback undoes only the newest run, its backups included'
    back = run_module('system_tls', {'state': 'rollback', 'state_dir': args['state_dir']})
    assert not back.failed and back['changed'] is True, back.output
    assert _tree(etc) == start, 'after undoing both runs nothing the change made is left'
    done = run_module('system_tls', {'state': 'rollback', 'state_dir': args['state_dir']})
    assert not done.failed and done['changed'] is False and 'no pending run' in done['msg'], done.output
    record = json.loads((etc / 'state' / 'system_tls.json').read_text())
    assert record['entries'] and all(e.get('rolled_back') for e in record['entries'])


def test_a_gnutls_build_without_ssl3_gets_no_ssl3_line_and_the_real_client_agrees(tmp_path):
    """What the posture says of SSL 3.0 in GnuTLS, what system_tls plans, and what gnutls-cli really does agree."""
    gnutls_cli = shutil.which('gnutls-cli')
    assert gnutls_cli, 'gnutls-cli is not installed (make test installs gnutls-bin)'
    hardened = tmp_path / 'gnutls-config'
    hardened.write_text('[overrides]\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n')
    env = dict(os.environ, GNUTLS_SYSTEM_PRIORITY_FILE=str(tmp_path / 'missing'))
    # An SSL 3.0-only priority string: a build with SSL 3.0 accepts it, a build without has nothing to offer.
    only_ssl3 = subprocess.run([gnutls_cli, '--list', '--priority', 'NORMAL:-VERS-ALL:+VERS-SSL3.0'], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=30, check=False)
    build_has_ssl3 = only_ssl3.returncode == 0 and 'VERS-SSL3.0' in only_ssl3.stdout
    facts = run_module('tls_facts', {'gnutls_config': str(hardened), 'gather': ['gnutls']})
    assert not facts.failed, facts.output
    ssl3 = _stack(facts['ansible_facts']['mailtls_posture'], 'gnutls')['protocols']['ssl3']
    plan = run_module('system_tls', {'openssl_conf': str(tmp_path / 'absent.cnf'), 'gnutls_config': str(hardened),
                                     'state_dir': str(tmp_path / 'state')}, check=True)
    gnutls_changes = [c for c in (plan.get('plan') or {}).get('changes', []) if c['target'] == str(hardened)]
    if build_has_ssl3:
        assert 'no SSL 3.0' not in ssl3['reason']
        assert gnutls_changes and 'disabled-version = ssl3.0' in gnutls_changes[0]['diff'], plan.output
    else:
        assert ssl3['state'] == 'refused' and 'no SSL 3.0' in ssl3['reason'], ssl3
        assert gnutls_changes == [], 'a file that already refuses everything the build can do below TLS 1.2 is left alone'


def test_system_tls_fails_closed_when_the_candidate_breaks_tls12(tmp_path):
    """A providers section that loads only the legacy provider leaves no TLS 1.2 ciphers: never installed."""
    broken = tmp_path / 'openssl.cnf'
    text = (
        '# a host whose configuration activates only the legacy provider\n'
        'openssl_conf = openssl_init\n\n'
        '[openssl_init]\nproviders = provider_sect\n\n'
        '[provider_sect]\nlegacy = legacy_sect\n\n'
        '[legacy_sect]\nactivate = 1\n'
    )
    broken.write_text(text)
    run = run_module('system_tls', {'openssl_conf': str(broken), 'gnutls': False, 'state_dir': str(tmp_path / 'state')})
    assert run.failed
    # The current file fails `openssl req` the same way, so the live handshake decides: TLS 1.2 breaks.
    assert 'validation failed' in run['msg'] and 'tls1_2: ' in run['msg'] and 'no ciphers' in run['msg']
    assert broken.read_text() == text, 'the original must stay untouched'


def test_system_tls_refuses_a_file_with_a_syntax_error(tmp_path):
    broken = tmp_path / 'openssl.cnf'
    text = 'openssl_conf = openssl_init\n[openssl_init\nssl_conf = ssl_sect\n'
    broken.write_text(text)
    run = run_module('system_tls', {'openssl_conf': str(broken), 'gnutls': False, 'state_dir': str(tmp_path / 'state')})
    assert run.failed
    assert 'refusing to edit' in run['msg'] and 'close square bracket' in run['msg']
    assert broken.read_text() == text


def test_ensure_tls12_leaves_legacy_alone_but_lifts_a_cap(tmp_path):
    capped = tmp_path / 'openssl.cnf'
    capped.write_text('openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sd\n[sd]\nMaxProtocol = TLSv1.1\n')
    args = {'openssl_conf': str(capped), 'gnutls': False, 'mode': 'ensure_tls12', 'state_dir': str(tmp_path / 'state')}
    run = run_module('system_tls', args)
    assert not run.failed and run['changed'], run.output
    facts = run_module('tls_facts', {'openssl_conf': str(capped), 'gather': ['openssl']})['ansible_facts']['mailtls_posture']
    protocols = _stack(facts, 'openssl')['protocols']
    assert protocols['tls1_2']['state'] == 'allowed'
    assert protocols['tls1_0']['state'] == 'allowed', 'ensure_tls12 must not disable legacy protocols'
    assert run_module('system_tls', args)['changed'] is False


@pytest.mark.parametrize('name, content, finding', [
    ('include-cycle', lambda d: 'openssl_conf = init\n.include %s/include-cycle.cnf\n[init]\nssl_conf = ssl\n' % d, 'openssl.config_problem'),
    ('misspelt', lambda d: 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = sd\n[sd]\nMinProtocol = TLS1.2\n', 'openssl.invalid_value'),
    ('second-openssl-conf', lambda d: 'openssl_conf = a\nopenssl_conf = b\n[a]\nssl_conf = s\n[s]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.2\n',
     'openssl.duplicate_openssl_conf'),
    ('syntax', lambda d: 'openssl_conf = i\n[i\nssl_conf = s\n', 'openssl.config_ignored'),
    ('not-utf8', lambda d: b'# caf\xe9\nopenssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.2\n', None),
    ('huge', lambda d: '#' * (2 * 1024 * 1024) + '\n', 'openssl.config_ignored'),
    ('directory', None, 'openssl.config_ignored'),
])
def test_bad_configuration_files_become_findings(tmp_path, name, content, finding):
    path = tmp_path / ('%s.cnf' % name)
    if content is None:
        path.mkdir()
    else:
        data = content(tmp_path)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    run = run_module('tls_facts', {'openssl_conf': str(path), 'gather': ['openssl']})
    assert not run.failed, run.output
    doc = run['ansible_facts']['mailtls_posture']
    _validate(doc)
    ids = [f['id'] for f in doc['findings']]
    assert 'gather_error' not in ids, doc['findings']
    if finding:
        assert finding in ids, ids
        assert any(e.get('path', '').startswith(str(tmp_path)) for f in doc['findings'] if f['id'] == finding for e in f['evidence'])
    else:
        assert _stack(doc, 'openssl')['protocols']['tls1_0']['state'] == 'refused', 'a Latin-1 comment does not stop OpenSSL'
