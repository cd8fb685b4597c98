# -*- coding: utf-8 -*-
"""Load the generated index.html in headless Chromium: totals, sorting, filtering, the host and finding pages, the CSV
export, the history view, printing to PDF (every host on paper) and screenshots into tests/output/artifacts/."""
from __future__ import absolute_import, division, print_function

import csv
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from urllib.parse import quote, urlencode

import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model, writer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ARTIFACTS = os.path.join(REPO, 'tests', 'output', 'artifacts')
PROFILES = os.path.join(REPO, 'build', 'chromium-profiles')
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
# 2,000 hosts
COUNTS = {'compliant': 1300, 'legacy': 460, 'pinned': 130, 'undetermined': 50, 'unreachable': 35, 'failed': 15, 'silent': 10}
# how the previous run differed: (hosts of this kind now, how many, kind in the previous run)
PREVIOUS = [('compliant', 120, 'legacy'), ('legacy', 40, 'compliant'), ('pinned', 30, 'legacy'), ('legacy', 25, 'pinned')]

pytestmark = pytest.mark.usefixtures('require_chromium')


@pytest.fixture(scope='module')
def require_chromium():
    assert CHROMIUM, 'chromium is not installed (hack/bootstrap.sh installs it)'
    return CHROMIUM


def _fleet_data():
    path = os.path.join(REPO, 'tests', 'unit', 'plugins', 'plugin_utils', 'report', 'fleet_data.py')
    spec = importlib.util.spec_from_file_location('mailtls_fleet_data', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chromium(url, profile, *extra):
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--user-data-dir=%s' % profile] + list(extra) + [url]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120, check=False)


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    """Two kept runs of a 2,000-host fleet: the second one (with a PDF) is the report under test."""
    fleet_data = _fleet_data()
    dest = str(tmp_path_factory.mktemp('browser') / 'mailtls-report')
    hosts, hostvars, expected = fleet_data.make_fleet(COUNTS, prefix='mx')
    kinds = fleet_data.kinds_of(COUNTS, prefix='mx')
    old_vars = dict(hostvars)
    used = set()
    for now, count, before in PREVIOUS:
        picked = [n for n in hosts if kinds[n] == now and n not in used][:count]
        used.update(picked)
        for name in picked:
            os_family = 'windows' if hostvars[name].get('ansible_connection') == 'winrm' else 'linux'
            old_vars[name] = dict(hostvars[name], mailtls_posture=fleet_data.make_posture(name, before, os_family))
    old_hosts = hosts[:-10] + ['retired-%d' % i for i in range(5)]
    writer.write_report(dest, old_hosts, old_vars.get, generated_at='2026-01-01T00:00:00Z')
    views = [{'name': 'windows', 'query': "[?host.os_family=='windows'].host.name"}]
    result = writer.write_report(dest, hosts, hostvars.get, wanted=['json', 'csv', 'junit', 'markdown', 'html', 'pdf'], views=views,
                                 run={'limit': 'mail_servers', 'started_at': '2026-01-02T00:00:00Z'}, generated_at='2026-01-02T00:00:00Z')
    fleet = model.build_fleet(hosts, hostvars, views=views)
    old = dict((d['host']['name'], d) for d in model.build_fleet(old_hosts, old_vars)['hosts'])
    changes = {}
    for doc in fleet['hosts']:
        before = old.get(doc['host']['name'])
        prev = False if before is None else (before['verdict']['status'] if model.has_data(before) else None)
        cls = model.compare(prev, doc['verdict']['status'] if model.has_data(doc) else None)
        changes.setdefault(cls, []).append(doc['host']['name'])
    return dest, fleet, expected, result, changes


def selftest(report_dir, **params):
    params['selftest'] = '1'
    url = 'file://%s?%s' % (quote(os.path.join(report_dir, 'index.html')), urlencode(params))
    os.makedirs(PROFILES, exist_ok=True)
    profile = tempfile.mkdtemp(prefix='selftest-', dir=PROFILES)
    try:
        proc = chromium(url, profile, '--virtual-time-budget=15000', '--window-size=1400,1000', '--dump-dom')
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    match = re.search(r'<pre id="selftest-result">(.*?)</pre>', proc.stdout, re.S)
    assert match, 'no self-test result in the DOM; stderr: %s' % proc.stderr[-2000:]
    text = match.group(1).replace('&quot;', '"').replace('&lt;', '<').replace('&gt;', '>').replace('&amp;', '&')
    return json.loads(text)


def test_totals_sorting_filtering_and_detail(report):
    report_dir, fleet, expected, _result, _changes = report
    docs = fleet['hosts']
    names = [d['host']['name'] for d in docs]
    at_risk = sorted((d['host']['name'] for d in docs if model.outcome(d) == 'at_risk'), reverse=True)
    needle = 'mx-012'
    linux_risk = [n for n in at_risk if needle in n and dict((d['host']['name'], d) for d in docs)[n]['host']['os_family'] == 'linux']
    target = at_risk[0]
    result = selftest(report_dir, sort='name', dir='desc', outcome='at_risk', os='linux', q=needle, host=target)

    # totals: the tiles the page shows are the counts of the fleet, and the table starts with every host
    assert result['kpi']['hosts'] == len(names) == result['total']
    for outcome in model.OUTCOMES:
        assert result['kpi'][outcome] == expected.get(outcome, 0), outcome
    assert result['svg_charts'] == 5
    steps = dict((s['step'], s) for s in result['steps'])
    assert steps['initial']['shown'] == len(names)
    # the default order is the most urgent outcome first
    assert steps['initial']['first'][0]['outcome'] == 'will_fail'
    # only the rows in view are in the DOM, not thousands
    assert 0 < steps['initial']['dom_rows'] < 120

    # sorting by host name, descending, through clicks on the column header
    assert [r['name'] for r in steps['sort']['first']] == sorted(names, reverse=True)[:10]
    # filtering by outcome, then OS, then text, through the controls
    assert steps['outcome']['shown'] == expected['at_risk']
    assert [r['name'] for r in steps['outcome']['first']] == at_risk[:10]
    assert all(r['outcome'] == 'at_risk' for r in steps['outcome']['first'])
    linux_at_risk = [d for d in docs if model.outcome(d) == 'at_risk' and d['host']['os_family'] == 'linux']
    assert steps['os']['shown'] == len(linux_at_risk)
    assert steps['q']['shown'] == len(linux_risk)
    assert [r['name'] for r in steps['q']['first']] == linux_risk[:10]
    # scrolling to the end renders the last rows of the filtered list
    assert result['scrolled_last'] == (linux_risk[-1] if linux_risk else None)

    # the per-host panel shows the findings with their evidence and fix
    detail = result['detail']
    assert detail['title'] == target
    doc = dict((d['host']['name'], d) for d in docs)[target]
    assert detail['findings'] == len(doc['findings'])
    assert detail['fixes'] == len([f for f in doc['findings'] if f.get('remediation')])
    assert detail['evidence'] >= 1


def test_scrolling_through_the_whole_fleet(report):
    report_dir, fleet, _expected, _result, _changes = report
    result = selftest(report_dir, sort='name')
    names = sorted(d['host']['name'] for d in fleet['hosts'])
    assert [r['name'] for r in dict((s['step'], s) for s in result['steps'])['sort']['first']] == names[:10]
    assert result['scrolled_last'] == names[-1]
    assert result['scrolled_dom_rows'] < 120


def screenshot(url, shot, cwd, height):
    os.makedirs(ARTIFACTS, exist_ok=True)
    if os.path.exists(shot):
        os.unlink(shot)
    os.makedirs(PROFILES, exist_ok=True)
    profile = tempfile.mkdtemp(prefix='screenshot-', dir=PROFILES)
    try:
        proc = chromium(url, profile, '--virtual-time-budget=10000', '--window-size=1400,%d' % height, '--hide-scrollbars', '--screenshot=%s' % shot)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert os.path.exists(shot), proc.stderr[-2000:]
    with open(shot, 'rb') as handle:
        head = handle.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n'
    width, got = int.from_bytes(head[16:20], 'big'), int.from_bytes(head[20:24], 'big')
    assert (width, got) == (1400, height)
    assert os.path.getsize(shot) > 20000
    print('screenshot: %s' % shot)
    return shot


def test_screenshot_artifact(report):
    report_dir, fleet, _expected, _result, _changes = report
    target = [d['host']['name'] for d in fleet['hosts'] if model.outcome(d) == 'will_fail'][0]
    url = 'file://%s#host=%s' % (quote(os.path.join(report_dir, 'index.html')), quote(target))
    screenshot(url, os.path.join(ARTIFACTS, 'mailtls-report.png'), os.path.dirname(report_dir), 2400)


def test_history_view_compares_with_the_previous_run(report):
    report_dir, _fleet, _expected, result, changes = report
    comp = result['report']['comparison']
    assert comp['previous'] == '20260101T000000Z'
    assert dict((k, v) for k, v in comp['counts'].items() if v) == dict((k, len(v)) for k, v in changes.items())
    assert len(changes['fixed']) == 120 and len(changes['newly_failing']) == 40 and len(changes['regressed']) == 30 and len(changes['improved']) == 25
    assert len(changes['new']) == 10 and comp['removed'] == 5
    # the page filters the host table by change class, as the links in the history table do
    page = selftest(os.path.join(report_dir, 'latest'), change='newly_failing')
    step = dict((s['step'], s) for s in page['steps'])['change']
    assert step['shown'] == len(changes['newly_failing'])
    assert set(r['name'] for r in step['first']) <= set(changes['newly_failing'])
    # links to the kept runs work from latest/ as from the top of the report directory
    assert '../runs/20260101T000000Z/index.html' in page['run_links']
    top = selftest(report_dir)
    assert 'runs/20260101T000000Z/index.html' in top['run_links']
    for href in top['run_links']:
        assert os.path.exists(os.path.join(report_dir, href))
    shot = screenshot('file://%s#view=history' % quote(os.path.join(report_dir, 'index.html')),
                      os.path.join(ARTIFACTS, 'mailtls-report-history.png'), os.path.dirname(report_dir), 1400)
    assert os.path.getsize(shot) > 20000


def test_finding_page_and_csv_export(report):
    report_dir, fleet, expected, _result, _changes = report
    pinned = sorted(d['host']['name'] for d in fleet['hosts'] if any(f['id'] == 'client_pinned_below_tls12' for f in d['findings']))
    page = selftest(report_dir, finding='client_pinned_below_tls12')
    assert page['finding']['title'] == 'client_pinned_below_tls12'
    assert page['finding']['shown'] == len(pinned) == expected['will_fail']
    assert page['finding']['listed'] == len(pinned)
    # the CSV export holds the hosts of the current filter, in the order shown, spreadsheet-safe
    page = selftest(report_dir, outcome='at_risk', sort='name', export='1')
    rows = list(csv.DictReader(io.StringIO(page['csv'])))
    at_risk = sorted(d['host']['name'] for d in fleet['hosts'] if model.outcome(d) == 'at_risk')
    assert [r['host'] for r in rows] == at_risk
    assert all(r['outcome'] == 'at_risk' and r['what_fails'] for r in rows)
    assert set(r['change'] for r in rows) <= set(model.CHANGES)


def test_print_lists_every_host(report):
    """The PDF printed by the report's own writer (headless Chromium) carries every host of the fleet."""
    report_dir, fleet, _expected, result, _changes = report
    names = [d['host']['name'] for d in fleet['hosts']]
    page = selftest(report_dir, print='1')
    assert page['print_rows'] == len(names)
    assert page['print_findings'] == len(fleet['report']['totals']['top_findings'])
    pdf = os.path.join(result['dir'], 'report.pdf')
    assert os.path.samefile(pdf, os.path.join(report_dir, 'report.pdf'))
    import pypdf  # pylint: disable=import-outside-toplevel
    reader = pypdf.PdfReader(pdf)
    pages = len(reader.pages)
    text = '\n'.join(p.extract_text() or '' for p in reader.pages)
    missing = [n for n in names if n not in text]
    print('PDF: %d pages for %d hosts (%s)' % (pages, len(names), pdf))
    assert not missing, '%d host(s) not in the PDF, e.g. %s' % (len(missing), missing[:5])
    # a host row takes at most one line: far more than the two pages a scroll box used to print
    assert pages >= len(names) // 80
    for finding in fleet['report']['totals']['top_findings']:
        assert finding['id'] in text
    os.makedirs(ARTIFACTS, exist_ok=True)
    shutil.copyfile(pdf, os.path.join(ARTIFACTS, 'mailtls-report.pdf'))
