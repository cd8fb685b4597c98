# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recorded Windows reads must be reads a real host could have returned.

No Windows host exists here, so the fixtures under tests/unit/data/windows/ are typed in.  This
test rejects the combinations no real build produces: PowerShell versions the build cannot run,
.NET Framework Release numbers of another OS or below what the build ships, a UBR before Windows 10,
an update list on builds the reader does not ask, a read with no WinRM listener to come through.
Each rule is checked against a deliberately impossible read too.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest

DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'windows')

# .NET Framework 4.x Release values and the builds that report them
# (https://learn.microsoft.com/en-us/dotnet/framework/install/how-to-determine-which-versions-are-installed).
# version -> [(release, predicate on (major, minor, build) or None for "all other Windows")]
NDP = {
    '4.5': [(378389, None)],
    '4.5.1': [(378675, lambda v: v[:2] == (6, 3)), (378758, None)],
    '4.5.2': [(379893, None)],
    '4.6': [(393295, lambda v: v[0] == 10), (393297, None)],
    '4.6.1': [(394254, lambda v: v[2] == 10586), (394271, None)],
    '4.6.2': [(394802, lambda v: v[2] == 14393), (394806, None)],
    '4.7': [(460798, lambda v: v[2] == 15063), (460805, None)],
    '4.7.1': [(461308, lambda v: v[2] == 16299), (461310, None)],
    '4.7.2': [(461808, lambda v: v[2] == 17134), (461814, None)],
    '4.8': [(528040, lambda v: v[2] in (18362, 18363)), (528372, lambda v: v[0] == 10 and 19041 <= v[2] <= 19045),
            (528449, lambda v: v[0] == 10 and v[2] >= 20348), (528049, None)],
    '4.8.1': [(533320, lambda v: v[2] in (22621, 22631)), (533509, lambda v: v[2] == 26200), (533325, None)],
}
ORDER = ['4.5', '4.5.1', '4.5.2', '4.6', '4.6.1', '4.6.2', '4.7', '4.7.1', '4.7.2', '4.8', '4.8.1']


def builtin_and_newest(ver):
    """(.NET 4.x version built into the build or None, newest 4.x the build can install)."""
    major, minor, build = ver
    if (major, minor) == (6, 0):
        return None, '4.6'          # 4.6.1 and later need 7 SP1 / 2008 R2 SP1 or newer
    if (major, minor) == (6, 1):
        return None, '4.8'
    if (major, minor) == (6, 2):
        return '4.5', '4.8'
    if (major, minor) == (6, 3):
        return '4.5.1', '4.8'
    table = ((26100, '4.8.1'), (22000, '4.8'), (20348, '4.8'), (18362, '4.8'), (17134, '4.7.2'), (16299, '4.7.1'),
             (15063, '4.7'), (14393, '4.6.2'), (10586, '4.6.1'), (10240, '4.6'))
    for first, version in table:
        if build >= first:
            return version, '4.8.1'
    return '4.6', '4.8.1'


def release_version(release, ver):
    """The .NET version a Release number means on this build, or an error text."""
    for version, rows in NDP.items():
        for number, pred in rows:
            if number == release:
                specific = [p for n, p in rows if p is not None]
                if pred is None and any(p(ver) for p in specific):
                    return None, 'Release %d is what other builds report for .NET %s; this build reports its own number' % (release, version)
                if pred is not None and not pred(ver):
                    return None, 'Release %d is .NET %s as another Windows build reports it' % (release, version)
                return version, None
    return None, 'Release %d is not a documented .NET Framework 4.5+ release' % release


def problems(raw):
    """Why this raw read cannot come from a real host ([] when it can)."""
    out = []
    os_ = raw['os']
    ver = (os_['major'], os_['minor'], os_['build'])
    ps = raw.get('powershell') or {}
    release = (raw.get('dotnet') or {}).get('v4_release')
    # UBR: the CurrentVersion value exists from Windows 10 on (the reader reports null without it)
    if ver[0] < 10 and os_.get('ubr') is not None:
        out.append('UBR %s on a build before Windows 10' % os_.get('ubr'))
    if ver[0] >= 10 and not isinstance(os_.get('ubr'), int):
        out.append('no UBR on Windows 10 or later')
    # PowerShell: WMF 5.1 exists for 7 SP1 / 2008 R2 SP1, 2012, 2012 R2 (version 5.1.14409.x);
    # Windows 10 and later ship 5.1.<build>.<revision>; 2008 SP2 stops at WMF 3.0.
    version = str(ps.get('version') or '')
    if ver[:2] == (6, 0):
        if not version.startswith(('2.', '3.')):
            out.append('PowerShell %s on 2008 SP2 (WMF 3.0 is the newest for it)' % version)
    elif ver[0] == 6:
        if version.startswith('5.1') and not version.startswith('5.1.14409.'):
            out.append('PowerShell %s: WMF 5.1 for %s.%s reports 5.1.14409.x' % (version, ver[0], ver[1]))
        if version.startswith('5.1') and (release is None or release < 379893):
            out.append('PowerShell 5.1 without .NET Framework 4.5.2 or newer (WMF 5.1 requires it)')
    else:
        if not version.startswith('5.1.%d.' % ver[2]):
            out.append('Windows PowerShell %s on build %d (it reports 5.1.%d.x)' % (version, ver[2], ver[2]))
    # .NET Framework Release: a number of this build, not below what it ships, not above what it can run
    builtin, newest = builtin_and_newest(ver)
    if release is None:
        if builtin is not None:
            out.append('.NET Framework %s is part of this build, but no Release was read' % builtin)
    else:
        meaning, error = release_version(release, ver)
        if error:
            out.append(error)
        else:
            if builtin is not None and ORDER.index(meaning) < ORDER.index(builtin):
                out.append('.NET %s (Release %d) is older than the %s this build ships' % (meaning, release, builtin))
            if ORDER.index(meaning) > ORDER.index(newest):
                out.append('.NET %s cannot be installed on this build (newest: %s)' % (meaning, newest))
    # the reader lists updates only on 2008 SP2 .. 2012 R2
    if ver[0] >= 10 and raw.get('hotfixes'):
        out.append('an update list on Windows 10 or later (the reader does not ask there)')
    # .NET 3.5.1 is part of 7 / 2008 R2
    if ver[:2] == (6, 1) and not (raw.get('dotnet') or {}).get('v35_installed'):
        out.append('.NET 3.5.1 missing on 7 / 2008 R2, where it is part of the OS')
    # the read came through WinRM, so a listener exists
    listeners = [item for item in ((raw.get('winrm') or {}).get('listeners') or []) if item.get('enabled', True)]
    if not listeners:
        out.append('no enabled WinRM listener, but the read came through one')
    server = 'server' in str(os_.get('installation_type') or '').lower()
    if server != ('server' in str(os_.get('product_name') or '').lower()):
        out.append('installation type and product name disagree on client/server')
    return out


def fixtures():
    return sorted(f[:-5] for f in os.listdir(DATA) if f.endswith('.json'))


def load(name):
    with open(os.path.join(DATA, name + '.json')) as fh:
        return json.load(fh)


@pytest.mark.parametrize('name', fixtures())
def test_fixture_is_a_possible_read(name):
    assert problems(load(name)) == []


def _change(name, edit):
    raw = copy.deepcopy(load(name))
    edit(raw)
    return problems(raw)


def _set(path, value):
    def edit(raw):
        target = raw
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


@pytest.mark.parametrize('name, edit, expected', [
    ('2008sp2_no_kb4019276', _set(('powershell', 'version'), '5.1.14409.1005'), 'WMF 3.0 is the newest'),
    ('2008r2_default', _set(('dotnet', 'v4_release'), None), 'without .NET Framework 4.5.2'),
    ('win7sp1_default', _set(('powershell', 'version'), '5.1.7601.24546'), '5.1.14409.x'),
    ('2016_default', _set(('dotnet', 'v4_release'), 394806), 'its own number'),
    ('2019_default', _set(('dotnet', 'v4_release'), 461808), 'another Windows build'),
    ('2025_default', _set(('dotnet', 'v4_release'), 528449), 'older than the 4.8.1'),
    ('2022_default', _set(('dotnet', 'v4_release'), 461814), 'older than the 4.8'),
    ('2012r2_default', _set(('dotnet', 'v4_release'), 533325), 'cannot be installed'),
    ('2012r2_default', _set(('os', 'ubr'), 21620), 'UBR'),
    ('win10_default', _set(('os', 'ubr'), None), 'no UBR'),
    ('win11_default', _set(('winrm', 'listeners'), []), 'listener'),
    ('2019_default', _set(('hotfixes',), ['KB3140245']), 'update list'),
    ('2019_default', _set(('powershell', 'version'), '5.1.14393.7259'), 'on build 17763'),
    ('2012_default', _set(('dotnet', 'v4_release'), None), 'part of this build'),
])
def test_an_impossible_read_is_rejected(name, edit, expected):
    found = _change(name, edit)
    assert any(expected in p for p in found), found
