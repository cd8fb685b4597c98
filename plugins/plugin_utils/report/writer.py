# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write one run's report into the report directory, keep the history of runs, print the PDF.

Controller side only.  Layout of the report directory ``dest`` (``keep_runs`` > 0)::

    dest/runs/<run id>/     every file of one run (run id: UTC time, 20261202T180212Z)
    dest/latest             symbolic link to runs/<newest run id>
    dest/index.html, ...    the newest run's files again (hard links), so dest/ always shows the latest report
    dest/history.json       the kept runs and their totals, oldest first

With ``keep_runs`` = 0 the files are written straight into ``dest`` and no history is kept.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import tempfile
from urllib.request import pathname2url

from ansible_collections.mailtls.remediation.plugins.plugin_utils._files import write_text_atomic
from ansible_collections.mailtls.remediation.plugins.plugin_utils.report import model, stream

FORMATS = tuple(stream.FILES)
DEFAULT_FORMATS = ('json', 'csv', 'junit', 'markdown', 'html')
RUN_ID = re.compile(r'^\d{8}T\d{6}Z(-\d+)?$')
RUN_FILE = 'run.json'
HISTORY_FILE = 'history.json'
# Files of a run that are linked at the top of the report directory.
PUBLISHED = tuple(stream.FILES.values()) + (stream.PLAN_FILE, stream.OUTCOMES_FILE, RUN_FILE)


def run_id_for(generated_at):
    digits = re.sub(r'[^0-9]', '', generated_at or '')[:14]
    if len(digits) < 14:
        digits = re.sub(r'[^0-9]', '', model.utc_now())[:14]
    return '%sT%sZ' % (digits[:8], digits[8:14])


def _run_sort_key(run_id):
    base, _sep, seq = run_id.partition('-')
    return (base, int(seq or 0))


def list_runs(runs_dir):
    """Run ids under ``runs_dir``, oldest first (only real directories named like a run)."""
    try:
        names = os.listdir(runs_dir)
    except OSError:
        return []
    runs = [n for n in names if RUN_ID.match(n) and os.path.isdir(os.path.join(runs_dir, n)) and not os.path.islink(os.path.join(runs_dir, n))]
    return sorted(runs, key=_run_sort_key)


def _new_run_dir(runs_dir, generated_at):
    base = run_id_for(generated_at)
    for seq in range(0, 1000):
        run_id = base if not seq else '%s-%d' % (base, seq + 1)
        path = os.path.join(runs_dir, run_id)
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return run_id, path
    raise OSError('no free run directory name under %s for %s' % (runs_dir, base))


def _load_json(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def load_outcomes(run_dir):
    """host name -> verdict (None when the host had no posture) of a kept run, or None when unreadable."""
    data = _load_json(os.path.join(run_dir, stream.OUTCOMES_FILE))
    if not isinstance(data, dict) or not isinstance(data.get('hosts'), dict):
        return None
    out = {}
    for name, value in data['hosts'].items():
        out[name] = value[1] if isinstance(value, list) and len(value) > 1 else None
    return out


def _link_or_copy(src, dst):
    """Put ``src`` at ``dst`` atomically: a hard link where the file system allows it, else a copy."""
    directory = os.path.dirname(dst)
    tmp = os.path.join(directory, '.%s.%d.link' % (os.path.basename(dst), os.getpid()))
    if os.path.lexists(tmp):
        os.unlink(tmp)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def _symlink(target, path):
    tmp = '%s.%d.tmp' % (path, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    os.replace(tmp, path)


def publish(dest, run_dir, run_id, files):
    """Make ``run_dir`` the latest run: ``latest`` link and the top-level copies of its files."""
    produced = set(files)
    for name in PUBLISHED:
        top = os.path.join(dest, name)
        if name in produced or name in (stream.OUTCOMES_FILE, RUN_FILE):
            src = os.path.join(run_dir, name)
            if os.path.exists(src):
                _link_or_copy(src, top)
                continue
        if os.path.lexists(top) and not os.path.isdir(top):
            os.unlink(top)
    views_top = os.path.join(dest, 'views')
    views_run = os.path.join(run_dir, 'views')
    wanted = set(os.listdir(views_run)) if os.path.isdir(views_run) else set()
    if wanted:
        os.makedirs(views_top, exist_ok=True)
        for name in wanted:
            _link_or_copy(os.path.join(views_run, name), os.path.join(views_top, name))
    if os.path.isdir(views_top) and not os.path.islink(views_top):
        for name in os.listdir(views_top):
            if name.endswith('.json') and name not in wanted:
                os.unlink(os.path.join(views_top, name))
    _symlink(os.path.join('runs', run_id), os.path.join(dest, 'latest'))


def prune(runs_dir, keep, current):
    """Remove the oldest runs beyond ``keep`` (never the current one); returns the ids removed."""
    runs = list_runs(runs_dir)
    removed = []
    excess = len(runs) - keep
    for run_id in runs:
        if excess <= 0:
            break
        if run_id == current:
            continue
        shutil.rmtree(os.path.join(runs_dir, run_id), ignore_errors=True)
        removed.append(run_id)
        excess -= 1
    return removed


def find_chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        path = shutil.which(name)
        if path:
            return path
    return None


def write_pdf(html_path, pdf_path, chromium=None, timeout=300):
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (a new, throw-away profile each time)."""
    chromium = chromium or find_chromium()
    if not chromium:
        raise ValueError('the pdf format needs Chromium on the controller (Debian: apt-get install chromium); none was found on PATH')
    profile = tempfile.mkdtemp(prefix='mailtls-pdf-')
    tmp = pdf_path + '.part'
    cmd = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--user-data-dir=%s' % profile, '--no-pdf-header-footer',
           '--print-to-pdf=%s' % tmp, 'file://' + pathname2url(os.path.abspath(html_path))]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False,
                              universal_newlines=True, env=dict(os.environ, HOME=profile))
        ok = os.path.exists(tmp) and os.path.getsize(tmp) > 0
        if ok:
            with open(tmp, 'rb') as handle:
                ok = handle.read(5) == b'%PDF-'
        if proc.returncode != 0 or not ok:
            raise ValueError('Chromium could not print %s to PDF (exit %s): %s' % (html_path, proc.returncode, (proc.stderr or '')[-1500:]))
        os.replace(tmp, pdf_path)
    except subprocess.TimeoutExpired as exc:
        raise ValueError('Chromium did not print %s to PDF within %d s' % (html_path, timeout)) from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return pdf_path


def _same_run(runs_dir, earlier, started_at):
    """The kept run that this playbook run already wrote (same start time), if any."""
    if not started_at:
        return None
    for old in reversed(earlier):
        info = _load_json(os.path.join(runs_dir, old, RUN_FILE))
        if isinstance(info, dict) and info.get('started_at') == started_at:
            return old
    return None


def write_report(dest, hosts, get_vars, wanted=DEFAULT_FORMATS, title='Mail TLS posture', run=None, views=None, max_evidence=5,
                 keep_runs=10, pretty_json=False, generated_at=None, chromium=None, pdf_timeout=300):
    """Write the report of ``hosts`` (``get_vars(name)`` -> that host's variables) into ``dest``.

    A playbook run that writes its report more than once (``remediate`` after every batch) passes the
    same ``run['started_at']`` each time: the report of that run is rewritten in place, so it stays one
    kept run and compares itself with the run before it.

    Returns a dict: ``dir`` (where this run's files are), ``run_id``, ``files`` (absolute paths),
    ``report`` (the header with totals, comparison and change-plan summary), ``plan`` (aggregate),
    ``history`` (the kept runs), ``removed_runs``.
    """
    if keep_runs < 0:
        raise ValueError('keep_runs must be 0 (no history) or more, not %d' % keep_runs)
    generated_at = generated_at or model.utc_now()
    os.makedirs(dest, exist_ok=True)
    previous = previous_id = None
    history_runs = []
    run_id = None
    if keep_runs:
        runs_dir = os.path.join(dest, 'runs')
        os.makedirs(runs_dir, exist_ok=True)
        earlier = list_runs(runs_dir)
        run_id = _same_run(runs_dir, earlier, (run or {}).get('started_at'))
        created = not run_id
        if run_id:
            earlier.remove(run_id)
            run_dir = os.path.join(runs_dir, run_id)
        else:
            run_id, run_dir = _new_run_dir(runs_dir, generated_at)
        for old in reversed(earlier):
            previous = load_outcomes(os.path.join(runs_dir, old))
            if previous is not None:
                previous_id = old
                break
        for old in earlier[-(keep_runs - 1):] if keep_runs > 1 else []:
            info = _load_json(os.path.join(runs_dir, old, RUN_FILE))
            if isinstance(info, dict) and isinstance(info.get('by_outcome'), dict):
                history_runs.append(info)
    else:
        run_dir = dest
        created = False
    try:
        writer = stream.ReportStream(run_dir, wanted, title=title, run=run, views=views, max_evidence=max_evidence,
                                     generated_at=generated_at, previous=previous, previous_id=previous_id,
                                     history_runs=history_runs, run_id=run_id, pretty_json=pretty_json)
        for name in model.unique_names(hosts):
            writer.add(name, get_vars(name))
        result = writer.close()
        if 'pdf' in wanted:
            write_pdf(os.path.join(run_dir, stream.FILES['html']), os.path.join(run_dir, stream.FILES['pdf']), chromium=chromium, timeout=pdf_timeout)
        write_text_atomic(os.path.join(run_dir, RUN_FILE), json.dumps(result['this_run'], sort_keys=True) + '\n')
    except BaseException:
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    if keep_runs:
        # a rewritten run: files this write did not produce are not left behind
        produced = set(result['files']) | {stream.OUTCOMES_FILE, RUN_FILE}
        for name in PUBLISHED:
            if name not in produced and os.path.lexists(os.path.join(run_dir, name)):
                os.unlink(os.path.join(run_dir, name))
    removed = []
    history = result['report'].get('run_id') and history_runs + [result['this_run']] or []
    if keep_runs:
        publish(dest, run_dir, run_id, result['files'])
        removed = prune(os.path.join(dest, 'runs'), keep_runs, run_id)
        history = [h for h in history if h.get('id') not in removed]
        write_text_atomic(os.path.join(dest, HISTORY_FILE),
                          json.dumps({'schema': 1, 'latest': run_id, 'runs': history}, sort_keys=True) + '\n')
    result.update(dir=run_dir, run_id=run_id, history=history, removed_runs=removed,
                  files=[os.path.join(run_dir, f) for f in result['files']])
    return result


def write_fleet(dest, fleet, wanted=DEFAULT_FORMATS, **kwargs):
    """Write a report from an in-memory fleet (``model.build_fleet``), without history unless asked: for tests and tools."""
    docs = dict((d['host']['name'], d) for d in fleet['hosts'])

    def get_vars(name):
        doc = docs[name]
        hv = {model.POSTURE_VAR: doc, model.STATUS_VAR: {'status': 'reported', 'msg': doc['run'].get('message', '')}}
        if doc['run']['status'] in ('unreachable', 'failed', 'not_reported'):
            hv = {model.STATUS_VAR: {'status': doc['run']['status'], 'msg': doc['run'].get('message', '')}} if doc['run']['status'] != 'not_reported' else {}
        if doc['run'].get('remediation'):
            hv[model.REMEDIATION_VAR] = doc['run']['remediation']
        return hv
    kwargs.setdefault('keep_runs', 0)
    report = fleet['report']
    kwargs.setdefault('title', report['title'])
    kwargs.setdefault('run', report.get('run'))
    kwargs.setdefault('generated_at', report['generated_at'])
    return write_report(dest, [d['host']['name'] for d in fleet['hosts']], get_vars, wanted, **kwargs)


def console_summary(result, dest):
    """A few lines for the end of a play: hosts per verdict, remediation, comparison, where the files are."""
    report = result['report']
    totals = report['totals']
    parts = ['%s %d' % (model.OUTCOME_LABELS[o].lower(), n) for o, n in totals['by_outcome'].items() if n]
    lines = ['%d host(s): %s' % (totals['hosts'], ', '.join(parts) or 'none')]
    rem = totals.get('remediation') or {}
    if any(rem.get(k) for k in model.REMEDIATION_STATES) or rem.get('with_plan'):
        line = 'remediation: %d changed, %d would change, %d rolled back, %d failed, %d blocked by a guard' % (
            rem.get('changed', 0), rem.get('would_change', 0), rem.get('rolled_back', 0), rem.get('failed', 0), rem.get('blocked_by_guards', 0))
        if rem.get('rollback_failed'):
            line += ', %d whose rollback FAILED' % rem['rollback_failed']
        lines.append(line)
    comp = report.get('comparison')
    if comp:
        c = comp['counts']
        lines.append('since %s: %d newly failing, %d regressed, %d fixed, %d improved, %d unchanged, %d new' % (
            comp['previous'], c['newly_failing'], c['regressed'], c['fixed'], c['improved'], c['unchanged'], c['new']))
    run_dir = result['dir']
    where = os.path.join(dest, 'index.html') if result.get('run_id') else os.path.join(run_dir, 'index.html')
    names = [os.path.basename(f) for f in result['files']]
    if 'index.html' in names:
        lines.append('report: %s' % where)
    else:
        lines.append('report: %s (%s)' % (run_dir, ', '.join(names)))
    if result.get('run_id'):
        lines.append('this run: %s (kept runs: %d)' % (run_dir, len(result.get('history') or [])))
    if stream.PLAN_FILE in names:
        plan = result['plan']
        lines.append('change plan: %s (%d host(s) with changes, %d change(s))' % (
            os.path.join(dest if result.get('run_id') else run_dir, stream.PLAN_FILE), plan['changing_hosts'], plan['changes']))
    return lines
