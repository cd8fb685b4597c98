# -*- coding: utf-8 -*-
"""Every report file, written by the streaming writer from hosts built with the real posture rules."""
from __future__ import absolute_import, division, print_function

import csv
import html as htmllib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model, stream, writer

import fleet_data

COUNTS = {'compliant': 4, 'legacy': 3, 'pinned': 2, 'undetermined': 1, 'unreachable': 2, 'failed': 1}
HOSTILE = [
    '<script>alert("x")</script>',
    '</script><script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "it's | *bold* _u_ `code` [l](http://e) \\ & &amp;",
    '=HYPERLINK("http://evil")',
    'tab\tnew\nline\x01ctl',
    '{{ 7*7 }} {% raw %}',
    'ünïcødé\u2028sep',
]


def write(tmp_path, hosts, hostvars, **kwargs):
    dest = str(tmp_path / 'report')
    kwargs.setdefault('keep_runs', 0)
    result = writer.write_report(dest, hosts, hostvars.get, **kwargs)
    return dest, result


def read(dest, name):
    with open(os.path.join(dest, name), encoding='utf-8') as handle:
        return handle.read()


def embedded(page):
    match = re.search(r'<script id="mailtls-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


@pytest.fixture()
def fleet(tmp_path):
    hosts, hostvars, expected = fleet_data.make_fleet(COUNTS)
    dest, result = write(tmp_path, hosts, hostvars)
    return dest, result, hosts, hostvars, expected


def test_posture_json_is_compact_and_equals_the_model(fleet):
    dest, result, hosts, hostvars, _expected = fleet
    text = read(dest, 'posture.json')
    # no pretty-printing by default: one line
    assert text.count('\n') == 1 and ': ' not in text[:200]
    data = json.loads(text)
    built = model.build_fleet(hosts, hostvars, generated_at=result['report']['generated_at'])
    assert data['hosts'] == json.loads(json.dumps(built['hosts']))
    assert data['report']['totals'] == json.loads(json.dumps(built['report']['totals']))
    assert data['report_format'] == model.REPORT_FORMAT


def test_pretty_json_on_request(tmp_path):
    hosts, hostvars, _expected = fleet_data.make_fleet({'legacy': 2})
    dest, _result = write(tmp_path, hosts, hostvars, pretty_json=True)
    text = read(dest, 'posture.json')
    assert '\n  "' in text or '\n "' in text
    assert len(json.loads(text)['hosts']) == 2


def test_csv_one_row_per_host(fleet):
    dest, _result, hosts, _hv, expected = fleet
    rows = list(csv.DictReader(io.StringIO(read(dest, 'hosts.csv'))))
    assert [r['host'] for r in rows] == hosts
    by_outcome = {}
    for row in rows:
        by_outcome[row['outcome']] = by_outcome.get(row['outcome'], 0) + 1
    assert by_outcome == expected
    pinned = [r for r in rows if r['outcome'] == 'will_fail']
    assert all('pinned below TLS 1.2' in r['what_fails'] and 'mail_client_tls' in r['what_to_do'] for r in pinned)


def test_csv_neutralises_formulas(tmp_path):
    dest, _result = write(tmp_path, ['=cmd|calc'], {})
    row = list(csv.reader(io.StringIO(read(dest, 'hosts.csv'))))[1]
    assert row[0] == "'=cmd|calc"


def test_junit_gates_on_will_fail_and_at_risk(fleet):
    dest, _result, hosts, hostvars, expected = fleet
    root = ET.fromstring(read(dest, 'junit.xml'))
    cases = root.findall('.//testcase')
    assert int(root.get('tests')) == len(cases) == int(root.find('testsuite').get('tests'))
    failed_hosts = set(c.get('classname') for c in cases if c.find('failure') is not None)
    built = model.build_fleet(hosts, hostvars)
    gating = set(d['host']['name'] for d in built['hosts'] if model.outcome(d) in model.GATING)
    assert failed_hosts == gating
    assert len(gating) == expected['at_risk'] + expected['will_fail']
    errors = [c for c in cases if c.find('error') is not None]
    assert len(errors) == expected['unreachable'] + expected['failed']
    assert all(c.get('name') == 'inventory' for c in errors)
    assert int(root.get('failures')) == sum(1 for c in cases if c.find('failure') is not None)
    assert int(root.get('skipped')) == sum(1 for c in cases if c.find('skipped') is not None)
    assert set(c.get('classname') for c in cases) == set(hosts)


def test_junit_survives_hostile_text(tmp_path):
    hostvars = dict((n, {'tls_inventory_status': {'status': 'failed', 'msg': 'bad %s byte' % n}}) for n in HOSTILE)
    dest, _result = write(tmp_path, HOSTILE, hostvars)
    root = ET.fromstring(read(dest, 'junit.xml'))
    names = [c.get('classname') for c in root.iter('testcase') if c.get('name') == 'inventory']
    # XML cannot carry \x01: it becomes U+FFFD; everything else arrives as it was
    assert names == [n.replace('\x01', '\ufffd') for n in HOSTILE]
    assert 'bad <script>' in root.find('.//error').get('message')


def test_markdown_summary_and_escaping(fleet, tmp_path):
    dest, _result, _hosts, _hv, expected = fleet
    text = read(dest, 'summary.md')
    assert '| Will fail | %d |' % expected['will_fail'] in text
    assert '| Unreachable | %d |' % expected['unreachable'] in text
    assert 'Hosts that need action (%d)' % (sum(expected.values()) - expected['compliant']) in text
    # unknown is counted apart from refused: the undetermined GnuTLS host is 0 / 0 / 1
    assert re.search(r'\| gnutls \(1\) \| 0 / 0 / 1 \|', text)
    dest2, _r = write(tmp_path / 'hostile', HOSTILE, {})
    md = read(dest2, 'summary.md')
    assert '<script>' not in md and '<img' not in md
    assert '&lt;script&gt;' in md
    # table and emphasis characters in a host name cannot open a cell or emphasis
    row = [line for line in md.splitlines() if 'HYPERLINK' in line and line.startswith('| ')][0]
    assert row.count(' | ') == 4
    assert "\\|" in md and '\\*bold\\*' in md
    assert 'tab\tnew line' in md


class _Tags(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.tags = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == 'script':
            self.scripts += 1


def test_html_is_self_contained_and_embeds_every_host(fleet):
    dest, _result, hosts, _hv, expected = fleet
    page = read(dest, 'index.html')
    assert not re.search(r'''(src|href)\s*=\s*["']?(https?:)?//''', page)
    assert '@import' not in page and 'url(' not in page
    data = embedded(page)
    assert [h[0] for h in data['hosts']] == hosts
    assert len(data['details']) == len(hosts)
    assert page.count('<svg') == 5  # outcomes, OS, protocol grid, findings, trend
    for outcome, count in expected.items():
        assert re.search(r'data-kpi="%s"[^>]*><span class="num">%d<' % (outcome, count), page)


def test_html_protocol_grid_tells_unknown_from_refused(fleet):
    dest, _result, hosts, hostvars, _expected = fleet
    page = read(dest, 'index.html')
    cells = re.findall(r'<g class="cell" data-kind="([^"]+)" data-proto="([^"]+)" data-allowed="(\d+)" data-refused="(\d+)" data-unknown="(\d+)"', page)
    grid = dict(((k, p), (int(a), int(r), int(u))) for k, p, a, r, u in cells)
    # the GnuTLS host that could not be determined is unknown, not refused
    assert grid[('gnutls', 'tls1_2')] == (0, 0, 1)
    assert 'U 100%' in page
    docs = model.build_fleet(hosts, hostvars)['hosts']
    openssl = [d for d in docs if any(s['kind'] == 'openssl' for s in d['stacks'])]
    allowed = sum(1 for d in openssl if d['stacks'][0]['protocols']['tls1_0']['state'] == 'allowed')
    assert grid[('openssl', 'tls1_0')] == (allowed, len(openssl) - allowed, 0)
    assert allowed > 0


def test_html_hostile_names_stay_text(tmp_path):
    hostvars = {}
    for i, name in enumerate(HOSTILE):
        doc = fleet_data.make_posture(name, 'pinned')
        doc['findings'][0]['title'] = name
        doc['findings'][0]['evidence'][0]['value'] = name
        hostvars[name] = {'mailtls_posture': doc, 'tls_inventory_status': {'status': 'reported', 'msg': name},
                          'tls_remediation_result': {'status': 'would_change', 'plan': {
                              'changes': [{'module': 'mail_client_tls', 'kind': 'file', 'target': name, 'action': 'modify',
                                           'finding_ids': [name], 'diff': {'before': name, 'after': 'x'}}],
                              'guards': [{'id': name, 'blocking': bool(i % 2), 'msg': name}], 'restarts': [], 'reboot': False, 'verify': []}}}
    views = [{'name': HOSTILE[0], 'query': "[?verdict.status=='will_fail'].host.name", 'description': HOSTILE[2]}]
    dest, _result = write(tmp_path, HOSTILE, hostvars, views=views, title=HOSTILE[2])
    page = read(dest, 'index.html')
    parser = _Tags()
    parser.feed(page)
    assert parser.scripts == 2  # the data and the page's own script, nothing injected
    assert not [t for t, a in parser.tags if t == 'img']
    assert not [a for t, a in parser.tags if any(k.startswith('on') for k in a)]
    assert 'alert(1)</script>' not in page.replace('\\u003c/script\\u003e', '')
    data = embedded(page)
    assert [h[0] for h in data['hosts']] == HOSTILE
    assert data['meta']['views'][0]['name'] == HOSTILE[0]
    # the server-rendered parts (title, plan table, guard table) carry the text escaped, not as markup
    title = re.search(r'<title>(.*?)</title>', page).group(1)
    assert '<' not in title and htmllib.unescape(title) == HOSTILE[2]
    guard_cells = re.findall(r'<table class="grid" id="guard-table">.*?</table>', page, re.S)[0]
    assert '<script>' not in guard_cells and HOSTILE[0] in htmllib.unescape(guard_cells)
    assert '{{ 7*7 }}' in page


def test_html_interns_repeated_strings(tmp_path):
    hosts, hostvars, _expected = fleet_data.make_fleet({'legacy': 200})
    dest, _result = write(tmp_path, hosts, hostvars)
    assert len(embedded(read(dest, 'index.html'))['strings']) < 20


def test_files_views_and_no_leftovers(tmp_path, fleet):
    _dest, _result, hosts, hostvars, _expected = fleet
    views = [{'name': 'risky / hosts', 'query': "[?verdict.status=='at_risk'].host.name"},
             {'name': 'count', 'query': "length([?verdict.status=='at_risk'])"}]
    dest, result = write(tmp_path / 'v', hosts, hostvars, views=views)
    assert sorted(os.path.relpath(f, dest) for f in result['files']) == sorted(
        ['posture.json', 'hosts.csv', 'junit.xml', 'summary.md', 'index.html', os.path.join('views', 'risky-hosts.json'),
         os.path.join('views', 'count.json')])
    assert not [p for p in os.listdir(dest) if p.startswith('.')]
    assert json.loads(read(dest, os.path.join('views', 'risky-hosts.json')))['result'] == [
        h for h in hosts if hostvars[h].get('mailtls_posture', {}).get('verdict', {}).get('status') == 'at_risk']
    assert json.loads(read(dest, os.path.join('views', 'count.json')))['result'] == COUNTS['legacy']
    with pytest.raises(ValueError, match='unknown report format'):
        write(tmp_path / 'bad', hosts, hostvars, wanted=['docx'])
    with pytest.raises(ValueError, match='printed from the HTML'):
        write(tmp_path / 'bad2', hosts, hostvars, wanted=['pdf'])
    assert not os.path.exists(str(tmp_path / 'bad2' / 'report' / 'posture.json'))


PLAN = {
    'changes': [{'module': 'system_tls', 'kind': 'file', 'target': '/etc/ssl/openssl.cnf', 'action': 'modify',
                 'finding_ids': ['legacy_protocol_allowed'], 'diff': {'before': 'MinProtocol = TLSv1\n', 'after': 'MinProtocol = TLSv1.2\n'}},
                {'module': 'mail_client_tls', 'kind': 'file', 'target': '/home/u/.fetchmailrc', 'action': 'modify',
                 'finding_ids': ['client_pinned_below_tls12'], 'diff': '--- a\n+++ b\n-sslproto TLS1\n+sslproto TLS1.2+\n'}],
    'guards': [{'id': 'rollback_record_writable', 'blocking': False, 'msg': 'state dir is writable'}],
    'restarts': [{'service': 'postfix', 'why': 'reads the OpenSSL configuration at start'}],
    'reboot': False,
    'verify': [{'what': 'openssl', 'how': 'tls_probe TLS 1.2 handshake', 'endpoints': ['outlook.office365.com:993']}],
}
BLOCKED = {'changes': [], 'guards': [{'id': 'file_changed_since_read', 'blocking': True, 'msg': 'the file changed since it was read'}],
           'restarts': [], 'reboot': True, 'verify': []}


def _planned_fleet():
    hosts, hostvars, _expected = fleet_data.make_fleet({'legacy': 3, 'compliant': 2})
    hostvars[hosts[0]]['tls_remediation_result'] = {'status': 'would_change', 'plan': PLAN}
    hostvars[hosts[1]]['tls_remediation_result'] = {'status': 'would_change', 'plan': PLAN}
    hostvars[hosts[2]]['tls_remediation_result'] = {'status': 'unchanged', 'plan': BLOCKED}
    hostvars[hosts[3]]['tls_remediation_result'] = {'status': 'changed', 'plan': PLAN, 'applied': dict(PLAN, changes=PLAN['changes'][:1])}
    return hosts, hostvars


def test_change_plan_file_and_sections(tmp_path):
    hosts, hostvars = _planned_fleet()
    dest, result = write(tmp_path, hosts, hostvars)
    plan = json.loads(read(dest, 'change-plan.json'))
    assert plan['schema'] == 1 and plan['generated_at'] == result['report']['generated_at']
    assert sorted(plan['hosts']) == sorted(hosts[:4])
    assert plan['hosts'][hosts[0]]['changes'] == PLAN['changes']
    # after a real run the file holds what was applied, and keeps the plan next to it
    assert plan['hosts'][hosts[3]]['kind'] == 'applied'
    assert plan['hosts'][hosts[3]]['changes'] == PLAN['changes'][:1]
    assert plan['hosts'][hosts[3]]['planned'] == PLAN
    summary = result['report']['change_plan']
    assert summary == {'hosts': 4, 'applied': 1, 'changing_hosts': 3, 'changes': 5, 'guard_hosts': 1, 'reboot_hosts': 1, 'more_targets': 0}
    assert result['report']['totals']['remediation']['blocked_by_guards'] == 1
    page = read(dest, 'index.html')
    assert 'id="change-plan"' in page and '/home/u/.fetchmailrc' in page and 'file_changed_since_read' in page
    detail = embedded(page)['details'][0]['p']
    assert detail['c'][0][:4] == ['system_tls', 'file', '/etc/ssl/openssl.cnf', 'modify']
    assert '-MinProtocol = TLSv1\n+MinProtocol = TLSv1.2' in detail['c'][0][5]
    md = read(dest, 'summary.md')
    assert '## Change plan' in md and '| system\\_tls | file | /etc/ssl/openssl.cnf | modify |' in md
    assert 'postfix on 3 host(s)' in md
    lines = writer.console_summary(result, dest)
    assert any('change plan: ' in line and '3 host(s) with changes' in line for line in lines)
    assert any('2 would change' in line and '1 blocked by a guard' in line for line in lines)


def test_no_plan_no_section(fleet):
    dest, result, _hosts, _hv, _expected = fleet
    assert not os.path.exists(os.path.join(dest, 'change-plan.json'))
    assert 'id="change-plan"' not in read(dest, 'index.html')
    assert '## Change plan' not in read(dest, 'summary.md')
    assert 'change_plan' not in result['report']


def test_streaming_never_mutates_the_input(tmp_path):
    hosts, hostvars, _expected = fleet_data.make_fleet({'legacy': 2, 'pinned': 1})
    before = json.dumps(hostvars, sort_keys=True)
    write(tmp_path, hosts, hostvars)
    assert json.dumps(hostvars, sort_keys=True) == before


def test_stream_aborts_cleanly(tmp_path):
    out = str(tmp_path / 'x')
    os.makedirs(out)
    rs = stream.ReportStream(out, views=[{'name': 'v', 'query': 'length(@)'}])
    rs.add('a', {})
    rs.abort()
    assert os.listdir(out) == ['views'] and os.listdir(os.path.join(out, 'views')) == []
