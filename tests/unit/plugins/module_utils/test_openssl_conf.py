# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_openssl_conf.py."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_conf as oc

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'data', 'openssl')
DEBIAN = '/etc/ssl/openssl.cnf'
RHEL = '/etc/pki/tls/openssl.cnf'
DISTROS = {
    'debian12': DEBIAN, 'debian10': DEBIAN, 'ubuntu2204': DEBIAN, 'ubuntu2404': DEBIAN, 'suse15': DEBIAN, 'alpine': DEBIAN,
    'rhel8': RHEL, 'rhel8-legacy': RHEL, 'rhel9': RHEL, 'amazonlinux2': RHEL, 'amazonlinux2023': RHEL, 'dirinclude': DEBIAN,
}
ENV = {'HOME': '/root'}
# Fixtures whose real bytes git must not hold (ansible-test sanity wants UTF-8): the stored file is UTF-8 text,
# the test builds the real bytes and checks them against the digest of the original fixture.
BUILT = {
    os.path.join('malformed', 'latin1.cnf'): (lambda stored: stored.decode('utf-8').encode('latin-1'),
                                              '53061743ccd23607835b895dad1ca98c9dc629268b3ed10190433b5fb3ee28e3'),
}


def read_fixture(path):
    """Bytes of a fixture file (absolute path under DATA), built when the stored file is only its source."""
    with open(path, 'rb') as handle:
        data = handle.read()
    build = BUILT.get(os.path.relpath(path, DATA))
    return build[0](data) if build else data


@pytest.mark.parametrize('name', sorted(BUILT))
def test_built_fixture_bytes_are_the_reviewed_ones(name):
    with open(os.path.join(DATA, name), 'rb') as handle:
        assert 'caf\u00e9 \u00ff' in handle.read().decode('utf-8')
    data = read_fixture(os.path.join(DATA, name))
    assert hashlib.sha256(data).hexdigest() == BUILT[name][1]
    with pytest.raises(UnicodeDecodeError):
        data.decode('utf-8')


def tree(name):
    """Map a fixture tree to absolute paths: data/openssl/<name>/etc/x -> /etc/x."""
    root = os.path.join(DATA, name)
    files = {}
    for base, _dirs, names in os.walk(root):
        for fname in names:
            full = os.path.join(base, fname)
            files['/' + os.path.relpath(full, root).replace(os.sep, '/')] = read_fixture(full)
    return files


def malformed(name, path=DEBIAN):
    return {path: read_fixture(os.path.join(DATA, 'malformed', name))}


def load(files, main=DEBIAN, env=None, **kwargs):
    return oc.load_config(main, fs=oc.MemoryFS(files), env=ENV if env is None else env, **kwargs)


def codes(config):
    return [issue['code'] for issue in config.result['issues']]


def apply(files, plan):
    new = dict(files)
    for path, _old, text in plan:
        new[path] = oc.encode_lossless(text)
    return new


def all_fixture_files():
    for base, _dirs, names in os.walk(DATA):
        for fname in names:
            yield os.path.join(base, fname)


# ---------------------------------------------------------------- lossless

@pytest.mark.parametrize('path', sorted(all_fixture_files()))
def test_every_fixture_round_trips_byte_for_byte(path):
    data = read_fixture(path)
    doc = oc.parse(oc.read_bytes_lossless(data), path)
    assert oc.encode_lossless(doc.render()) == data


@pytest.mark.parametrize('text', [
    '', '\n', 'a=b', 'a = b\r\n[ s ]\r\nc = d', 'x = a\\\n  b\\\n c\n', 'k = "quoted # not comment" # comment\n',
    '\\', 'a = b\\', '[broken\n', '\r\r\n\n', '.include = /x\n.pragma dollarid:on\n', 'k\t=\tv\t\n\n\n',
])
def test_edge_texts_round_trip(text):
    assert oc.parse(text).render() == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_arbitrary_text_round_trips(text):
    assert oc.parse(text).render() == text


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_property_arbitrary_bytes_round_trip(data):
    text = oc.read_bytes_lossless(data)
    assert oc.encode_lossless(oc.parse(text).render()) == data


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(['[ sect ]', 'k = v', 'k=$x', '# c', '', ' \\', '.include /a', 'a::b = 1', '\r', 'x = "a\\"b"']),
                max_size=12), st.sampled_from(['\n', '\r\n']))
def test_property_config_like_text_round_trips(lines, newline):
    text = newline.join(lines)
    assert oc.parse(text).render() == text


def test_items_keep_line_numbers_and_continuations():
    doc = oc.parse('a = 1\nb = x\\\n  y\n[ s t ]\nc=2\n')
    kinds = [(i.kind, i.lineno, i.nlines) for i in doc.items]
    assert kinds == [('kv', 1, 1), ('kv', 2, 2), ('section', 4, 1), ('kv', 5, 1)]
    assert doc.items[1].logical == 'b = x  y'
    assert doc.items[2].name == 's t'
    assert doc.items[3].section == 's t'


def test_parse_recognises_directives_and_errors():
    doc = oc.parse('.include /etc/a.cnf\n.include=b\n.pragma = dollarid:on\n[ok]\nfoo\n[bad\nsect::key = v\n')
    assert [i.kind for i in doc.items] == ['include', 'include', 'pragma', 'section', 'error', 'error', 'kv']
    assert doc.items[0].value == '/etc/a.cnf'
    assert doc.items[1].value == 'b'
    assert doc.items[4].error == 'missing equal sign'
    assert doc.items[5].error == 'missing close square bracket'
    assert doc.items[6].psection == 'sect' and doc.items[6].key == 'key'


def test_comment_inside_quotes_and_escape():
    doc = oc.parse('k = "a # b" # real\nm = a\\#b\n')
    assert doc.items[0].value == '"a # b"'
    assert doc.items[1].value == 'a\\#b'
    assert oc.expand_value(doc.items[1].value, 'default', lambda s, k: None) == 'a#b'


def test_expand_value_variables():
    values = {('default', 'dir'): './demoCA', ('insta', 'certout'): 'c.pem'}

    def lookup(section, name):
        return values.get((section, name), values.get(('default', name)))
    assert oc.expand_value('$dir/certs', 'CA', lookup) == './demoCA/certs'
    assert oc.expand_value('${dir}x', 'CA', lookup) == './demoCAx'
    assert oc.expand_value('$(insta::certout)', 'CA', lookup) == 'c.pem'
    with pytest.raises(oc.ConfSyntaxError):
        oc.expand_value('$nope', 'CA', lookup)
    with pytest.raises(oc.ConfSyntaxError):
        oc.expand_value('${dir', 'CA', lookup)
    assert oc.expand_value('a$b', 'CA', lookup, dollarid=True) == 'a$b'


def test_document_get_expands_simple_references():
    doc = oc.parse('dir = /ca\n[ CA ]\ncerts = $dir/certs\n')
    assert doc.get('CA', 'certs') == '/ca/certs'
    assert doc.get('CA', 'certs', expand=False) == '$dir/certs'


# ---------------------------------------------------------------- distro fixtures

@pytest.mark.parametrize('name', ['debian12', 'debian10', 'ubuntu2204', 'ubuntu2404', 'suse15', 'alpine', 'rhel8', 'rhel9',
                                  'amazonlinux2', 'amazonlinux2023'])
def test_distro_fixtures_have_no_issues(name):
    config = load(tree(name), DISTROS[name])
    assert codes(config) == []
    assert config.failed is None
    json.dumps(config.to_dict())


def test_debian12_has_no_ssl_chain():
    res = load(tree('debian12')).to_dict()
    assert res['status'] == 'no_ssl_conf'
    assert res['init_section'] == 'openssl_init'
    assert [link['link'] for link in res['chain']] == ['openssl_conf']
    lines = tree('debian12')[DEBIAN].decode().splitlines()
    assert lines[res['chain'][0]['line'] - 1] == 'openssl_conf = openssl_init'
    assert res['config_diagnostics'] == '1'
    assert res['min_protocol'] is None
    assert not oc.chain_applies(res)


def test_ubuntu_system_default_seclevel2():
    res = oc.resolve_system_default(DEBIAN, fs=oc.MemoryFS(tree('ubuntu2204')))
    assert res['status'] == 'complete'
    assert oc.chain_applies(res)
    assert [link['link'] for link in res['chain']] == ['openssl_conf', 'ssl_conf', 'system_default']
    assert res['settings_section'] == 'system_default_sect'
    cipher = res['settings']['CipherString']
    assert cipher['value'] == 'DEFAULT:@SECLEVEL=2'
    assert cipher['path'] == DEBIAN and cipher['section'] == 'system_default_sect'
    assert res['seclevel'] == 2
    assert res['min_protocol'] is None


@pytest.mark.parametrize('name', ['rhel9', 'amazonlinux2023'])
def test_rhel9_crypto_policies_include(name):
    res = load(tree(name), RHEL).to_dict()
    assert res['status'] == 'complete' and res['applies']
    assert res['crypto_policies']
    assert res['settings_section'] == 'crypto_policy'
    assert res['min_protocol'] == 'tls1_2' and res['max_protocol'] == 'tls1_3'
    backend = '/etc/crypto-policies/back-ends/opensslcnf.config'
    assert res['settings']['MinProtocol']['path'] == backend
    assert res['settings']['MinProtocol']['key'] == 'TLS.MinProtocol'
    assert res['settings']['MinProtocol']['line'] == 3
    assert res['seclevel'] == 2
    assert [f['path'] for f in res['files']] == [RHEL, backend]


def test_rhel8_plain_minprotocol_and_legacy():
    assert load(tree('rhel8'), RHEL).result['min_protocol'] == 'tls1_2'
    legacy = load(tree('rhel8-legacy'), RHEL).result
    assert legacy['min_protocol'] == 'tls1_0' and legacy['seclevel'] == 1


def test_debian10_minprotocol_without_colon():
    res = load(tree('debian10')).result
    assert res['min_protocol'] == 'tls1_2'
    assert res['seclevel'] == 2


def test_env_references():
    files = tree('amazonlinux2')
    # $ENV::HOME falls back to HOME = . of the default section, as in OpenSSL
    for env in (None, {}, ENV):
        config = oc.load_config(RHEL, fs=oc.MemoryFS(files), env=env)
        assert codes(config) == [] and config.result['status'] == 'no_openssl_conf'
    text = {DEBIAN: b'rnd = $ENV::MAILTLS_UNSET/.rnd\nopenssl_conf = i\n[i]\n'}
    assert codes(oc.load_config(DEBIAN, fs=oc.MemoryFS(text), env=None)) == ['env_reference_unknown']
    assert codes(oc.load_config(DEBIAN, fs=oc.MemoryFS(text), env={})) == ['syntax_error']
    assert codes(oc.load_config(DEBIAN, fs=oc.MemoryFS(text), env={'MAILTLS_UNSET': '/x'})) == []


def test_suse_directory_include_without_files():
    res = load(tree('suse15')).result
    assert res['status'] == 'no_ssl_conf'
    assert [f['path'] for f in res['files']] == [DEBIAN]


def test_directory_include_holds_settings():
    res = load(tree('dirinclude')).result
    assert res['status'] == 'complete'
    assert res['settings']['MinProtocol']['path'] == '/etc/ssl/openssl.d/10-tls.cnf'
    assert res['min_protocol'] == 'tls1_0' and res['seclevel'] == 0
    assert '/etc/ssl/openssl.d/README' not in [f['path'] for f in res['files']]


def test_directory_include_reads_sorted_and_notes_order():
    files = tree('dirinclude')
    files['/etc/ssl/openssl.d/20-more.conf'] = b'[system_default_sect]\nMinProtocol = TLSv1.3\n'
    config = load(files)
    assert config.result['min_protocol'] == 'tls1_3'
    assert 'include_dir_order' in codes(config)
    assert 'duplicate_key' in codes(config)


def test_relative_include_uses_openssl_conf_include_prefix():
    files = {DEBIAN: b'openssl_conf = i\n[i]\nssl_conf = s\n.include tls.cnf\n', '/opt/conf/tls.cnf': b'[s]\nsystem_default = d\n[d]\nMinProtocol = TLSv1.2\n'}
    res = load(files, env={'OPENSSL_CONF_INCLUDE': '/opt/conf'}).result
    assert res['min_protocol'] == 'tls1_2'
    rel = load(files, env={})
    assert 'include_relative' in codes(rel) and 'include_missing' in codes(rel)


def test_read_callable_and_local_file(tmp_path):
    path = tmp_path / 'openssl.cnf'
    path.write_bytes(b'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nMinProtocol = TLSv1.2\n')
    assert oc.resolve_system_default(str(path))['min_protocol'] == 'tls1_2'
    data = {'/x.cnf': 'openssl_conf = i\n[i]\n'}
    assert oc.resolve_system_default('/x.cnf', read=lambda p: data[p])['status'] == 'no_ssl_conf'


# ---------------------------------------------------------------- malformed

@pytest.mark.parametrize('name,code', [
    ('missing_bracket.cnf', 'syntax_error'),
    ('missing_equal.cnf', 'syntax_error'),
    ('undefined_variable.cnf', 'syntax_error'),
])
def test_syntax_errors_drop_everything(name, code):
    config = load(malformed(name))
    assert codes(config) == [code]
    assert 'ignores the whole configuration' in config.result['issues'][0]['message']
    assert config.result['status'] == 'syntax_error'
    assert not oc.chain_applies(config.result)
    with pytest.raises(oc.OpenSSLConfError) as err:
        oc.plan_policy(config)
    assert err.value.code == 'syntax_error'


def test_syntax_error_line_is_reported():
    config = load(malformed('missing_bracket.cnf'))
    issue = config.result['issues'][0]
    lines = malformed('missing_bracket.cnf')[DEBIAN].decode().splitlines()
    assert lines[issue['line'] - 1] == '[ssl_sect' and issue['path'] == DEBIAN


def test_misspelt_minprotocol_fails_open():
    config = load(malformed('misspelt_min.cnf'))
    assert codes(config) == ['invalid_protocol_value']
    assert config.result['min_protocol'] is None
    assert oc.chain_applies(config.result)


@pytest.mark.parametrize('value', ['TLS1.2', 'tlsv1.2', 'TLSv1.2 ', 'TLSv1_2'])
def test_invalid_protocol_values(value):
    text = 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nMinProtocol = "%s"\n' % value
    config = load({DEBIAN: text})
    assert codes(config) == ['invalid_protocol_value']


def test_invalid_later_entry_overrides_valid_one_of_same_name():
    config = load({DEBIAN: 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nMinProtocol = TLSv1.2\nMinProtocol = TLS1.2\n'})
    assert sorted(codes(config)) == ['duplicate_key', 'invalid_protocol_value']
    assert config.result['min_protocol'] is None


def test_invalid_prefixed_entry_keeps_earlier_other_name():
    config = load({DEBIAN: 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nMinProtocol = TLSv1.2\nTLS.MinProtocol = TLS1.2\n'})
    assert config.result['min_protocol'] == 'tls1_2'


def test_dtls_prefix_semantics():
    base = 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\n'
    config = load({DEBIAN: base + 'DTLS.MinProtocol = DTLSv1.2\nminprotocol = TLSv1.1\n'})
    assert codes(config) == [] and config.result['min_protocol'] == 'tls1_1'
    odd = load({DEBIAN: base + 'DTLS.MinProtocol = TLSv1\n'})
    assert codes(odd) == ['dtls_prefix_tls_value'] and odd.result['min_protocol'] == 'tls1_0'


def test_duplicate_openssl_conf_at_top_is_ignored():
    config = load(malformed('openssl_conf_twice.cnf'))
    assert codes(config) == ['duplicate_openssl_conf']
    issue = config.result['issues'][0]
    assert issue['line'] == 1 and issue['value'] == 'default_conf'
    assert config.result['status'] == 'no_ssl_conf'
    assert config.result['init_section'] == 'openssl_init'


def test_openssl_conf_at_bottom_is_ignored():
    config = load(malformed('openssl_conf_bottom.cnf'))
    assert codes(config) == ['openssl_conf_not_in_default_section']
    assert config.result['issues'][0]['section'] == 'commands'
    assert config.result['status'] == 'no_openssl_conf'
    assert not oc.chain_applies(config.result)


def test_explicit_default_section_counts():
    config = load({DEBIAN: '[x]\na = 1\n[ default ]\nopenssl_conf = i\n[i]\n'})
    assert config.result['status'] == 'no_ssl_conf' and codes(config) == []


def test_missing_and_dangling_sections():
    missing = load(malformed('settings_section_missing.cnf'))
    assert codes(missing) == ['missing_section'] and 'tls_policy' in missing.result['issues'][0]['message']
    assert missing.result['status'] == 'broken_ssl_section'
    dangling = load(malformed('ssl_section_dangling.cnf'))
    assert codes(dangling) == ['missing_section'] and dangling.result['issues'][0]['key'] == 'client'
    assert not oc.chain_applies(dangling.result)
    init_missing = load({DEBIAN: 'openssl_conf = nowhere\n'})
    assert codes(init_missing) == ['missing_section'] and init_missing.result['status'] == 'missing_init_section'
    empty = load({DEBIAN: 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\n'})
    assert codes(empty) == ['empty_section']


def test_duplicate_key_protocol_and_max_issues():
    config = load(malformed('max_below_min.cnf'))
    assert sorted(codes(config)) == ['max_below_min', 'max_blocks_tls13', 'protocol_option_deprecated']
    assert config.result['seclevel'] == 0
    assert config.result['protocols_disabled'] == ['ssl3', 'tls1_2', 'tls1_3']
    dup = load(malformed('duplicate_min.cnf'))
    assert codes(dup) == ['duplicate_key'] and dup.result['min_protocol'] == 'tls1_2'
    dup_lines = malformed('duplicate_min.cnf')[DEBIAN].decode().splitlines()
    assert dup_lines[dup.result['settings']['MinProtocol']['line'] - 1] == 'MinProtocol = TLSv1.2'
    assert dup.result['issues'][0]['value'] == 'TLSv1'
    tls12 = load(malformed('max_tls12.cnf'))
    assert codes(tls12) == ['max_blocks_tls13']


def test_include_problems():
    cycle = load({'/etc/ssl/openssl.cnf': open(os.path.join(DATA, 'malformed', 'cycle-a.cnf'), 'rb').read(),
                  '/etc/ssl/cycle-a.cnf': open(os.path.join(DATA, 'malformed', 'cycle-a.cnf'), 'rb').read(),
                  '/etc/ssl/cycle-b.cnf': open(os.path.join(DATA, 'malformed', 'cycle-b.cnf'), 'rb').read()})
    assert 'include_cycle' in codes(cycle)
    assert not oc.chain_applies(cycle.result)
    missing = load(malformed('include_missing.cnf'))
    assert codes(missing) == ['include_missing'] and missing.result['status'] == 'no_ssl_conf'
    files = {DEBIAN: b'.include /d/1.cnf\n'}
    for num in range(1, 15):
        files['/d/%d.cnf' % num] = ('.include /d/%d.cnf\n' % (num + 1)).encode()
    deep = load(files, max_depth=8)
    assert 'include_depth' in codes(deep) and not deep.complete


def test_unreadable_large_and_non_utf8_files():
    unreadable = load({DEBIAN: b'.include /etc/ssl/x.cnf\n', '/etc/ssl/x.cnf': None})
    assert codes(unreadable) == ['file_unreadable'] and not unreadable.complete
    big = load({DEBIAN: b'#' * 5000}, max_bytes=1000)
    assert codes(big) == ['file_too_large']
    latin = load(malformed('latin1.cnf'))
    assert codes(latin) == ['file_not_utf8'] and latin.result['min_protocol'] == 'tls1_2'
    nothing = load({})
    assert codes(nothing) == ['config_missing'] and nothing.result['status'] == 'no_config'


def test_pragmas():
    assert codes(load({DEBIAN: '.pragma dollarid:maybe\n'})) == ['syntax_error']
    assert codes(load({DEBIAN: '.pragma abspath:true\n.include rel.cnf\n'})) == ['syntax_error']
    ok = load({DEBIAN: '.pragma dollarid:on\nopenssl_conf = a$b\n[a$b]\n'})
    assert ok.result['init_section'] == 'a$b' or ok.failed


# ---------------------------------------------------------------- versions and names

def test_protocol_name_mapping():
    assert oc.openssl_name_to_id('TLSv1') == 'tls1_0'
    assert oc.openssl_name_to_id('TLSv1.3') == 'tls1_3'
    assert oc.openssl_name_to_id('SSLv3') == 'ssl3'
    for bad in ('TLS1.2', 'tlsv1.2', 'None', 'DTLSv1.2', '', None):
        assert oc.openssl_name_to_id(bad) is None
    assert oc.id_to_openssl_name('tls1_2') == 'TLSv1.2'


def test_version_gates():
    v102 = oc.parse_openssl_version('OpenSSL 1.0.2k-fips  26 Jan 2017')
    v111 = oc.parse_openssl_version('OpenSSL 1.1.1w  11 Sep 2023')
    v30 = oc.parse_openssl_version('OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)')
    assert v102 == (1, 0, 2) and v30 == (3, 0, 19)
    assert oc.parse_openssl_version('LibreSSL 3.3.6') is None
    assert not oc.min_protocol_supported(v102) and oc.min_protocol_supported((1, 1, 0))
    assert oc.tls12_supported(v102) and not oc.tls12_supported((1, 0, 0))
    assert not oc.tls13_supported((1, 1, 0)) and oc.tls13_supported(v111)
    assert not oc.min_protocol_supported(None)


# ---------------------------------------------------------------- planner

def plan_and_check(files, main=DEBIAN, **kwargs):
    plan = oc.plan_policy(load(files, main), **kwargs)
    new_files = apply(files, plan)
    again = oc.plan_policy(load(new_files, main), **kwargs)
    assert again == [], 'planning is not idempotent'
    return plan, new_files, load(new_files, main)


def test_debian12_plan_creates_chain_and_reuses_init():
    files = tree('debian12')
    plan, _new, after = plan_and_check(files)
    assert len(plan) == 1
    path, old, new = plan[0]
    assert path == DEBIAN and old == files[DEBIAN].decode()
    assert new.count('openssl_conf') == old.count('openssl_conf')
    assert '[openssl_init]\nssl_conf = ssl_sect\n# providers = provider_sect\n' in new
    assert new.startswith(old.split('[openssl_init]')[0])
    assert new.endswith('\n\n[ssl_sect]\nsystem_default = system_default_sect\n\n[system_default_sect]\nMinProtocol = TLSv1.2\n')
    assert after.result['min_protocol'] == 'tls1_2' and codes(after) == []
    assert oc.chain_applies(after.result)


def test_ubuntu_plan_reuses_existing_sections():
    files = tree('ubuntu2204')
    plan, _new, after = plan_and_check(files)
    old, new = plan[0][1], plan[0][2]
    assert new == old.replace('CipherString = DEFAULT:@SECLEVEL=2\n', 'CipherString = DEFAULT:@SECLEVEL=2\nMinProtocol = TLSv1.2\n')
    assert after.result['settings']['CipherString']['value'] == 'DEFAULT:@SECLEVEL=2'


def test_alpine_plan_inserts_ssl_conf_after_providers():
    plan, _new, after = plan_and_check(tree('alpine'))
    assert '[openssl_init]\nproviders = provider_sect\nssl_conf = ssl_sect\n' in plan[0][2]
    assert after.result['min_protocol'] == 'tls1_2'


def test_amazonlinux2_plan_inserts_openssl_conf_in_default_section():
    plan, _new, after = plan_and_check(tree('amazonlinux2'), RHEL)
    new = plan[0][2]
    head = new.split('[ new_oids ]')[0]
    assert 'oid_section\t\t= new_oids\nopenssl_conf = openssl_init\n' in head
    assert new.count('openssl_conf') == 1
    assert '[openssl_init]\nssl_conf = ssl_sect\n' in new
    assert after.result['min_protocol'] == 'tls1_2'


def test_plan_on_file_without_default_lines():
    files = {DEBIAN: '# header comment\n\n# about init\n[openssl_init]\n'}
    plan, _new, after = plan_and_check(files)
    assert plan[0][2].startswith('# header comment\n\nopenssl_conf = openssl_init\n\n# about init\n[openssl_init]\nssl_conf = ssl_sect\n')
    assert after.result['status'] == 'complete'


def test_plan_creates_missing_main_file():
    plan, new_files, after = plan_and_check({})
    assert plan[0][0] == DEBIAN and plan[0][1] is None
    assert after.result['min_protocol'] == 'tls1_2'
    assert new_files[DEBIAN].startswith(b'openssl_conf = openssl_init\n')


@pytest.mark.parametrize('name', ['debian12', 'ubuntu2204', 'alpine'])
def test_plan_keeps_crlf_line_endings(name):
    files = tree(name)
    files[DEBIAN] = files[DEBIAN].replace(b'\n', b'\r\n')
    plan, new_files, after = plan_and_check(files)
    data = new_files[DEBIAN]
    assert b'\n' not in data.replace(b'\r\n', b'')
    assert after.result['min_protocol'] == 'tls1_2'
    assert len(plan) == 1


@pytest.mark.parametrize('name', ['debian12', 'ubuntu2204'])
def test_plan_without_final_newline(name):
    files = tree(name)
    files[DEBIAN] = files[DEBIAN].rstrip(b'\n')
    last_line = files[DEBIAN].rsplit(b'\n', 1)[1]
    plan, new_files, after = plan_and_check(files)
    if name == 'debian12':
        assert last_line + b'\n\n[ssl_sect]\n' in new_files[DEBIAN]
    else:
        assert new_files[DEBIAN].endswith(b'\n' + last_line)
    assert after.result['min_protocol'] == 'tls1_2'
    assert plan


def test_plan_without_final_newline_inside_settings():
    text = 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nCipherString = DEFAULT'
    plan, _new, after = plan_and_check({DEBIAN: text})
    assert plan[0][2] == text + '\nMinProtocol = TLSv1.2\n'
    assert after.result['min_protocol'] == 'tls1_2'


def test_plan_edits_directory_include_file():
    files = tree('dirinclude')
    plan, _new, after = plan_and_check(files)
    assert [p for p, _o, _n in plan] == ['/etc/ssl/openssl.d/10-tls.cnf']
    assert plan[0][2] == plan[0][1].replace('MinProtocol = TLSv1\n', 'MinProtocol = TLSv1.2\n').replace('@SECLEVEL=0', '@SECLEVEL=2')
    assert after.result['seclevel'] == 2


def test_plan_seclevel_can_be_left_alone():
    files = tree('dirinclude')
    plan = oc.plan_policy(load(files), raise_seclevel0_to=None)
    assert '@SECLEVEL=0' in plan[0][2]


def test_plan_fixes_duplicates_and_invalid_values():
    plan, _new, after = plan_and_check(malformed('duplicate_min.cnf'))
    new = plan[0][2]
    assert 'MinProtocol = TLSv1\n' not in new and new.count('MinProtocol = TLSv1.2\n') == 2
    assert after.result['min_protocol'] == 'tls1_2'
    plan, _new, after = plan_and_check(malformed('misspelt_min.cnf'))
    assert 'TLS1.2' not in plan[0][2] and codes(after) == []


def test_plan_in_place_edit_keeps_spacing_and_comment():
    text = 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\n  TLS.MinProtocol\t=  "TLSv1.1"   # old\n'
    plan, _new, _after = plan_and_check({DEBIAN: text})
    assert plan[0][2].endswith('\n  TLS.MinProtocol\t=  TLSv1.2   # old\n')


def test_plan_max_protocol_protocol_and_seclevel():
    plan, _new, after = plan_and_check(malformed('max_below_min.cnf'))
    new = plan[0][2]
    assert 'MaxProtocol = None\n' in new
    assert '# Protocol = -SSLv3,-TLSv1.2,-TLSv1.3\n' in new
    assert 'CipherString = DEFAULT:@SECLEVEL=2\n' in new
    assert after.result['max_protocol'] is None and 'max_below_min' not in codes(after)


def test_plan_keeps_stricter_minimum_and_tls12_max():
    text = 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nMinProtocol = TLSv1.3\n'
    assert oc.plan_policy(load({DEBIAN: text})) == []
    assert oc.plan_policy(load(malformed('max_tls12.cnf')))[0][2].count('MaxProtocol = TLSv1.2') == 1


def test_plan_requested_tls13():
    plan, _new, after = plan_and_check(tree('ubuntu2204'), min_protocol='TLSv1.3')
    assert after.result['min_protocol'] == 'tls1_3'
    assert plan


def test_plan_reuses_names_from_partial_chain():
    plan, _new, after = plan_and_check(malformed('settings_section_missing.cnf'))
    assert plan[0][2].endswith('\n[tls_policy]\nMinProtocol = TLSv1.2\n')
    assert after.result['settings_section'] == 'tls_policy'


def test_plan_refuses_dangling_ssl_entry():
    with pytest.raises(oc.OpenSSLConfError) as err:
        oc.plan_policy(load(malformed('ssl_section_dangling.cnf')))
    assert err.value.code == 'broken_chain' and 'client_sect' in str(err.value)


def test_plan_fixes_misplaced_openssl_conf():
    files = malformed('openssl_conf_bottom.cnf')
    plan, _new, after = plan_and_check(files)
    new = plan[0][2]
    assert '# openssl_conf = default_conf\n' in new
    assert len([ln for ln in new.splitlines() if ln.startswith('openssl_conf')]) == 1
    assert after.result['init_section'] == 'default_conf'
    assert codes(after) == []


def test_plan_with_duplicate_openssl_conf_does_not_add_another():
    files = malformed('openssl_conf_twice.cnf')
    plan, _new, after = plan_and_check(files)
    assert plan[0][2].count('openssl_conf =') == 2
    assert after.result['init_section'] == 'openssl_init' and after.result['min_protocol'] == 'tls1_2'


def test_plan_crypto_policies():
    assert oc.plan_policy(load(tree('rhel9'), RHEL)) == []
    assert oc.plan_policy(load(tree('rhel8'), RHEL)) == []
    with pytest.raises(oc.OpenSSLConfError) as err:
        oc.plan_policy(load(tree('rhel8-legacy'), RHEL))
    assert err.value.code == 'crypto_policies' and 'update-crypto-policies' in str(err.value)


def test_plan_refusals():
    with pytest.raises(oc.OpenSSLConfError):
        oc.plan_policy(load(tree('debian12')), mode='whatever')
    with pytest.raises(oc.OpenSSLConfError):
        oc.plan_policy(load(tree('debian12')), min_protocol='TLS1.2')
    with pytest.raises(oc.OpenSSLConfError) as err:
        oc.plan_policy(load({DEBIAN: b'.include /x.cnf\n', '/x.cnf': None}))
    assert err.value.code == 'incomplete'
    with pytest.raises(oc.OpenSSLConfError) as err:
        oc.plan_policy(oc.load_config(DEBIAN, fs=oc.MemoryFS({DEBIAN: b'r = $ENV::MAILTLS_UNSET\n'}), env=None))
    assert err.value.code == 'environment'


def test_plan_accepts_dict_of_documents():
    files = tree('ubuntu2204')
    plan = oc.plan_policy(files, main_path=DEBIAN)
    assert plan and plan[0][0] == DEBIAN


def test_plan_preserves_non_utf8_bytes():
    files = malformed('latin1.cnf')
    files[DEBIAN] = files[DEBIAN].replace(b'MinProtocol = TLSv1.2', b'MinProtocol = TLSv1')
    plan, new_files, _after = plan_and_check(files)
    assert new_files[DEBIAN] == files[DEBIAN].replace(b'MinProtocol = TLSv1', b'MinProtocol = TLSv1.2')
    assert plan


# ---------------------------------------------------------------- ensure_tls12

def test_ensure_tls12_no_edit_when_nothing_blocks():
    for name in ('debian12', 'ubuntu2204', 'rhel9', 'dirinclude'):
        assert oc.plan_policy(load(tree(name), DISTROS[name]), mode='ensure_tls12') == []
    assert oc.plan_policy(load(malformed('max_tls12.cnf')), mode='ensure_tls12') == []


def test_ensure_tls12_fixes_blockers_only():
    plan, _new, after = plan_and_check(malformed('max_below_min.cnf'), mode='ensure_tls12')
    new = plan[0][2]
    assert 'MaxProtocol = TLSv1.2\n' in new
    assert 'Protocol = -SSLv3,-TLSv1.3\n' in new
    assert '@SECLEVEL=0' in new
    assert after.result['protocols_disabled'] == ['ssl3', 'tls1_3']


def test_ensure_tls12_lowers_tls13_minimum_and_fixes_all_protocol():
    text = 'openssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nMinProtocol = TLSv1.3\nProtocol = -ALL,TLSv1\n'
    plan, _new, after = plan_and_check({DEBIAN: text}, mode='ensure_tls12')
    assert plan[0][2].endswith('MinProtocol = TLSv1.2\nProtocol = -ALL,TLSv1,TLSv1.2\n')
    assert after.result['min_protocol'] == 'tls1_2'


@pytest.mark.parametrize('name', sorted(DISTROS))
@pytest.mark.parametrize('mode', ['enforce_minimum', 'ensure_tls12'])
def test_idempotent_for_every_distro_fixture(name, mode):
    files = tree(name)
    try:
        plan, _new, after = plan_and_check(files, DISTROS[name], mode=mode)
    except oc.OpenSSLConfError as exc:
        assert exc.code == 'crypto_policies' and name == 'rhel8-legacy'
        return
    if mode == 'enforce_minimum':
        assert after.result['min_protocol'] in ('tls1_2', 'tls1_3')
        assert oc.chain_applies(after.result)
    for path, old, new in plan:
        assert old is None or old != new
        assert path in files or old is None


@pytest.mark.parametrize('name', ['duplicate_min.cnf', 'max_below_min.cnf', 'max_tls12.cnf', 'misspelt_min.cnf', 'openssl_conf_bottom.cnf',
                                  'openssl_conf_twice.cnf', 'settings_section_missing.cnf', 'include_missing.cnf', 'latin1.cnf'])
@pytest.mark.parametrize('mode', ['enforce_minimum', 'ensure_tls12'])
def test_idempotent_for_malformed_fixtures(name, mode):
    plan_and_check(malformed(name), mode=mode)


@pytest.mark.parametrize('mode', ['enforce_minimum', 'ensure_tls12'])
def test_cipherstring_none_is_replaced_because_it_leaves_tls12_without_suites(mode):
    # "CipherString = None" matches no suite: OpenSSL keeps an empty list and only TLS 1.3 still works.
    files = tree('handedited')
    plan, _new, after = plan_and_check(files, mode=mode, min_protocol='TLSv1.2')
    assert len(plan) == 1
    assert '\nCipherString = DEFAULT\n' in plan[0][2]
    assert '# someone wanted old servers back\n' in plan[0][2]
    assert after.result['settings']['CipherString']['value'] == 'DEFAULT'


def test_cipherstring_none_keeps_its_directives_and_raises_level_zero():
    files = {DEBIAN: '[default]\nopenssl_conf = i\n[i]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nCipherString = None:@SECLEVEL=0\n'}
    plan, _new, after = plan_and_check(files)
    assert 'CipherString = DEFAULT:@SECLEVEL=2\n' in plan[0][2]
    assert after.result['seclevel'] == 2
