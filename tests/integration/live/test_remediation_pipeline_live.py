"""The tls_remediation role end to end in real ansible-playbook runs on localhost, against copies.

Plan (check mode) -> apply -> verify (system stacks and every edited client
through its own settings, against the loopback Dovecot servers) -> automatic
rollback when the verify fails. Every file the role manages is a copy in
pytest's tmp_path (openssl_conf, gnutls_config, state_dir and the client
paths options); the system files are never touched.
"""
import hashlib
import json
import os
import subprocess
import sys

from harness.ansible import TARGET_PYTHON, ansible_env

BIN = os.path.dirname(sys.executable)
OPEN_CHAIN = ('openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = system_default_sect\n'
              '[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=2\n')
PLAYBOOK = '''---
- name: Remediate localhost against copies
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Posture of the copies before the change
      mailtls.remediation.tls_facts:
        openssl_conf: "{{ tls_remediation_openssl_conf }}"
        gnutls_config: "{{ tls_remediation_gnutls_config }}"
        gather: [openssl, gnutls]
    - name: The role under test
      block:
        - name: Apply, verify, roll back
          ansible.builtin.include_role:
            name: mailtls.remediation.tls_remediation
      always:
        - name: Keep the result for the test
          ansible.builtin.copy:
            content: "{{ tls_remediation_result | default({}) | to_nice_json }}"
            dest: "{{ result_file }}"
            mode: "0600"
          check_mode: false
'''


def _sha(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest() if os.path.exists(path) else None


def _setup(tmp_path, mail_servers, openssl_text, sslproto, **extra):
    conf = tmp_path / 'openssl.cnf'
    conf.write_text(openssl_text)
    rc = tmp_path / 'home' / '.fetchmailrc'
    rc.parent.mkdir()
    rc.write_text('poll mail.example.org proto imap port 993\n  user "bob" password "s3cret-Value" ssl sslproto %s\n' % sslproto)
    rc.chmod(0o600)
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    variables = {
        'tls_remediation_openssl_conf': str(conf),
        'tls_remediation_gnutls_config': str(tmp_path / 'gnutls-config'),
        'tls_remediation_state_dir': str(tmp_path / 'state'),
        'tls_remediation_mail_client_paths': [str(rc)],
        'tls_remediation_probe_endpoints': [{'host': '127.0.0.1', 'port': mail_servers.modern.imaps_port, 'service': 'imap',
                                             'mode': 'implicit'}],
        'tls_remediation_probe_validate_certs': False,
        'tls_remediation_probe_retries': 0,
        'result_file': str(tmp_path / 'result.json'),
    }
    variables.update(extra)
    (tmp_path / 'vars.json').write_text(json.dumps(variables))
    return conf, rc


def _play(tmp_path, *args):
    env = ansible_env({'ANSIBLE_RETRY_FILES_ENABLED': 'False'})
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON,
           '-e', '@%s' % (tmp_path / 'vars.json'), str(tmp_path / 'play.yml')] + list(args)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env, timeout=600,
                          check=False, cwd=str(tmp_path))
    assert (tmp_path / 'result.json').exists(), proc.stdout[-6000:]
    result = json.loads((tmp_path / 'result.json').read_text())
    (tmp_path / 'result.json').unlink()
    return proc, result


def _comparable(plan):
    return sorted((c['module'], c['kind'], c['target'], c['action'], tuple(c['finding_ids']), c['diff']) for c in plan['changes'])


def test_plan_apply_verify_and_plan_equals_result(tmp_path, mail_servers):
    conf, rc = _setup(tmp_path, mail_servers, OPEN_CHAIN, 'tls1')
    start = {p: _sha(p) for p in (str(conf), str(rc), str(tmp_path / 'gnutls-config'))}

    proc, planned = _play(tmp_path, '--check')
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert {p: _sha(p) for p in start} == start, 'check mode writes nothing'
    plan = planned['plan']
    assert planned['status'] == 'would_change' and planned['applied'] is None
    targets = dict((c['target'], c) for c in plan['changes'])
    assert sorted(targets) == sorted([str(conf), str(tmp_path / 'gnutls-config'), str(rc)])
    assert targets[str(conf)]['action'] == 'modify' and '+MinProtocol = TLSv1.2' in targets[str(conf)]['diff']
    assert targets[str(tmp_path / 'gnutls-config')]['action'] == 'create'
    assert 'legacy_protocol_allowed' in targets[str(conf)]['finding_ids'], 'the posture finding the edit fixes'
    assert targets[str(rc)]['module'] == 'mail_client_tls' and '+' in targets[str(rc)]['diff']
    assert 's3cret-Value' not in json.dumps(planned), 'secrets are masked in the plan'
    assert plan['guards'] == [] and plan['reboot'] is False and plan['restarts']
    assert [v['endpoints'] for v in plan['verify']] == [['127.0.0.1:%d' % mail_servers.modern.imaps_port]] * 2

    proc, done = _play(tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert done['status'] == 'changed' and done['verified'] is True and done['rolled_back'] is False, done['reason']
    assert _comparable(done['applied']) == _comparable(plan), 'the real run does exactly the plan'
    assert 'MinProtocol = TLSv1.2' in conf.read_text() and 'tls1.2+' in rc.read_text()
    clients = done['verify']['clients']
    assert [c['ok'] for c in clients] == [True] and clients[0]['min_protocol'] == 'tls1_2', clients

    proc, again = _play(tmp_path)
    assert proc.returncode == 0 and again['status'] == 'unchanged' and again['plan']['changes'] == [], proc.stdout[-3000:]

    # The rollback playbook with its defaults (only the state directory of the copies): each module undoes its
    # last recorded change from its own record, byte for byte, and the file the change created is removed.
    env = ansible_env({'ANSIBLE_RETRY_FILES_ENABLED': 'False'})
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON,
           '-e', 'tls_remediation_state_dir=%s' % (tmp_path / 'state'), 'mailtls.remediation.rollback']
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env, timeout=600,
                          check=False, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert {p: _sha(p) for p in start} == start, 'every managed file is back to its start'
    assert os.path.exists(str(tmp_path / 'mailtls-report' / 'posture.json')), 'the rollback playbook rewrites the report'


def test_a_client_edit_that_fails_its_verify_is_rolled_back_for_real(tmp_path, mail_servers):
    """The client's library cannot do TLS 1.2 on this host (its OpenSSL caps at TLS 1.1), so the edited
    client cannot reach the TLS 1.2 server: the role restores the file and says so."""
    capped = OPEN_CHAIN + 'MaxProtocol = TLSv1.1\n'
    conf, rc = _setup(tmp_path, mail_servers, capped, 'tls1', tls_remediation_system=False)
    before = rc.read_bytes()
    proc, result = _play(tmp_path)
    assert proc.returncode != 0, proc.stdout[-8000:]
    assert result['status'] == 'rolled_back' and result['rolled_back'] is True, result
    assert 'verify failed for fetchmail' in result['reason'] and 'rolled back' in result['reason']
    assert rc.read_bytes() == before, 'the client file is byte-identical to its start'
    assert [c['target'] for c in result['applied']['changes']] == [str(rc)]
    failing = result['verify']['clients'][0]
    assert failing['ok'] is False and failing['min_protocol'] == 'tls1_2'
    assert 'no protocols available' in ' '.join(failing['failing']), failing
    assert conf.read_text() == capped, 'the system file was not part of this change'
