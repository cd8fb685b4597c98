# -*- coding: utf-8 -*-
"""Kept runs: dated directories, latest, the comparison with the previous run, the trend, retention."""
from __future__ import absolute_import, division, print_function

import json
import os

import pytest

from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model, writer

import fleet_data


def run(dest, hostvars, hosts=None, when='2026-01-01T00:00:00Z', keep=10, **kwargs):
    hosts = list(hostvars) if hosts is None else hosts
    return writer.write_report(dest, hosts, hostvars.get, generated_at=when, keep_runs=keep, **kwargs)


def reported(name, kind, os_family='linux'):
    return {'mailtls_posture': fleet_data.make_posture(name, kind, os_family), 'tls_inventory_status': {'status': 'reported'}}


def test_compare_classes():
    assert model.compare(False, 'compliant') == 'new'
    assert model.compare('compliant', 'will_fail') == 'newly_failing'
    assert model.compare('unknown', 'at_risk') == 'newly_failing'
    assert model.compare('at_risk', 'will_fail') == 'regressed'
    assert model.compare('compliant', 'unknown') == 'regressed'
    assert model.compare('will_fail', 'compliant') == 'fixed'
    assert model.compare('will_fail', 'at_risk') == 'improved'
    assert model.compare('unknown', 'compliant') == 'improved'
    assert model.compare('at_risk', 'at_risk') == 'unchanged'
    assert model.compare(None, 'compliant') == 'no_data'
    assert model.compare('compliant', None) == 'no_data'


def test_two_runs_compare_and_keep_history(tmp_path):
    dest = str(tmp_path / 'mailtls-report')
    first = {'a': reported('a', 'compliant'), 'b': reported('b', 'legacy'), 'c': reported('c', 'pinned'),
             'd': reported('d', 'compliant'), 'e': reported('e', 'legacy'), 'gone': reported('gone', 'compliant')}
    r1 = run(dest, first, when='2026-01-01T10:00:00Z')
    assert r1['run_id'] == '20260101T100000Z'
    assert 'comparison' not in r1['report']
    second = {'a': reported('a', 'pinned'),          # newly failing
              'b': reported('b', 'compliant'),       # fixed
              'c': reported('c', 'legacy'),          # improved
              'd': reported('d', 'compliant'),       # unchanged
              'e': {'tls_inventory_status': {'status': 'unreachable', 'msg': 'timeout'}},  # not comparable
              'new': reported('new', 'legacy')}     # new
    r2 = run(dest, second, when='2026-01-02T10:00:00Z')
    comp = r2['report']['comparison']
    assert comp['previous'] == '20260101T100000Z'
    assert comp['counts'] == {'newly_failing': 1, 'regressed': 0, 'fixed': 1, 'improved': 1, 'unchanged': 1, 'new': 1, 'no_data': 1}
    assert comp['examples']['newly_failing'] == ['a'] and comp['examples']['fixed'] == ['b']
    assert comp['removed'] == 1 and comp['removed_examples'] == ['gone']

    # layout: dated runs, latest -> newest, the newest also at the top, history.json with both runs
    assert sorted(os.listdir(os.path.join(dest, 'runs'))) == ['20260101T100000Z', '20260102T100000Z']
    assert os.readlink(os.path.join(dest, 'latest')) == os.path.join('runs', '20260102T100000Z')
    for name in ('posture.json', 'index.html', 'summary.md', 'hosts.csv', 'junit.xml'):
        top = os.path.join(dest, name)
        assert os.path.samefile(top, os.path.join(dest, 'latest', name))
        assert not os.path.samefile(top, os.path.join(dest, 'runs', '20260101T100000Z', name))
    history = json.load(open(os.path.join(dest, 'history.json')))
    assert history['latest'] == '20260102T100000Z'
    assert [h['id'] for h in history['runs']] == ['20260101T100000Z', '20260102T100000Z']
    assert history['runs'][1]['by_outcome']['will_fail'] == 1

    # the page and the summary show the comparison and the trend over both runs
    page = open(os.path.join(dest, 'index.html')).read()
    assert 'data-change="newly_failing"' in page and page.count('class="run') >= 2
    assert 'data-run="20260101T100000Z"' in page
    data = json.loads(page.split('<script id="mailtls-data" type="application/json">')[1].split('</script>')[0])
    change = dict((h[0], data['meta']['changes'][h[9]]) for h in data['hosts'])
    assert change == {'a': 'newly_failing', 'b': 'fixed', 'c': 'improved', 'd': 'unchanged', 'e': 'no_data', 'new': 'new'}
    md = open(os.path.join(dest, 'summary.md')).read()
    assert '## Since the previous run (20260101T100000Z)' in md and '| Newly failing | 1 | a |' in md
    assert '## Trend over the kept runs' in md
    lines = writer.console_summary(r2, dest)
    assert any('1 newly failing' in line and '1 fixed' in line for line in lines)
    assert lines[-2].startswith('report: ') and lines[-2].endswith(os.path.join(dest, 'index.html'))
    csv_rows = open(os.path.join(dest, 'hosts.csv')).read().splitlines()
    assert csv_rows[1].startswith('a,will_fail,') and ',newly_failing,' in csv_rows[1]


def test_retention_and_same_second_runs(tmp_path):
    dest = str(tmp_path / 'r')
    hv = {'a': reported('a', 'compliant')}
    ids = [run(dest, hv, when='2026-03-01T00:00:00Z', keep=3)['run_id'] for _attempt in range(3)]
    assert ids == ['20260301T000000Z', '20260301T000000Z-2', '20260301T000000Z-3']
    r4 = run(dest, hv, when='2026-03-01T00:00:01Z', keep=3)
    assert r4['removed_runs'] == ['20260301T000000Z']
    assert writer.list_runs(os.path.join(dest, 'runs')) == ['20260301T000000Z-2', '20260301T000000Z-3', '20260301T000001Z']
    assert [h['id'] for h in json.load(open(os.path.join(dest, 'history.json')))['runs']] == writer.list_runs(os.path.join(dest, 'runs'))
    # the previous run is the newest kept one
    assert r4['report']['comparison']['previous'] == '20260301T000000Z-3'
    # something in runs/ that is not a run is never removed
    os.makedirs(os.path.join(dest, 'runs', 'notes'))
    run(dest, hv, when='2026-03-02T00:00:00Z', keep=1)
    assert sorted(os.listdir(os.path.join(dest, 'runs'))) == ['20260302T000000Z', 'notes']


def test_no_history_writes_flat(tmp_path):
    dest = str(tmp_path / 'flat')
    result = run(dest, {'a': reported('a', 'legacy')}, keep=0)
    assert result['run_id'] is None and result['dir'] == dest
    assert sorted(os.listdir(dest)) == ['hosts.csv', 'index.html', 'junit.xml', 'outcomes.json', 'posture.json', 'run.json', 'summary.md']
    with pytest.raises(ValueError, match='keep_runs'):
        run(dest, {}, keep=-1)


def test_formats_change_between_runs(tmp_path):
    dest = str(tmp_path / 'f')
    hv = {'a': reported('a', 'legacy')}
    hv['a']['tls_remediation_result'] = {'status': 'would_change', 'plan': {'changes': [], 'guards': [], 'restarts': [], 'reboot': False, 'verify': []}}
    run(dest, hv, when='2026-04-01T00:00:00Z', views=[{'name': 'v', 'query': '[].host.name'}])
    assert os.path.exists(os.path.join(dest, 'change-plan.json')) and os.path.exists(os.path.join(dest, 'views', 'v.json'))
    del hv['a']['tls_remediation_result']
    run(dest, hv, when='2026-04-02T00:00:00Z', wanted=['json', 'csv'])
    # files the newest run did not write are not left at the top, where they would pass for the latest
    assert not os.path.exists(os.path.join(dest, 'change-plan.json'))
    assert not os.path.exists(os.path.join(dest, 'index.html'))
    assert os.listdir(os.path.join(dest, 'views')) == []
    assert os.path.exists(os.path.join(dest, 'runs', '20260401T000000Z', 'index.html'))


def test_failed_run_leaves_no_run_directory(tmp_path):
    dest = str(tmp_path / 'x')
    run(dest, {'a': reported('a', 'legacy')}, when='2026-05-01T00:00:00Z')

    def broken(name):
        raise RuntimeError('boom')
    with pytest.raises(RuntimeError):
        writer.write_report(dest, ['a'], broken, generated_at='2026-05-02T00:00:00Z')
    assert writer.list_runs(os.path.join(dest, 'runs')) == ['20260501T000000Z']
    assert os.readlink(os.path.join(dest, 'latest')) == os.path.join('runs', '20260501T000000Z')


def test_a_run_rewritten_after_every_batch_stays_one_run(tmp_path):
    """remediate rewrites the report after each batch with the same start time: one kept run, compared with the one before."""
    dest = str(tmp_path / 'b')
    hv = dict((n, reported(n, 'legacy')) for n in ('a', 'b', 'c'))
    run(dest, hv, when='2026-06-01T00:00:00Z', run={'started_at': '2026-06-01T00:00:00Z'})
    batch = {'started_at': '2026-06-02T00:00:00Z'}
    hv['a'] = reported('a', 'compliant')
    first = run(dest, {'a': hv['a']}, hosts=['a', 'b', 'c'], when='2026-06-02T00:01:00Z', run=batch)
    assert first['report']['comparison']['counts']['fixed'] == 1
    assert first['report']['comparison']['counts']['no_data'] == 2  # b and c not reached yet
    hv['b'] = reported('b', 'compliant')
    hv['c'] = reported('c', 'compliant')
    second = run(dest, hv, when='2026-06-02T00:05:00Z', run=batch)
    assert second['run_id'] == first['run_id'] == '20260602T000100Z'
    assert writer.list_runs(os.path.join(dest, 'runs')) == ['20260601T000000Z', '20260602T000100Z']
    assert second['report']['comparison']['previous'] == '20260601T000000Z'
    assert second['report']['comparison']['counts']['fixed'] == 3
    assert [h['id'] for h in second['history']] == ['20260601T000000Z', '20260602T000100Z']
