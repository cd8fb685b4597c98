# -*- coding: utf-8 -*-
"""Load the generated index.html in headless Chromium: totals, sorting, filtering, the host panel, and a screenshot."""
from __future__ import absolute_import, division, print_function

import importlib.util
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
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
COUNTS = {'compliant': 1400, 'legacy': 500, 'pinned': 150, 'undetermined': 60, 'unreachable': 40, 'failed': 20, 'silent': 10}

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason='chromium is not installed (hack/bootstrap.sh installs it)')


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
def report():
    fleet_data = _fleet_data()
    hosts, hostvars, expected = fleet_data.make_fleet(COUNTS, prefix='mx')
    fleet = model.build_fleet(hosts, hostvars, run={'limit': 'mail_servers', 'started_at': '2026-01-01T00:00:00Z'},
                              views=[{'name': 'windows', 'query': "[?host.os_family=='windows'].host.name"}])
    tmp = tempfile.mkdtemp(prefix='mailtls-browser-')
    writer.write_report(tmp, fleet)
    yield tmp, fleet, expected
    shutil.rmtree(tmp, ignore_errors=True)


def selftest(report_dir, **params):
    params['selftest'] = '1'
    url = 'file://%s?%s' % (quote(os.path.join(report_dir, 'index.html')), urlencode(params))
    profile = tempfile.mkdtemp(prefix='mailtls-chromium-')
    try:
        proc = chromium(url, profile, '--virtual-time-budget=15000', '--window-size=1400,1000', '--dump-dom')
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    match = re.search(r'<pre id="selftest-result">(.*?)</pre>', proc.stdout, re.S)
    assert match, 'no self-test result in the DOM; stderr: %s' % proc.stderr[-2000:]
    text = match.group(1).replace('&quot;', '"').replace('&lt;', '<').replace('&gt;', '>').replace('&amp;', '&')
    return json.loads(text)


def test_totals_sorting_filtering_and_detail(report):
    report_dir, fleet, expected = report
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
    assert result['svg_charts'] == 4
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
    report_dir, fleet, _expected = report
    result = selftest(report_dir, sort='name')
    names = sorted(d['host']['name'] for d in fleet['hosts'])
    assert [r['name'] for r in dict((s['step'], s) for s in result['steps'])['sort']['first']] == names[:10]
    assert result['scrolled_last'] == names[-1]
    assert result['scrolled_dom_rows'] < 120


def test_screenshot_artifact(report):
    report_dir, fleet, _expected = report
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, 'mailtls-report.png')
    if os.path.exists(shot):
        os.unlink(shot)
    target = [d['host']['name'] for d in fleet['hosts'] if model.outcome(d) == 'will_fail'][0]
    url = 'file://%s#host=%s' % (quote(os.path.join(report_dir, 'index.html')), quote(target))
    profile = tempfile.mkdtemp(prefix='mailtls-chromium-')
    try:
        proc = chromium(url, profile, '--virtual-time-budget=10000', '--window-size=1400,2400', '--hide-scrollbars', '--screenshot=%s' % shot)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert os.path.exists(shot), proc.stderr[-2000:]
    with open(shot, 'rb') as handle:
        head = handle.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n'
    width, height = int.from_bytes(head[16:20], 'big'), int.from_bytes(head[20:24], 'big')
    assert (width, height) == (1400, 2400)
    assert os.path.getsize(shot) > 20000
