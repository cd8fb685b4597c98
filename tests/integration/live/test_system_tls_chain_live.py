"""system_tls on the shapes that used to defeat it: included files, TLS 1.3, FIFOs, loops, unusable records.

Every test works on files in pytest's tmp_path (``openssl_conf`` and
``gnutls_config`` options), never on the system files, and proves the result
with real OpenSSL handshakes (the module's own canaries, then tls_probe
against loopback servers).
"""
import json
import os
import stat
import threading

import pytest

from harness.ansible import run_module

CHAIN_HEAD = 'openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = system_default_sect\n'


def _args(tmp_path, conf, **extra):
    args = {'openssl_conf': str(conf), 'gnutls': False, 'state_dir': str(tmp_path / 'state'), 'validation_timeout': 10}
    args.update(extra)
    return args


def _handshake(conf, server, protocol):
    """tls_probe through OpenSSL with OPENSSL_CONF=conf against one of the loopback Dovecot servers."""
    run = run_module('tls_probe', {'endpoints': [{'host': '127.0.0.1', 'port': server.imaps_port, 'service': 'imap'}],
                                   'protocols': [protocol], 'engines': ['openssl'], 'validate_certs': False, 'retries': 0,
                                   'timeout': 5, 'total_timeout': 30, 'openssl_conf': str(conf)})
    assert not run.failed, run.output
    return run['results'][0]['outcome']


def _include_layout(tmp_path, kind):
    conf = tmp_path / 'etc' / 'openssl.cnf'
    fragment_dir = tmp_path / 'etc' / 'openssl.d'
    fragment_dir.mkdir(parents=True)
    fragment = fragment_dir / '10-policy.cnf'
    fragment.write_text('# site policy\n[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=2\n')
    target = fragment_dir if kind == 'directory' else fragment
    conf.write_text(CHAIN_HEAD + '.include %s\n' % target)
    return conf, fragment


@pytest.mark.parametrize('kind', ['file', 'directory'])
def test_section_defined_in_an_include_is_edited_there_and_validated_as_a_chain(mail_servers, tmp_path, kind):
    conf, fragment = _include_layout(tmp_path, kind)
    main_before = conf.read_bytes()
    assert _handshake(conf, mail_servers.legacy_rsa, 'tls1_0') == 'success', 'the start state accepts TLS 1.0'

    check = run_module('system_tls', _args(tmp_path, conf), check=True)
    assert not check.failed, check.output
    assert [f['path'] for f in check['files']] == [str(fragment)], 'the file where the section is defined is edited'
    chain = check['validation'][0]
    assert chain['ok'] and chain['files'] == [str(fragment)]
    assert sorted(chain['details']['chain']) == sorted([str(conf), str(fragment)])
    assert [c['canary'] for c in chain['details']['checks']] == ['tls1_0_krsa', 'tls1_1_krsa', 'tls1_2']
    assert [c['target'] for c in check['plan']['changes']] == [str(fragment)]
    assert '+MinProtocol = TLSv1.2' in check['plan']['changes'][0]['diff']

    real = run_module('system_tls', _args(tmp_path, conf))
    assert not real.failed and real['changed'], real.output
    assert conf.read_bytes() == main_before, 'the main file is left alone'
    assert 'MinProtocol = TLSv1.2' in fragment.read_text()
    assert _handshake(conf, mail_servers.legacy_rsa, 'tls1_0') == 'failure'
    assert _handshake(conf, mail_servers.modern, 'tls1_2') == 'success'
    assert run_module('system_tls', _args(tmp_path, conf))['changed'] is False


def test_min_protocol_tls13_is_validated_with_a_tls13_handshake(mail_servers, tmp_path):
    conf = tmp_path / 'openssl.cnf'
    conf.write_text(CHAIN_HEAD + '[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=2\n')
    real = run_module('system_tls', _args(tmp_path, conf, min_protocol='TLSv1.3'))
    assert not real.failed and real['changed'], real.output
    checks = dict((c['canary'], c) for c in real['validation'][0]['details']['checks'])
    assert checks['tls1_2']['expect'] == 'refused' and checks['tls1_2']['passed']
    assert checks['tls1_3']['expect'] == 'success' and checks['tls1_3']['handshake']['protocol'] == 'tls1_3'
    assert 'MinProtocol = TLSv1.3' in conf.read_text()
    assert _handshake(conf, mail_servers.modern, 'tls1_2') == 'failure'
    assert _handshake(conf, mail_servers.modern, 'tls1_3') == 'success'


def _fifo_reader_guard(path):
    """If anything opened the FIFO for reading, unblock it from the write side so the test fails instead of hanging."""
    def release():
        try:
            fd = os.open(str(path), os.O_WRONLY)
            os.close(fd)
        except OSError:
            pass
    timer = threading.Timer(60, release)
    timer.daemon = True
    timer.start()
    return timer


@pytest.mark.parametrize('where', ['main', 'include', 'directory', 'device', 'loop'])
def test_fifos_devices_and_loops_give_a_finding_and_a_clear_failure(tmp_path, where):
    conf = tmp_path / 'openssl.cnf'
    fifo = tmp_path / 'policy.cnf'
    timer = None
    if where == 'main':
        os.mkfifo(str(conf))
        timer = _fifo_reader_guard(conf)
    elif where == 'include':
        os.mkfifo(str(fifo))
        timer = _fifo_reader_guard(fifo)
        conf.write_text(CHAIN_HEAD + '.include %s\n' % fifo)
    elif where == 'directory':
        (tmp_path / 'd').mkdir()
        os.mkfifo(str(tmp_path / 'd' / 'x.cnf'))
        timer = _fifo_reader_guard(tmp_path / 'd' / 'x.cnf')
        conf.write_text(CHAIN_HEAD + '.include %s\n' % (tmp_path / 'd'))
    elif where == 'device':
        conf.write_text(CHAIN_HEAD + '.include /dev/zero\n')
    else:
        (tmp_path / 'a.cnf').write_text('.include %s\n' % (tmp_path / 'b.cnf'))
        (tmp_path / 'b.cnf').write_text('.include %s\n' % (tmp_path / 'a.cnf'))
        conf.write_text(CHAIN_HEAD + '.include %s\n' % (tmp_path / 'a.cnf'))
    try:
        facts = run_module('tls_facts', {'openssl_conf': str(conf), 'gather': ['openssl']}, timeout=120)
        assert not facts.failed, facts.output
        doc = facts['ansible_facts']['mailtls_posture']
        messages = ' '.join(e.get('note') or '' for f in doc['findings'] for e in f['evidence'])
        expected = {'device': 'a character device', 'loop': 'includes itself'}.get(where, 'a FIFO')
        assert expected in messages, doc['findings']
        assert _openssl_stack(doc)['details']['plan']['refused'], 'the posture says the planner refuses this chain'

        run = run_module('system_tls', _args(tmp_path, conf), timeout=120)
        assert run.failed and 'refusing to edit' in run['msg'] and expected in run['msg'], run.output
        assert run['plan']['guards'][0]['blocking'] is True
    finally:
        if timer is not None:
            timer.cancel()


def _openssl_stack(doc):
    return next(s for s in doc['stacks'] if s['id'] == 'openssl')


def test_unwritable_state_dir_refuses_before_changing_anything(tmp_path):
    if os.geteuid() == 0:
        blocker = tmp_path / 'not-a-dir'
        blocker.write_text('a file where the state directory should be\n')
        state_dir = blocker / 'state'
    else:  # pragma: no cover - the CI runs as root
        locked = tmp_path / 'locked'
        locked.mkdir()
        os.chmod(str(locked), stat.S_IRUSR | stat.S_IXUSR)
        state_dir = locked / 'state'
    conf = tmp_path / 'openssl.cnf'
    conf.write_text(CHAIN_HEAD + '[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=2\n')
    before = conf.read_bytes()
    for check in (True, False):
        run = run_module('system_tls', _args(tmp_path, conf, state_dir=str(state_dir)), check=check)
        assert run.failed and 'refusing to change anything' in run['msg'] and str(state_dir) in run['msg'], run.output
        assert [g['id'] for g in run['plan']['guards']] == ['state_dir_unwritable']
        assert run['validation'] == [], 'the guard fires before any validation'
        assert conf.read_bytes() == before
    assert not [p for p in os.listdir(str(tmp_path)) if 'mailtls-backup' in p], 'no backup was written either'


@pytest.mark.parametrize('record', [b'{"version": 1, "entries": [{"run": "x", "pa', b'', b'[1, 2]', b'{"entries": [{"run": "r"}]}'])
def test_a_corrupt_rollback_record_gives_a_clear_error_naming_the_file(tmp_path, record):
    state = tmp_path / 'state'
    state.mkdir()
    (state / 'system_tls.json').write_bytes(record)
    run = run_module('system_tls', {'state': 'rollback', 'state_dir': str(state)})
    assert run.failed, run.output
    assert str(state / 'system_tls.json') in run['msg'] and 'Traceback' not in run.output, run.output
    conf = tmp_path / 'openssl.cnf'
    conf.write_text(CHAIN_HEAD + '[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=2\n')
    change = run_module('system_tls', _args(tmp_path, conf, state_dir=str(state)))
    assert change.failed and str(state / 'system_tls.json') in change['msg'], 'a record that cannot be appended to blocks the change'
    assert 'MinProtocol' not in conf.read_text()


def test_the_record_is_appended_and_rollback_uses_the_last_run(tmp_path):
    conf = tmp_path / 'openssl.cnf'
    original = CHAIN_HEAD + '[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=2\n'
    conf.write_text(original)
    assert run_module('system_tls', _args(tmp_path, conf))['changed'] is True
    record = json.loads((tmp_path / 'state' / 'system_tls.json').read_text())
    assert [e['path'] for e in record['entries']] == [str(conf)]
    back = run_module('system_tls', {'state': 'rollback', 'state_dir': str(tmp_path / 'state')})
    assert not back.failed and back['changed'], back.output
    assert conf.read_text() == original


@pytest.mark.parametrize('settings, expect_change', [('CipherString = DEFAULT:@SECLEVEL=2\n', True), ('MinProtocol = TLSv1.2\n', False)])
def test_the_posture_and_system_tls_make_one_decision(tmp_path, settings, expect_change):
    """The finding, the plan in the posture and the module's check-mode plan come from the same planner."""
    conf = tmp_path / 'openssl.cnf'
    conf.write_text(CHAIN_HEAD + '[system_default_sect]\n' + settings)
    facts = run_module('tls_facts', {'openssl_conf': str(conf), 'gather': ['openssl']})
    assert not facts.failed, facts.output
    doc = facts['ansible_facts']['mailtls_posture']
    posture_changes = doc['plan']['system_tls']['changes']
    check = run_module('system_tls', _args(tmp_path, conf), check=True)
    assert not check.failed, check.output
    assert [(c['target'], c['action'], c['diff']) for c in posture_changes] == \
        [(c['target'], c['action'], c['diff']) for c in check['plan']['changes']]
    assert check['changed'] is expect_change
    legacy = [f for f in doc['findings'] if f['id'] == 'legacy_protocol_allowed' and f['subject'] == 'stack:openssl']
    if expect_change:
        assert legacy and legacy[0]['plan']['targets'] == [str(conf)]
        assert posture_changes[0]['finding_ids'] == sorted(set(f['id'] for f in doc['findings'] if f['subject'] == 'stack:openssl'
                                                               and f['effect'] != 'none'))
    else:
        assert not legacy and posture_changes == [] and _openssl_stack(doc)['details']['plan']['changes'] == []
