# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Corpus tests: every case under tests/unit/data/exo_corpus is compared with its reviewed expected files."""

import hashlib
import json
import os
import re

import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'data', 'exo_corpus')
CORPUS = os.path.normpath(CORPUS)
CASES = sorted(n for n in os.listdir(CORPUS) if os.path.isfile(os.path.join(CORPUS, n, 'case.json')))
LEGACY_IDS = {'EXO001', 'EXO002', 'EXO003', 'EXO004', 'EXO005', 'EXO012', 'EXO021', 'EXO025', 'EXO026'}


# Byte-exact variants (BOM, UTF-16, cp1252, CRLF, curly quotes) are not stored as such: ansible-test sanity wants
# every file in git to be UTF-8 with LF endings, no BOM and no curly quotes.  Such a case stores plain UTF-8/LF text
# and declares in case.json how the real bytes are built:
#   "materialize": {"codec": "utf-16-le", "bom": true, "newline": "\r\n", "unescape": false,
#                   "sha256": {"input.ps1": "<digest of the built bytes>", "expected.ps1": "..."}}
# "unescape": true turns \uXXXX escapes (used for U+2018/U+2019/U+201C/U+201D) into the characters.
# test_materialized_bytes_match_recorded_digests proves the built bytes are the reviewed ones.
BOMS = {'utf-8': b'\xef\xbb\xbf', 'utf-16-le': b'\xff\xfe', 'utf-16-be': b'\xfe\xff'}
ESCAPE = re.compile(r'\\u([0-9a-fA-F]{4})')


def materialize(stored, spec):
    """The byte-exact file content built from the stored UTF-8/LF text ``stored`` (bytes) and a case.json spec."""
    if not spec:
        return stored
    text = stored.decode('utf-8')
    if spec.get('unescape'):
        text = ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = text.replace('\n', spec.get('newline', '\n'))
    codec = spec.get('codec', 'utf-8')
    data = text.encode(codec)
    if spec.get('bom'):
        data = BOMS[codec] + data
    return data


def read_case_file(folder, name, meta):
    with open(os.path.join(folder, name), 'rb') as fh:
        return materialize(fh.read(), meta.get('materialize'))


def load(name):
    folder = os.path.join(CORPUS, name)
    with open(os.path.join(folder, 'case.json')) as fh:
        meta = json.load(fh)
    with open(os.path.join(folder, 'expected.json')) as fh:
        expected = json.load(fh)
    data = read_case_file(folder, meta['input'], meta)
    output = read_case_file(folder, expected['output'], meta)
    return meta, expected, data, output


MATERIALIZED = [n for n in CASES if 'materialize' in load(n)[0]]


@pytest.mark.parametrize('name', MATERIALIZED)
def test_materialized_bytes_match_recorded_digests(name):
    meta, expected, data, output = load(name)
    digests = meta['materialize']['sha256']
    assert sorted(digests) == sorted(set([meta['input'], expected['output']]))
    assert hashlib.sha256(data).hexdigest() == digests[meta['input']]
    assert hashlib.sha256(output).hexdigest() == digests[expected['output']]
    # the case really needs building: the bytes differ from the stored text
    with open(os.path.join(CORPUS, name, meta['input']), 'rb') as fh:
        assert fh.read() != data


def test_materialized_cases_cover_every_encoding():
    seen = set()
    for name in MATERIALIZED:
        spec = load(name)[0]['materialize']
        seen.add((spec['codec'], spec['bom'], spec['newline']))
    assert {('utf-16-le', True, '\r\n'), ('utf-16-be', True, '\n'), ('utf-8', True, '\r\n'), ('utf-8', False, '\r\n'),
            ('cp1252', False, '\n'), ('cp1252', False, '\r\n')} <= seen


@pytest.mark.parametrize('name', CASES)
def test_stored_files_are_plain_utf8_lf(name):
    """What git holds passes ansible-test sanity (line-endings, shebang/BOM, no-smart-quotes)."""
    folder = os.path.join(CORPUS, name)
    for fname in os.listdir(folder):
        with open(os.path.join(folder, fname), 'rb') as fh:
            raw = fh.read()
        text = raw.decode('utf-8')
        assert '\r' not in text and not text.startswith('\ufeff'), fname
        assert not any(q in text for q in '\u2018\u2019\u201c\u201d'), fname


def test_corpus_size():
    assert len(CASES) >= 40
    negatives = [n for n in CASES if n.startswith('neg_')]
    assert len(negatives) >= 5


@pytest.mark.parametrize('name', CASES)
def test_scan_matches_expected(name):
    meta, expected, data = load(name)[:3]
    text, encoding = exo.decode_script(data)
    assert {k: encoding[k] for k in ('codec', 'bom', 'line_endings')} == expected['encoding']
    result = exo.scan(text, meta['input'])
    assert [[f['id'], f['line']] for f in result['findings']] == expected['findings']
    assert [[c['kind'], c['legacy']] for c in result['connections']] == expected['connections']
    assert result['legacy_remaining'] == expected['legacy_remaining'][0]
    for finding in result['findings']:
        assert finding['severity'] in ('error', 'warning', 'note')
        assert finding['rule'] == exo.CATALOG[finding['id']][0]
        assert 1 <= finding['line'] <= finding['end_line']
        assert isinstance(finding['rewritable'], bool)
    json.dumps(result)


@pytest.mark.parametrize('name', CASES)
def test_migrate_matches_expected_bytes(name):
    meta, expected, data, output = load(name)
    text, encoding = exo.decode_script(data)
    result = exo.migrate(text, meta['input'], meta['auth'], meta.get('options'))
    assert result['changed'] is expected['changed']
    assert exo.encode_script(result['text'], encoding) == output
    assert result['legacy_remaining'] == expected['legacy_remaining'][1]
    assert sorted(set(f['id'] for f in result['findings'])) == expected['migrate_findings']
    json.dumps(result)
    if not result['changed']:
        assert result['text'] is text
        assert result['edits'] == []
        assert output == data
    else:
        assert result['parse_errors_after'] == []
        if 'EXO033' not in expected['migrate_findings']:
            assert exo.scan(result['text'])['parse_errors'] == []
        else:  # a grammar gap away from any connection: the same rejected text before and after, nothing new
            before = exo.scan(text)['parse_errors']
            after = exo.scan(result['text'])['parse_errors']
            assert before and len(after) == len(before)


@pytest.mark.parametrize('name', CASES)
def test_migrate_is_idempotent(name):
    meta, data = load(name)[0], load(name)[2]
    text = exo.decode_script(data)[0]
    first = exo.migrate(text, meta['input'], meta['auth'], meta.get('options'))
    second = exo.migrate(first['text'], meta['input'], meta['auth'], meta.get('options'))
    assert second['changed'] is False
    assert second['text'] is first['text']


@pytest.mark.parametrize('name', CASES)
def test_bytes_outside_edits_unchanged(name):
    meta, data = load(name)[0], load(name)[2]
    text = exo.decode_script(data)[0]
    result = exo.migrate(text, meta['input'], meta['auth'], meta.get('options'))
    rebuilt = []
    cursor = 0
    for edit in result['edits']:
        assert edit['offset'] >= cursor
        rebuilt.append(text[cursor:edit['offset']])
        rebuilt.append(edit['after'])
        cursor = edit['end_offset']
    rebuilt.append(text[cursor:])
    if result['changed']:
        assert ''.join(rebuilt) == result['text']
        # every edit only touches a statement the engine owns: the text it removes holds legacy code,
        # a cleanup, a -UseRPSSession or is an insertion
        for edit in result['edits']:
            assert edit['rule'] in ('connect', 'import', 'use-rps-session', 'v1-module-loader', 'cleanup', 'requires', 'session-check', 'credential-copy')
            if edit['rule'] == 'requires':
                assert edit['before'] == ''


@pytest.mark.parametrize('name', CASES)
def test_encoding_round_trip(name):
    meta, data = load(name)[0], load(name)[2]
    text, encoding = exo.decode_script(data)
    assert exo.encode_script(text, encoding) == data


@pytest.mark.parametrize('name', CASES)
def test_prefilter_catches_every_legacy_case(name):
    meta, expected, data = load(name)[:3]
    ids = set(f[0] for f in expected['findings'])
    if ids & LEGACY_IDS or any(kind for kind, legacy in expected['connections'] if legacy):
        assert exo.prefilter_match(data), name
        text = exo.decode_script(data)[0]
        assert any(re.search(p, text, re.I) for p in exo.prefilter_patterns())


SECRETS = {
    'plaintext_password': 'Summer2019!',
    'plaintext_password_interactive': 'Winter2020#',
}


@pytest.mark.parametrize('name', sorted(SECRETS))
def test_secret_never_in_output(name):
    meta, data = load(name)[0], load(name)[2]
    text = exo.decode_script(data)[0]
    secret = SECRETS[name]
    assert secret in text
    scan = exo.scan(text, meta['input'])
    assert secret not in json.dumps(scan)
    assert any(f['id'] == 'EXO020' for f in scan['findings'])
    migrated = exo.migrate(text, meta['input'], meta['auth'], meta.get('options'))
    without_text = dict(migrated)
    without_text.pop('text')
    assert secret not in json.dumps(without_text)
