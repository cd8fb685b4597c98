# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the exo_module decisions against recorded PowerShell outputs, and of the Linux module
with a stand-in ``pwsh`` executable that replays those outputs."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import stat
import zipfile

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailtls.remediation.plugins.module_utils import _exo_module as exo
from ansible_collections.mailtls.remediation.plugins.modules import exo_module as linux_module

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'data', 'exo_module')


def recorded(name):
    with open(os.path.join(DATA, name)) as handle:
        return handle.read()


# --- versions ------------------------------------------------------------------------------------

@pytest.mark.parametrize('low, high', [
    ('3.2.0', '3.10.0'),
    ('3.9.1-Preview1', '3.9.1'),
    ('3.9.1-Preview1', '3.9.1-Preview2'),
    ('2.0.5', '3.0.0'),
    ('3.4.0', '3.4.0.1'),
    ('7.2.24', '7.4'),
])
def test_version_order(low, high):
    assert exo.ModuleVersion(low) < exo.ModuleVersion(high)
    assert exo.ModuleVersion(high) > exo.ModuleVersion(low)


def test_version_equality_ignores_trailing_zeros_and_rejects_garbage():
    assert exo.ModuleVersion('3.5') == exo.ModuleVersion('3.5.0.0')
    assert str(exo.ModuleVersion('3.9.1', 'Preview1')) == '3.9.1-Preview1'
    with pytest.raises(ValueError):
        exo.ModuleVersion('latest')


# --- probes --------------------------------------------------------------------------------------

def test_probe_with_two_copies():
    probe = exo.parse_probe(recorded('linux_pwsh74_350.txt'))
    assert exo.installed_versions(probe) == ['3.5.0', '3.4.0']
    assert probe['powershell'] == {'version': '7.4.6', 'edition': 'Core'}
    decision = exo.plan(probe, '3.2.0')
    assert decision['action'] == 'none' and decision['satisfied_by'] == '3.5.0'
    decision = exo.plan(probe, '3.7.0')
    assert decision['action'] == 'install' and decision['reason'] == 'newest installed is 3.5.0, below 3.7.0'


def test_probe_flattened_arrays_and_noise():
    probe = exo.parse_probe(recorded('linux_banner_noise.txt'))
    assert exo.installed_versions(probe) == ['3.2.0']
    assert probe['repositories'] == [] and probe['clickonce'] == []
    assert exo.plan(probe, '3.2.0')['satisfied_by'] == '3.2.0'
    probe = exo.parse_probe(recorded('linux_pwsh72_340.txt'))
    assert exo.repository_known(probe, 'psgallery')


def test_probe_without_result_is_an_error():
    with pytest.raises(exo.ProbeError, match='marker missing'):
        exo.parse_probe(recorded('linux_install_crash.txt'))
    with pytest.raises(exo.ProbeError, match='truncated'):
        exo.parse_probe(exo.BEGIN + '{"powershell": {}')
    with pytest.raises(exo.ProbeError, match='not JSON'):
        exo.parse_probe(exo.BEGIN + '{oops' + exo.END)


def test_old_pwsh_cannot_take_new_module():
    probe = exo.parse_probe(recorded('linux_pwsh72_340.txt'))
    decision = exo.plan(probe, '3.5.0')
    assert decision['action'] == 'fail'
    assert 'needs PowerShell 7.4' in decision['reason']
    # 3.4.0 is enough for a 3.2.0 minimum on 7.2
    assert exo.plan(probe, '3.2.0')['action'] == 'none'
    # nothing installed: an offline 3.7.2 would not load, a repository install is capped at 3.4.0
    probe['modules'] = []
    decision = exo.plan(probe, '3.2.0', source='nupkg', offline_version='3.7.2')
    assert decision['action'] == 'fail' and '3.7.2 needs PowerShell 7.4' in decision['reason']
    decision = exo.plan(probe, '3.2.0', source='repository')
    assert decision['action'] == 'install' and decision['maximum_version'] == '3.4.0'
    assert exo.plan(exo.parse_probe(recorded('linux_pwsh74_none.txt')), '3.2.0')['maximum_version'] is None
    # a 3.5.0 already there is reported as unusable
    probe['modules'] = [{'name': 'ExchangeOnlineManagement', 'version': '3.5.0', 'path': '/x'}]
    decision = exo.plan(probe, '3.2.0')
    assert decision['action'] == 'none' and any('needs PowerShell 7.4' in w for w in decision['warnings'])


def test_prerelease_counts_only_when_allowed():
    probe = exo.parse_probe(recorded('linux_prerelease_only.txt'))
    assert exo.installed_versions(probe) == ['3.9.1-Preview1']
    assert exo.plan(probe, '3.2.0')['action'] == 'install'
    assert exo.plan(probe, '3.2.0', allow_prerelease=True)['satisfied_by'] == '3.9.1-Preview1'
    assert exo.plan(probe, '3.9.1', allow_prerelease=True)['action'] == 'install'


def test_query_never_installs():
    probe = exo.parse_probe(recorded('linux_pwsh74_none.txt'))
    decision = exo.plan(probe, '3.2.0', state='query')
    assert decision['action'] == 'none' and decision['satisfied_by'] is None
    assert decision['reason'] == 'not installed at version 3.2.0 or later'


@pytest.mark.parametrize('offline, allow, action, reason', [
    ('3.7.2', False, 'install', ''),
    ('3.1.0', False, 'fail', 'below the minimum'),
    ('3.9.1-Preview1', False, 'fail', 'prerelease'),
    ('3.9.1-Preview1', True, 'install', ''),
    (None, False, 'fail', 'no readable version'),
])
def test_offline_package_decisions(offline, allow, action, reason):
    probe = exo.parse_probe(recorded('linux_pwsh74_none.txt'))
    decision = exo.plan(probe, '3.2.0', allow_prerelease=allow, source='nupkg', offline_version=offline)
    assert decision['action'] == action
    assert reason in decision['reason']


@pytest.mark.parametrize('name', ['win51_v2_clickonce.json', 'win51_satisfied.json', 'win51_prerelease_only.json'])
def test_windows_module_decides_like_plan(name):
    """exo_module.ps1 applies the rule itself; it must agree with plan() on what it gathered."""
    result = json.loads(recorded(name))
    probe = exo.normalise_probe(result['probe'])
    decision = exo.plan(probe, result['minimum_version'])
    assert decision['action'] == result['action']
    assert decision['satisfied_by'] == result['satisfied_by']
    assert exo.installed_versions(probe) == result['installed']
    assert probe['clickonce'] == result['clickonce_leftovers']


def test_windows_leftovers_are_warned_about():
    probe = exo.normalise_probe(json.loads(recorded('win51_v2_clickonce.json'))['probe'])
    warnings = exo.plan(probe, '3.2.0')['warnings']
    assert any('before 3.0.0' in w and '2.0.5' in w for w in warnings)
    assert any('ClickOnce' in w and '2 profile' in w for w in warnings)


def test_install_results():
    assert exo.parse_install_result(recorded('linux_install_ok.txt')) == (True, '')
    ok, message = exo.parse_install_result(recorded('linux_install_nomatch.txt'))
    assert not ok and message.startswith('No match was found')
    ok, message = exo.parse_install_result(recorded('linux_install_crash.txt'), stderr='ParserError: missing terminator')
    assert not ok and 'ParserError' in message


def test_install_values_travel_as_environment_not_code():
    env = exo.install_environment("Corp'; Remove-Item /", None, '3.5.0', 'AllUsers', False, True)
    assert env['MAILTLS_EXO_REPOSITORY'] == "Corp'; Remove-Item /"
    assert "Corp'" not in exo.INSTALL_SCRIPT
    assert env['MAILTLS_EXO_SKIP_PUBLISHER_CHECK'] == '1' and env['MAILTLS_EXO_PRERELEASE'] == '0'


# --- offline packages ------------------------------------------------------------------------------

NUSPEC = '''<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>%s</id>
    <version>%s</version>
    <authors>Microsoft Corporation</authors>
  </metadata>
</package>'''


def make_nupkg(path, version='3.7.2', package_id='ExchangeOnlineManagement', extra=None):
    with zipfile.ZipFile(str(path), 'w') as archive:
        archive.writestr('%s.nuspec' % package_id, NUSPEC % (package_id, version))
        archive.writestr('[Content_Types].xml', '<Types/>')
        archive.writestr('_rels/.rels', '<Relationships/>')
        archive.writestr('package/services/metadata/core-properties/0a1b.psmdcp', '<coreProperties/>')
        archive.writestr('ExchangeOnlineManagement.psd1', "@{ ModuleVersion = '%s' }" % version.split('-')[0])
        archive.writestr('netCore/Microsoft.Exchange.Management.RestApiClient.dll', b'MZ\x90\x00')
        archive.writestr('license/EULA%20for%20module.txt', 'terms')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_nupkg_metadata_and_pick_newest(tmp_path):
    make_nupkg(tmp_path / 'ExchangeOnlineManagement.3.5.0.nupkg', '3.5.0')
    make_nupkg(tmp_path / 'ExchangeOnlineManagement.3.7.2.nupkg', '3.7.2')
    make_nupkg(tmp_path / 'ExchangeOnlineManagement.3.10.0-Preview1.nupkg', '3.10.0-Preview1')
    (tmp_path / 'ExchangeOnlineManagement.broken.nupkg').write_bytes(b'not a zip')
    assert exo.nupkg_metadata(str(tmp_path / 'ExchangeOnlineManagement.3.5.0.nupkg')) == {
        'id': 'ExchangeOnlineManagement', 'version': '3.5.0', 'prerelease': ''}
    assert exo.pick_nupkg(str(tmp_path)).endswith('3.10.0-Preview1.nupkg')
    with pytest.raises(exo.ProbeError, match='cannot read'):
        exo.nupkg_metadata(str(tmp_path / 'ExchangeOnlineManagement.broken.nupkg'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(exo.ProbeError, match='no ExchangeOnlineManagement'):
        exo.pick_nupkg(str(empty))


def test_extract_lays_out_like_install_module(tmp_path):
    package = make_nupkg(tmp_path / 'eom.nupkg', '3.7.2')
    root = tmp_path / 'Modules'
    dest = exo.extract_nupkg(str(package), str(root))
    assert dest == str(root / 'ExchangeOnlineManagement' / '3.7.2')
    found = sorted(os.path.relpath(os.path.join(d, f), dest) for d, dummy, files in os.walk(dest) for f in files)
    assert found == ['ExchangeOnlineManagement.psd1', 'license/EULA for module.txt', 'netCore/Microsoft.Exchange.Management.RestApiClient.dll']
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o755
    # again: replaced cleanly, no staging folders left behind
    exo.extract_nupkg(str(package), str(root))
    assert os.listdir(str(root / 'ExchangeOnlineManagement')) == ['3.7.2']


def test_extract_refuses_other_packages_and_escaping_entries(tmp_path):
    root = tmp_path / 'Modules'
    with pytest.raises(exo.ProbeError, match='not ExchangeOnlineManagement'):
        exo.extract_nupkg(str(make_nupkg(tmp_path / 'other.nupkg', '1.0.0', package_id='Other')), str(root))
    evil = make_nupkg(tmp_path / 'evil.nupkg', extra={'../../../escaped.txt': 'x'})
    with pytest.raises(exo.ProbeError, match='outside the module folder'):
        exo.extract_nupkg(str(evil), str(root))
    assert not (tmp_path / 'escaped.txt').exists()
    assert os.listdir(str(root / 'ExchangeOnlineManagement')) == []


# --- the Linux module with a stand-in pwsh ---------------------------------------------------------

FAKE_PWSH = r'''#!/bin/sh
# replays recorded pwsh output: probe files in order, install output, and logs the environment
dir="$(dirname "$0")"
case "$*" in
  *Install-Module*)
    env | grep '^MAILTLS_EXO_' | sort > "$dir/install.env"
    cat "$dir/install.out"
    ;;
  *)
    n=$(cat "$dir/count" 2>/dev/null || echo 0)
    n=$((n + 1)); echo "$n" > "$dir/count"
    if [ -f "$dir/probe.$n" ]; then cat "$dir/probe.$n"; else cat "$dir/probe.last"; fi
    ;;
esac
'''


@pytest.fixture
def pwsh(tmp_path):
    directory = tmp_path / 'bin'
    directory.mkdir()
    exe = directory / 'pwsh'
    exe.write_text(FAKE_PWSH)
    exe.chmod(0o755)

    def setup(probes, install='linux_install_ok.txt'):
        for number, name in enumerate(probes, 1):
            (directory / ('probe.%d' % number)).write_text(recorded(name))
        (directory / 'probe.last').write_text(recorded(probes[-1]))
        (directory / 'install.out').write_text(recorded(install))
        return str(exe)
    setup.dir = directory
    return setup


def run_module(args, capsys, check_mode=False):
    with patch_module_args(dict(args, _ansible_check_mode=check_mode)):
        with pytest.raises(SystemExit) as info:
            linux_module.main()
    out = json.loads(capsys.readouterr().out)
    out['_rc'] = info.value.code
    return out


def test_linux_install_from_internal_repository(pwsh, capsys):
    exe = pwsh(['linux_pwsh74_none.txt', 'linux_pwsh74_350.txt'])
    out = run_module({'executable': exe, 'minimum_version': '3.5.0', 'repository': 'Internal',
                      'repository_url': 'https://nuget.example.org/api/v2'}, capsys)
    assert out['_rc'] == 0, out
    assert out['changed'] is True and out['action'] == 'install'
    assert out['installed'] == [] and out['installed_after'] == ['3.5.0', '3.4.0'] and out['satisfied_by'] == '3.5.0'
    env = (pwsh.dir / 'install.env').read_text().splitlines()
    assert 'MAILTLS_EXO_REPOSITORY=Internal' in env
    assert 'MAILTLS_EXO_REPOSITORY_URL=https://nuget.example.org/api/v2' in env
    assert 'MAILTLS_EXO_MINIMUM=3.5.0' in env and 'MAILTLS_EXO_SCOPE=AllUsers' in env


def test_linux_check_mode_and_satisfied_runs_install_nothing(pwsh, capsys):
    exe = pwsh(['linux_pwsh74_none.txt'])
    out = run_module({'executable': exe}, capsys, check_mode=True)
    assert out['_rc'] == 0 and out['changed'] is True and out['action'] == 'install'
    assert not (pwsh.dir / 'install.env').exists()
    exe = pwsh(['linux_pwsh74_350.txt'])
    (pwsh.dir / 'count').unlink()
    out = run_module({'executable': exe}, capsys)
    assert out['_rc'] == 0 and out['changed'] is False and out['satisfied_by'] == '3.5.0'
    assert not (pwsh.dir / 'install.env').exists()


def test_linux_install_failure_is_reported(pwsh, capsys):
    exe = pwsh(['linux_pwsh74_none.txt'], install='linux_install_nomatch.txt')
    out = run_module({'executable': exe}, capsys)
    assert out['_rc'] == 1 and out['failed'] is True
    assert 'No match was found' in out['msg']


def test_linux_install_that_does_not_show_up_fails(pwsh, capsys):
    exe = pwsh(['linux_pwsh74_none.txt'])
    out = run_module({'executable': exe}, capsys)
    assert out['failed'] is True and 'no version 3.2.0 or later is visible' in out['msg']


def test_linux_offline_package(pwsh, capsys, tmp_path, monkeypatch):
    exe = pwsh(['linux_pwsh74_none.txt', 'linux_pwsh74_350.txt'])
    modules = tmp_path / 'Modules'
    monkeypatch.setattr(linux_module, 'linux_modules_root', lambda scope: str(modules))
    package = make_nupkg(tmp_path / 'ExchangeOnlineManagement.3.5.0.nupkg', '3.5.0')
    out = run_module({'executable': exe, 'nupkg_path': str(package), 'minimum_version': '3.5.0'}, capsys)
    assert out['_rc'] == 0, out
    assert out['source'] == 'nupkg' and out['install_path'] == str(modules / 'ExchangeOnlineManagement' / '3.5.0')
    assert (modules / 'ExchangeOnlineManagement' / '3.5.0' / 'ExchangeOnlineManagement.psd1').exists()
    assert not (pwsh.dir / 'install.env').exists()


def test_linux_without_pwsh_or_with_bad_minimum(capsys, tmp_path):
    out = run_module({'executable': str(tmp_path / 'no-pwsh')}, capsys)
    assert out['failed'] is True and 'was not found' in out['msg']
    out = run_module({'minimum_version': 'newest'}, capsys)
    assert out['failed'] is True and 'not a module version' in out['msg']


@pytest.mark.parametrize('name', ['exo_module', 'exo_script_files'])
def test_windows_and_linux_implementations_take_the_same_options(name):
    """The .ps1 spec and the documented (.py) options must not drift apart."""
    import re
    import yaml
    modules_dir = os.path.join(os.path.dirname(os.path.abspath(linux_module.__file__)))
    with open(os.path.join(modules_dir, name + '.ps1')) as handle:
        ps1 = handle.read()
    with open(os.path.join(modules_dir, name + '.py')) as handle:
        source = handle.read()
    documentation = yaml.safe_load(source.split("DOCUMENTATION = r'''", 1)[1].split("'''", 1)[0])
    doc = dict(documentation['options'])
    # Options shared through doc fragments are part of the module's interface too.
    fragments_dir = os.path.join(os.path.dirname(modules_dir), 'doc_fragments')
    for fragment in documentation.get('extends_documentation_fragment', []):
        name_parts = fragment.split('.')[2:]
        with open(os.path.join(fragments_dir, name_parts[0] + '.py')) as handle:
            fragment_source = handle.read()
        attr = name_parts[1].upper() if len(name_parts) > 1 else 'DOCUMENTATION'
        text = fragment_source.split('%s = r\'\'\'' % attr, 1)[1].split("'''", 1)[0]
        doc.update(yaml.safe_load(text).get('options') or {})
    block = ps1.split('options = @{', 1)[1].split('\n    }\n', 1)[0]
    top = set(re.findall(r'^        (\w+) = @\{', block, re.MULTILINE))
    assert top == set(doc)
    for option, spec in doc.items():
        found = re.search(r'^        %s = @\{(.*)$' % option, block, re.MULTILINE)
        line = found.group(1)
        if not line.strip():  # spread over several lines: up to its closing brace
            line = block[found.end():block.index('\n        }', found.end())]
        if 'type =' in line:
            assert "type = '%s'" % spec['type'] in line, option
        if spec.get('default') is not None:
            assert 'default = %s' % _ps_literal(spec['default']) in line, option


def _ps_literal(value):
    if isinstance(value, bool):
        return '$true' if value else '$false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return '@(%s)' % ', '.join(_ps_literal(v) for v in value)
    return "'%s'" % value
