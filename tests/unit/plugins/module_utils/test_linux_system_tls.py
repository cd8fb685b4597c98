# -*- coding: utf-8 -*-
"""Pure decisions of system_tls on Linux: crypto policy targets and library version gates."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_system_tls as policy


@pytest.mark.parametrize('current, mode, minimum, expected', [
    ('LEGACY', 'enforce_minimum', 'TLSv1.2', 'DEFAULT'),
    ('LEGACY:AD-SUPPORT', 'enforce_minimum', 'TLSv1.2', 'DEFAULT:AD-SUPPORT'),
    ('DEFAULT', 'enforce_minimum', 'TLSv1.2', None),
    ('DEFAULT:SHA1', 'enforce_minimum', 'TLSv1.2', None),
    ('FUTURE', 'enforce_minimum', 'TLSv1.3', None),
    ('DEFAULT', 'enforce_minimum', 'TLSv1.3', 'FUTURE'),
    ('LEGACY', 'ensure_tls12', 'TLSv1.2', None),
    ('', 'enforce_minimum', 'TLSv1.2', None),
    ('legacy', 'enforce_minimum', 'TLSv1.2', 'DEFAULT'),
])
def test_crypto_policy_target_keeps_subpolicies(current, mode, minimum, expected):
    assert policy.plan_crypto_policy(current, mode, minimum) == expected


def test_openssl_098_cannot_do_tls12_at_all():
    with pytest.raises(policy.PolicyError) as err:
        policy.check_version((0, 9, 8), 'ensure_tls12')
    assert 'cannot negotiate TLS 1.2' in str(err.value) and 'Upgrade' in str(err.value)


def test_openssl_102_has_no_min_protocol_but_ensure_mode_is_fine():
    with pytest.raises(policy.PolicyError) as err:
        policy.check_version((1, 0, 2), 'enforce_minimum')
    message = str(err.value)
    assert 'MinProtocol' in message and 'mail_client_tls' in message
    policy.check_version((1, 0, 2), 'ensure_tls12')
    policy.check_version((1, 1, 1), 'enforce_minimum')
    policy.check_version((3, 0, 19), 'enforce_minimum')


def _chain(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace('@D@', str(tmp_path)))
    return str(tmp_path / 'main.cnf')


HEAD = 'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sd\n'


@pytest.mark.parametrize('files, edited', [
    ({'main.cnf': HEAD + '.include @D@/inc/sd.cnf\n', 'inc/sd.cnf': '[sd]\nCipherString = DEFAULT\n'}, 'inc/sd.cnf'),
    ({'main.cnf': HEAD + '.include "@D@/inc"\n', 'inc/sd.cnf': '[sd]\nCipherString = DEFAULT\n', 'inc/README': 'not read\n'}, 'inc/sd.cnf'),
    ({'main.cnf': '.pragma includedir:@D@/inc\n' + HEAD + '.include sd.cnf\n', 'inc/sd.cnf': '[sd]\nCipherString = DEFAULT\n'}, 'inc/sd.cnf'),
    ({'main.cnf': 'dir = @D@/inc\n' + HEAD + '.include $dir/sd.cnf\n', 'inc/sd.cnf': '[sd]\nCipherString = DEFAULT\n'}, 'inc/sd.cnf'),
])
def test_mirror_keeps_the_layout_and_points_every_include_into_the_copy(tmp_path, files, edited):
    main = _chain(tmp_path / 'real', files)
    edits = policy.plan_openssl(main, 'TLSv1.2', 'enforce_minimum')
    assert [e.path for e in edits] == [str(tmp_path / 'real' / edited)]
    root = str(tmp_path / 'copy')
    copy_main = policy.mirror_chain(edits[0].chain, dict((e.path, e.after) for e in edits), root)
    assert copy_main == root + main
    loaded = policy._openssl_conf.load_config(copy_main)
    assert loaded.result['settings']['MinProtocol']['value'] == 'TLSv1.2'
    assert all(f['path'].startswith(root + '/') for f in loaded.files)
    assert open(main).read() == files['main.cnf'].replace('@D@', str(tmp_path / 'real')), 'the real files are untouched'


def test_mirror_refuses_a_relative_include_it_cannot_reproduce(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path / 'real') if (tmp_path / 'real').exists() else str(tmp_path))
    main = _chain(tmp_path, {'main.cnf': HEAD + '.include sd.cnf\n', 'sd.cnf': '[sd]\nCipherString = DEFAULT\n'})
    edits = policy.plan_openssl(main, 'TLSv1.2', 'enforce_minimum')
    with pytest.raises(policy.ChainCopyError) as err:
        policy.mirror_chain(edits[0].chain, dict((e.path, e.after) for e in edits), str(tmp_path / 'copy'))
    assert 'outside the copy' in str(err.value)


def test_plan_changes_carry_a_unified_diff(tmp_path):
    main = _chain(tmp_path, {'main.cnf': HEAD + '[sd]\nCipherString = DEFAULT\n'})
    change = policy.plan_changes(policy.plan_openssl(main, 'TLSv1.3', 'enforce_minimum'))[0]
    assert change['module'] == 'system_tls' and change['action'] == 'modify' and change['target'] == main
    assert '+MinProtocol = TLSv1.3' in change['diff'] and change['diff'].startswith('--- %s' % main)
