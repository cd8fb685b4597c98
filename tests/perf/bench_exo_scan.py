# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (not a test): the exo_scripts scan path against ``grep -rliE`` on the same tree.

Builds a tree of 20,000 files / about 100 MB (scripts, logs, configs, binaries) with a few dozen
legacy Exchange Online scripts, then times:

- ours: the exo_script_files walker with the engine's prefilter (what runs on a host), then
  decode + scan by the engine for the candidates only (what runs on the controller);
- grep: ``grep -rliE <the same prefilter patterns>`` over the tree (LC_ALL=C, the fast locale).

Each side runs once to warm the page cache, then ``--repeat`` times; the median is reported.
Prints the ratio ours/grep and peak memory (tracemalloc peak of the scan, and the process's
maximum resident set size).

Then adversarial single files go through the engine (scan and migrate): 1,000 to 20,000 nested
``{`` (script blocks, if blocks, hashtables, an unclosed run) and 1,000 to 8,000 ``New-PSSession``
lines (distinct and reused variable names). Each row prints the time and the growth ratio against
the previous size: with a linear analysis the ratio follows the size ratio (2.0 here), a quadratic one
would give 4.0. Nothing is asserted.

    .venv/bin/python tests/perf/bench_exo_scan.py [--files 20000] [--megabytes 100] [--legacy 36] [--repeat 3] [--keep]
    .venv/bin/python tests/perf/bench_exo_scan.py --adversarial-only
"""
from __future__ import absolute_import, division, print_function

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


sys.path.insert(0, os.path.join(REPO, 'tests'))
from harness.collection_root import COLLECTIONS_ROOT  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

from ansible_collections.mailtls.remediation.plugins.plugin_utils.exo_target import exo_script_files as walker  # noqa: E402
from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo as engine  # noqa: E402

LEGACY_TEMPLATES = [
    "$cred = Get-Credential\n$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri "
    "https://outlook.office365.com/powershell-liveid/ -Credential $cred -Authentication Basic -AllowRedirection\n"
    "Import-PSSession $Session -DisableNameChecking\nGet-Mailbox -ResultSize Unlimited | Export-Csv out.csv\nRemove-PSSession $Session\n",
    "Connect-ExchangeOnline -UserPrincipalName admin@contoso.onmicrosoft.com -UseRPSSession\nGet-Mailbox | Select-Object Name\n",
    "$p = @{ ConfigurationName = 'Microsoft.Exchange'; ConnectionUri = 'https://ps.compliance.protection.outlook.com/powershell-liveid/';"
    " Credential = $c; Authentication = 'Basic'; AllowRedirection = $true }\n$s = New-PSSession @p\nImport-PSSession $s -Prefix cc\n",
    "Import-Module $((Get-ChildItem -Path $($env:LOCALAPPDATA+'\\Apps\\2.0\\') -Filter CreateExoPSSession.ps1 -Recurse).FullName)\n"
    "Connect-EXOPSSession -UserPrincipalName admin@contoso.com\nGet-Mailbox\n",
]
CLEAN_SCRIPT = (
    "param([string]$Path = '.')\n"
    "# housekeeping script %d\n"
    "Get-ChildItem -Path $Path -Filter *.log | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item -WhatIf\n"
)
WORDS = ('alpha beta gamma delta mailbox session exchange connect import server config value status error warning info '
         'request response user group policy transport queue message').split()


def _text(rng, size, first=''):
    out = [first]
    length = len(first)
    while length < size:
        line = ' '.join(rng.choice(WORDS) for dummy in range(12)) + '\n'
        out.append(line)
        length += len(line)
    return ''.join(out)[:size]


def build_tree(root, files, megabytes, legacy, seed=20260101):
    """Returns (files written, bytes written, legacy paths)."""
    rng = random.Random(seed)
    budget = megabytes * 1024 * 1024
    average = budget // files
    kinds = (
        ['ps1'] * 10 + ['psm1'] * 2 + ['noext'] * 3 + ['log'] * 25 + ['txt'] * 15 + ['json'] * 10 +
        ['py'] * 10 + ['html'] * 8 + ['csv'] * 7 + ['bin'] * 10
    )
    legacy_at = set(rng.sample(range(files), legacy))
    legacy_paths = []
    written = 0
    for index in range(files):
        folder = os.path.join(root, 'd%02d' % (index % 40), 's%02d' % ((index // 40) % 12))
        if not os.path.isdir(folder):
            os.makedirs(folder)
        size = max(64, int(rng.expovariate(1.0 / average)))
        if index in legacy_at:
            name = os.path.join(folder, 'legacy_%05d.ps1' % index)
            data = (LEGACY_TEMPLATES[len(legacy_paths) % len(LEGACY_TEMPLATES)] + _text(rng, 2000)).encode('utf-8')
            legacy_paths.append(name)
        else:
            kind = rng.choice(kinds)
            if kind == 'bin':
                name = os.path.join(folder, 'blob_%05d.dll' % index)
                data = b'MZ\x90\x00' + rng.getrandbits(8 * size).to_bytes(size, 'little')
            elif kind == 'noext':
                name = os.path.join(folder, 'tool_%05d' % index)
                data = _text(rng, size, '#!/bin/sh\n').encode('utf-8')
            elif kind in ('ps1', 'psm1'):
                name = os.path.join(folder, 'script_%05d.%s' % (index, kind))
                data = (CLEAN_SCRIPT % index + _text(rng, size)).encode('utf-8')
            else:
                name = os.path.join(folder, 'file_%05d.%s' % (index, kind))
                first = ''
                if kind == 'txt' and rng.random() < 0.02:
                    first = 'notes: the old New-PSSession to outlook.office365.com was retired\n'  # grep hits, not a script
                data = _text(rng, size, first).encode('utf-8')
        with open(name, 'wb') as handle:
            handle.write(data)
        written += len(data)
    return files, written, legacy_paths


def our_scan(root):
    result = walker.scan_paths([root], prefilter=engine.prefilter_patterns())
    legacy = 0
    findings = 0
    for cand in result['candidates']:
        text, dummy = engine.decode_script(cand.pop('data'))
        res = engine.scan(text, path=cand['path'])
        legacy += int(res.get('legacy_remaining') or 0)
        findings += len(res.get('findings', []))
    return result, legacy, findings


def grep_pattern():
    """The engine's prefilter as one POSIX ERE (Unicode dash classes reduced to '-')."""
    pats = []
    for pat in engine.prefilter_patterns():
        pats.append(pat.replace('[-\\u2013\\u2014\\u2015]', '-'))
    return '|'.join('(%s)' % p for p in pats)


def grep_scan(root, pattern):
    proc = subprocess.run(['grep', '-rliE', pattern, root], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, LC_ALL='C'), check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError('grep failed: %s' % proc.stderr.decode('utf-8', 'replace'))
    return proc.stdout.decode('utf-8', 'replace').splitlines()


def timed(func, repeat):
    func()  # warm the page cache and imports
    times = []
    value = None
    for dummy in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


SESSION_LINE = ("$s{i} = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri "
                "https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection\n"
                "Import-PSSession $s{i} -DisableNameChecking\n")
ADVERSARIAL = (
    ('nested & { } blocks', (1000, 2000, 4000, 8000, 16000, 20000), lambda n: '& {\n' * n + 'Get-Mailbox\n' + '}\n' * n),
    ('nested if blocks', (1000, 2000, 4000, 8000, 16000, 20000), lambda n: 'if ($a) {\n' * n + 'Get-Mailbox\n' + '}\n' * n),
    ('nested hashtables', (1000, 2000, 4000, 8000, 16000, 20000), lambda n: '$x = ' + '@{ a = ' * n + '1' + ' }' * n + '\n'),
    ('unclosed {', (1000, 2000, 4000, 8000, 16000, 20000), lambda n: '{' * n),
    ('New-PSSession lines, distinct names', (1000, 2000, 4000, 8000),
     lambda n: ''.join(SESSION_LINE.format(i=i) for i in range(n))),
    ('New-PSSession lines, one name', (1000, 2000, 4000, 8000), lambda n: SESSION_LINE.format(i='') * n),
)


def adversarial():
    """Time scan + migrate of each adversarial file; print the growth ratio between sizes."""
    print('adversarial files (scan + migrate of one file; growth = time ratio to the previous size)')
    for label, sizes, build in ADVERSARIAL:
        previous = None
        for size in sizes:
            text = build(size)
            start = time.perf_counter()
            scanned = engine.scan(text)
            migrated = engine.migrate(text)
            took = time.perf_counter() - start
            bounded = any(f['id'] == 'EXO032' for f in scanned['findings'] + migrated['findings'])
            growth = ('%.2f (size x%.1f)' % (took / previous[1], size / float(previous[0]))) if previous else '-'
            print('  %-38s n=%-6d %8.3f s  growth %-18s %s' % (label, size, took, growth, 'EXO032 (bound)' if bounded else ''))
            sys.stdout.flush()
            previous = (size, took)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--files', type=int, default=20000)
    parser.add_argument('--megabytes', type=int, default=100)
    parser.add_argument('--legacy', type=int, default=36)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--keep', action='store_true', help='keep the generated tree')
    parser.add_argument('--adversarial-only', action='store_true', help='only the adversarial single files')
    opts = parser.parse_args()
    if opts.adversarial_only:
        adversarial()
        return

    root = tempfile.mkdtemp(prefix='exo-bench-')
    try:
        start = time.perf_counter()
        count, size, legacy_paths = build_tree(root, opts.files, opts.megabytes, opts.legacy)
        print('tree: %s  %d files  %.1f MB  %d legacy scripts  (built in %.1f s)' % (
            root, count, size / 1048576.0, len(legacy_paths), time.perf_counter() - start))

        ours_time, (result, legacy, findings) = timed(lambda: our_scan(root), opts.repeat)
        pattern = grep_pattern()
        grep_time, grep_hits = timed(lambda: grep_scan(root, pattern), opts.repeat)

        tracemalloc.start()
        our_scan(root)
        dummy, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        found = set(c['path'] for c in result['candidates'])
        print('ours: %.3f s  walked %d, read %d files (%.1f MB), %d candidates parsed, %d legacy connections, %d findings' % (
            ours_time, result['files_walked'], result['files_scanned'], result['bytes_scanned'] / 1048576.0,
            len(result['candidates']), legacy, findings))
        print('grep: %.3f s  %d files matched (grep -rliE, LC_ALL=C, same patterns, all files)' % (grep_time, len(grep_hits)))
        print('legacy scripts found by ours: %d of %d' % (len(found.intersection(legacy_paths)), len(legacy_paths)))
        print('RATIO ours/grep: %.2f' % (ours_time / grep_time if grep_time else float('inf')))
        print('peak memory: tracemalloc %.1f MB during one scan; process max RSS %.1f MB' % (traced_peak / 1048576.0, maxrss_kb / 1024.0))
    finally:
        if opts.keep:
            print('kept %s' % root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    adversarial()


if __name__ == '__main__':
    main()
