# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import formats, html, model, writer

import fleet_data

COUNTS = {'compliant': 4, 'legacy': 3, 'pinned': 2, 'undetermined': 1, 'unreachable': 2, 'failed': 1}


@pytest.fixture()
def built():
    hosts, hostvars, expected = fleet_data.make_fleet(COUNTS)
    return model.build_fleet(hosts, hostvars), expected


def test_json_round_trip(built):
    fleet, _expected = built
    data = json.loads(formats.render_json(fleet))
    assert [h['host']['name'] for h in data['hosts']] == [h['host']['name'] for h in fleet['hosts']]
    assert data['report']['totals']['hosts'] == len(fleet['hosts'])


def test_csv_one_row_per_host(built):
    fleet, expected = built
    rows = list(csv.DictReader(io.StringIO(formats.render_csv(fleet))))
    assert len(rows) == len(fleet['hosts'])
    by_outcome = {}
    for row in rows:
        by_outcome[row['outcome']] = by_outcome.get(row['outcome'], 0) + 1
    assert by_outcome == expected
    pinned = [r for r in rows if r['outcome'] == 'will_fail']
    assert all('pinned below TLS 1.2' in r['what_fails'] and 'mail_client_tls' in r['what_to_do'] for r in pinned)


def test_csv_neutralises_formulas():
    fleet = model.build_fleet(['=cmd|calc'], {})
    row = list(csv.reader(io.StringIO(formats.render_csv(fleet))))[1]
    assert row[0] == "'=cmd|calc"


def test_junit_gates_on_will_fail_and_at_risk(built):
    fleet, expected = built
    root = ET.fromstring(formats.render_junit(fleet))
    cases = root.findall('.//testcase')
    assert int(root.get('tests')) == len(cases)
    failed_hosts = set(c.get('classname') for c in cases if c.find('failure') is not None)
    gating = set(d['host']['name'] for d in fleet['hosts'] if model.outcome(d) in model.GATING)
    assert failed_hosts == gating
    assert len(gating) == expected['at_risk'] + expected['will_fail']
    errors = [c for c in cases if c.find('error') is not None]
    assert len(errors) == expected['unreachable'] + expected['failed']
    assert all(c.get('name') == 'inventory' for c in errors)
    assert int(root.get('failures')) == sum(1 for c in cases if c.find('failure') is not None)
    # every host has at least the inventory check
    assert set(c.get('classname') for c in cases) == set(d['host']['name'] for d in fleet['hosts'])


def test_junit_survives_control_characters():
    fleet = model.build_fleet(['h'], {'h': {'tls_inventory_status': {'status': 'failed', 'msg': 'bad \x01 byte'}}})
    root = ET.fromstring(formats.render_junit(fleet))
    assert 'bad' in root.find('.//error').get('message')


def test_markdown_summary(built):
    fleet, expected = built
    text = formats.render_markdown(fleet)
    assert '| Will fail | %d |' % expected['will_fail'] in text
    assert '| Unreachable | %d |' % expected['unreachable'] in text
    assert 'Hosts that need action (%d)' % (len(fleet['hosts']) - expected['compliant']) in text
    fleet2 = model.build_fleet(['a|b'], {})
    assert 'a\\|b' in formats.render_markdown(fleet2)


def _embedded(page):
    match = re.search(r'<script id="mailtls-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_html_is_self_contained_and_embeds_every_host(built):
    fleet, expected = built
    page = html.render_html(fleet)
    assert not re.search(r'''(src|href)\s*=\s*["']?(https?:)?//''', page)
    assert '@import' not in page and 'url(' not in page
    data = _embedded(page)
    assert [h[0] for h in data['hosts']] == [d['host']['name'] for d in fleet['hosts']]
    assert page.count('<svg') == 4
    for outcome, count in expected.items():
        assert 'data-kpi="%s"' % outcome in page
        assert re.search(r'data-kpi="%s"[^>]*><span class="num">%d<' % (outcome, count), page)


def test_html_data_cannot_break_out_of_its_script():
    name = '</script><script>alert(1)</script>'
    fleet = model.build_fleet([name], {})
    page = html.render_html(fleet)
    assert page.count('<script>alert(1)') == 0
    assert _embedded(page)['hosts'][0][0] == name


def test_html_interns_repeated_strings():
    hosts, hostvars, _expected = fleet_data.make_fleet({'legacy': 200})
    data, _rows, _total = html.compact(model.build_fleet(hosts, hostvars))
    assert len(data['strings']) < 20


def test_writer_writes_all_files(tmp_path, built):
    fleet, _expected = built
    fleet['report']['views'] = model.evaluate_views(fleet['hosts'], [{'name': 'risky / hosts', 'query': "[?verdict.status=='at_risk'].host.name"}])
    written = writer.write_report(str(tmp_path), fleet)
    assert set(written) == {'posture.json', 'hosts.csv', 'junit.xml', 'summary.md', 'index.html', os.path.join('views', 'risky-hosts.json')}
    assert not [p for p in os.listdir(str(tmp_path)) if p.startswith('.')]
    view = json.loads((tmp_path / 'views' / 'risky-hosts.json').read_text())
    assert len(view['result']) == COUNTS['legacy']
    with pytest.raises(ValueError, match='unknown report format'):
        writer.write_report(str(tmp_path), fleet, ['pdf'])
