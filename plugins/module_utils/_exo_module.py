# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: decisions for the exo_module module (ExchangeOnlineManagement V3 installed where scripts run).

PowerShell only reads and installs; this file decides. Both implementations (``exo_module.py``
with ``pwsh`` on Linux, ``exo_module.ps1`` on Windows) gather the same *probe* document::

    {"powershell": {"version": "7.4.6", "edition": "Core"},
     "powershellget": "2.2.5",
     "modules": [{"name": "ExchangeOnlineManagement", "version": "3.5.0", "prerelease": "", "path": "..."}],
     "repositories": [{"name": "PSGallery", "source": "...", "trusted": false}],
     "clickonce": ["C:\\\\Users\\\\bob\\\\AppData\\\\Local\\\\Apps\\\\2.0\\\\...\\\\Microsoft.Exchange.Management.ExoPowershellModule.dll"]}

``plan()`` turns a probe into what to do. The Windows module cannot call Python, so it applies the
same rule (installed version >= minimum, prereleases only when allowed); the unit tests of this
file pin that rule down with outputs recorded from both kinds of host.

Standard library only: this runs on target hosts (Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import tempfile
import zipfile
from xml.etree import ElementTree

MODULE_NAME = 'ExchangeOnlineManagement'
BEGIN = '<<MAILTLS-EXO-BEGIN>>'
END = '<<MAILTLS-EXO-END>>'
DEFAULT_MINIMUM = '3.2.0'
LAST_FOR_PWSH72 = '3.4.0'
LINUX_ALLUSERS_MODULES = '/usr/local/share/powershell/Modules'
LINUX_CURRENTUSER_MODULES = '~/.local/share/powershell/Modules'
NUPKG_METADATA = ('[Content_Types].xml',)
NUPKG_METADATA_DIRS = ('_rels/', 'package/')

_VERSION_RE = re.compile(r'^\s*v?(\d+(?:\.\d+){0,3})(?:-([0-9A-Za-z.\-]+))?\s*$')


class ProbeError(Exception):
    """PowerShell did not return a usable probe or result document."""


class ModuleVersion(object):
    """A PowerShell module version: up to four numbers plus an optional prerelease label."""

    __slots__ = ('release', 'prerelease', 'text')

    def __init__(self, text, prerelease=''):
        match = _VERSION_RE.match(str(text))
        if not match:
            raise ValueError('not a module version: %r' % (text,))
        numbers = [int(n) for n in match.group(1).split('.')]
        self.release = tuple(numbers + [0] * (4 - len(numbers)))
        self.prerelease = (prerelease or match.group(2) or '').strip()
        core = '.'.join(str(n) for n in numbers)
        self.text = core + ('-' + self.prerelease if self.prerelease else '')

    def _key(self):
        # a release sorts after its prereleases: 3.9.1-Preview1 < 3.9.1
        return (self.release, 0 if self.prerelease else 1, self.prerelease.lower())

    def __lt__(self, other):
        return self._key() < other._key()

    def __le__(self, other):
        return self._key() <= other._key()

    def __gt__(self, other):
        return self._key() > other._key()

    def __ge__(self, other):
        return self._key() >= other._key()

    def __eq__(self, other):
        return isinstance(other, ModuleVersion) and self._key() == other._key()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return 'ModuleVersion(%r)' % self.text

    def __str__(self):
        return self.text


def _as_list(value):
    """ConvertTo-Json turns one-element arrays into objects and empty ones into null."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def parse_marked_json(stdout):
    """The JSON document PowerShell printed between BEGIN and END (banners and warnings around it are ignored)."""
    text = stdout or ''
    start = text.rfind(BEGIN)
    if start < 0:
        raise ProbeError('PowerShell printed no result (marker missing)')
    end = text.find(END, start)
    if end < 0:
        raise ProbeError('PowerShell result is truncated (end marker missing)')
    body = text[start + len(BEGIN):end].strip()
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ProbeError('PowerShell result is not JSON: %s' % exc)


def normalise_probe(doc):
    """Fill defaults and fix ConvertTo-Json's array flattening; keeps unknown keys."""
    if not isinstance(doc, dict):
        raise ProbeError('probe document is not an object')
    probe = dict(doc)
    shell = probe.get('powershell') or {}
    probe['powershell'] = {'version': str(shell.get('version') or ''), 'edition': str(shell.get('edition') or '')}
    probe['powershellget'] = str(probe.get('powershellget') or '')
    modules = []
    for item in _as_list(probe.get('modules')):
        if not isinstance(item, dict) or not item.get('version'):
            continue
        if str(item.get('name') or MODULE_NAME).lower() != MODULE_NAME.lower():
            continue
        modules.append({'name': MODULE_NAME, 'version': str(item['version']), 'prerelease': str(item.get('prerelease') or ''),
                        'path': str(item.get('path') or '')})
    probe['modules'] = modules
    probe['repositories'] = [r for r in _as_list(probe.get('repositories')) if isinstance(r, dict)]
    probe['clickonce'] = [str(p) for p in _as_list(probe.get('clickonce')) if p]
    return probe


def parse_probe(stdout):
    return normalise_probe(parse_marked_json(stdout))


def module_version(entry):
    return ModuleVersion(entry['version'], entry.get('prerelease', ''))


def installed_versions(probe):
    """Installed versions, newest first, as strings (prerelease label included)."""
    seen = []
    for entry in probe.get('modules', []):
        try:
            version = module_version(entry)
        except ValueError:
            continue
        if version not in seen:
            seen.append(version)
    return [str(v) for v in sorted(seen, reverse=True)]


def _shell_version(probe):
    try:
        return ModuleVersion(probe['powershell']['version'])
    except (KeyError, ValueError):
        return None


def plan(probe, minimum_version=DEFAULT_MINIMUM, allow_prerelease=False, state='present', source=None, offline_version=None):
    """What to do about ExchangeOnlineManagement on this host.

    Returns ``{'action': 'none'|'install'|'fail', 'reason', 'satisfied_by', 'maximum_version', 'warnings'}``;
    ``maximum_version`` caps a repository install when the newest release would not load on this host.
    ``source`` is ``'repository'`` or ``'nupkg'``; ``offline_version`` the version inside the .nupkg.
    """
    minimum = ModuleVersion(minimum_version)
    warnings = []
    result = {'action': 'none', 'reason': '', 'satisfied_by': None, 'maximum_version': None, 'warnings': warnings}

    usable = []
    for entry in probe.get('modules', []):
        try:
            version = module_version(entry)
        except ValueError:
            warnings.append('ignoring an installed copy with an unreadable version %r at %s' % (entry.get('version'), entry.get('path')))
            continue
        if version.prerelease and not allow_prerelease:
            continue
        usable.append(version)
    best = max(usable) if usable else None
    if best is not None and best >= minimum:
        result['satisfied_by'] = str(best)

    old = [v for v in installed_versions(probe) if ModuleVersion(v) < ModuleVersion('3.0.0')]
    if old:
        warnings.append('ExchangeOnlineManagement before 3.0.0 is still installed (%s); it depends on Remote PowerShell for many cmdlets' % ', '.join(old))
    if probe.get('clickonce'):
        warnings.append('the retired V1 ClickOnce "Exchange Online Remote PowerShell Module" is still present for %d profile(s); '
                        'scripts that load it with Connect-EXOPSSession no longer work' % len(probe['clickonce']))

    shell = _shell_version(probe)
    edition = probe.get('powershell', {}).get('edition', '')
    core_before_74 = edition == 'Core' and shell is not None and shell < ModuleVersion('7.4')
    if edition == 'Core' and shell is not None and shell < ModuleVersion('7.2'):
        return _fail(result, 'PowerShell %s is too old for ExchangeOnlineManagement V3 (needs 7.2 or later, 7.4 for 3.5.0 and later)' % shell)
    if edition == 'Desktop' and shell is not None and shell < ModuleVersion('5.1'):
        return _fail(result, 'Windows PowerShell %s is too old; ExchangeOnlineManagement needs 5.1' % shell)

    if result['satisfied_by']:
        if core_before_74 and ModuleVersion(result['satisfied_by']) >= ModuleVersion('3.5.0'):
            warnings.append('ExchangeOnlineManagement %s is installed but needs PowerShell 7.4; this host has %s' % (result['satisfied_by'], shell))
        result['reason'] = '%s is installed' % result['satisfied_by']
        return result
    if state == 'query':
        result['reason'] = 'not installed at version %s or later' % minimum
        return result

    if source == 'nupkg':
        if offline_version is None:
            return _fail(result, 'the offline package has no readable version')
        offline = ModuleVersion(offline_version)
        if offline.prerelease and not allow_prerelease:
            return _fail(result, 'the offline package is a prerelease (%s); set allow_prerelease to use it' % offline)
        if offline < minimum:
            return _fail(result, 'the offline package holds %s, below the minimum %s' % (offline, minimum))
        if core_before_74 and offline >= ModuleVersion('3.5.0'):
            return _fail(result, 'ExchangeOnlineManagement %s needs PowerShell 7.4 or later; this host has %s' % (offline, shell))
    elif core_before_74:
        if minimum >= ModuleVersion('3.5.0'):
            return _fail(result, 'ExchangeOnlineManagement %s needs PowerShell 7.4 or later; this host has %s' % (minimum, shell))
        # the newest release would not load here: cap the install at the last version for PowerShell 7.2/7.3
        result['maximum_version'] = LAST_FOR_PWSH72
    result['action'] = 'install'
    result['reason'] = ('newest installed is %s, below %s' % (best, minimum)) if best else 'ExchangeOnlineManagement %s or later is not installed' % minimum
    return result


def _fail(result, reason):
    result['action'] = 'fail'
    result['reason'] = reason
    return result


def repository_known(probe, name):
    return any(str(r.get('name', '')).lower() == name.lower() for r in probe.get('repositories', []))


# --- offline .nupkg -------------------------------------------------------------------------------

def _local(tag):
    return tag.rsplit('}', 1)[-1]


def nupkg_metadata(path):
    """``{'id', 'version', 'prerelease'}`` from the .nuspec inside a .nupkg (a zip file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            specs = [n for n in archive.namelist() if n.endswith('.nuspec') and '/' not in n]
            if not specs:
                raise ProbeError('%s has no .nuspec; is it a NuGet package?' % path)
            root = ElementTree.fromstring(archive.read(specs[0]))
    except (zipfile.BadZipfile, IOError, OSError) as exc:
        raise ProbeError('cannot read %s: %s' % (path, exc))
    except ElementTree.ParseError as exc:
        raise ProbeError('%s has an unreadable .nuspec: %s' % (path, exc))
    values = {}
    for element in root.iter():
        name = _local(element.tag)
        if name in ('id', 'version') and name not in values and element.text:
            values[name] = element.text.strip()
    if 'id' not in values or 'version' not in values:
        raise ProbeError('%s: .nuspec lacks id or version' % path)
    version = ModuleVersion(values['version'])
    return {'id': values['id'], 'version': str(version), 'prerelease': version.prerelease}


def pick_nupkg(path):
    """``path`` itself, or the newest ExchangeOnlineManagement .nupkg in the directory ``path``."""
    if not os.path.isdir(path):
        return path
    found = []
    for name in os.listdir(path):
        if name.lower().startswith(MODULE_NAME.lower() + '.') and name.lower().endswith('.nupkg'):
            full = os.path.join(path, name)
            try:
                found.append((ModuleVersion(nupkg_metadata(full)['version']), full))
            except (ProbeError, ValueError):
                continue
    if not found:
        raise ProbeError('no %s .nupkg in %s' % (MODULE_NAME, path))
    return max(found)[1]


def module_folder(modules_root, version_text):
    """Where PowerShellGet puts a version: the numeric part only (prereleases share the folder)."""
    numeric = str(version_text).split('-', 1)[0]
    return os.path.join(modules_root, MODULE_NAME, numeric)


def extract_nupkg(path, modules_root):
    """Unpack a module .nupkg the way Install-Module lays it out; atomic per version folder. Returns the folder."""
    meta = nupkg_metadata(path)
    if meta['id'].lower() != MODULE_NAME.lower():
        raise ProbeError('%s holds %s, not %s' % (path, meta['id'], MODULE_NAME))
    dest = module_folder(modules_root, meta['version'])
    parent = os.path.dirname(dest)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    staging = tempfile.mkdtemp(prefix='.%s.' % os.path.basename(dest), dir=parent)
    try:
        with zipfile.ZipFile(path) as archive:
            base = os.path.realpath(staging)
            for info in archive.infolist():
                name = info.filename
                if name in NUPKG_METADATA or (name.endswith('.nuspec') and '/' not in name) or name.startswith(NUPKG_METADATA_DIRS):
                    continue
                rel = _unquote(name).replace('\\', '/')
                target = os.path.realpath(os.path.join(staging, *[p for p in rel.split('/') if p]))
                if target != base and not target.startswith(base + os.sep):
                    raise ProbeError('%s: entry %r would be written outside the module folder' % (path, name))
                if name.endswith('/'):
                    if not os.path.isdir(target):
                        os.makedirs(target, 0o755)
                    continue
                if not os.path.isdir(os.path.dirname(target)):
                    os.makedirs(os.path.dirname(target), 0o755)
                with archive.open(info) as source, open(target, 'wb') as sink:
                    shutil.copyfileobj(source, sink)
                os.chmod(target, 0o644)
        os.chmod(staging, 0o755)
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def _unquote(name):
    try:
        from urllib.parse import unquote
    except ImportError:  # pragma: no cover
        from urllib import unquote  # pylint: disable=no-name-in-module
    return unquote(name)


def linux_modules_root(scope):
    if scope == 'AllUsers':
        return LINUX_ALLUSERS_MODULES
    return os.path.expanduser(LINUX_CURRENTUSER_MODULES)


# --- PowerShell run by pwsh on Linux hosts -------------------------------------------------------

PROBE_SCRIPT = r'''
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$mods = @(Get-Module -ListAvailable -Name ExchangeOnlineManagement | ForEach-Object {
    $pre = ''
    if ($_.PrivateData -and $_.PrivateData.PSData -and $_.PrivateData.PSData.Prerelease) { $pre = [string]$_.PrivateData.PSData.Prerelease }
    [ordered]@{ name = $_.Name; version = $_.Version.ToString(); prerelease = $pre; path = $_.ModuleBase }
})
$psget = Get-Module -ListAvailable -Name PowerShellGet | Sort-Object -Property Version -Descending | Select-Object -First 1
$repos = @()
try {
    $repos = @(Get-PSRepository -ErrorAction Stop | ForEach-Object {
        [ordered]@{ name = $_.Name; source = [string]$_.SourceLocation; trusted = ($_.InstallationPolicy -eq 'Trusted') }
    })
} catch { $repos = @() }
$psgetVersion = ''
if ($psget) { $psgetVersion = $psget.Version.ToString() }
$doc = [ordered]@{
    powershell = [ordered]@{ version = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition }
    powershellget = $psgetVersion
    modules = $mods
    repositories = $repos
    clickonce = @()
}
'<<MAILTLS-EXO-BEGIN>>'
$doc | ConvertTo-Json -Depth 5 -Compress
'<<MAILTLS-EXO-END>>'
'''

INSTALL_SCRIPT = r'''
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$status = 'ok'
$message = ''
try {
    $repo = $env:MAILTLS_EXO_REPOSITORY
    if ($env:MAILTLS_EXO_REPOSITORY_URL) {
        if (-not (Get-PSRepository -Name $repo -ErrorAction SilentlyContinue)) {
            Register-PSRepository -Name $repo -SourceLocation $env:MAILTLS_EXO_REPOSITORY_URL -InstallationPolicy Trusted
        }
    }
    $params = @{
        Name = 'ExchangeOnlineManagement'
        MinimumVersion = $env:MAILTLS_EXO_MINIMUM
        Repository = $repo
        Scope = $env:MAILTLS_EXO_SCOPE
        Force = $true
        AllowClobber = $true
    }
    if ($env:MAILTLS_EXO_MAXIMUM) { $params.MaximumVersion = $env:MAILTLS_EXO_MAXIMUM }
    if ($env:MAILTLS_EXO_PRERELEASE -eq '1') { $params.AllowPrerelease = $true }
    if ($env:MAILTLS_EXO_SKIP_PUBLISHER_CHECK -eq '1') { $params.SkipPublisherCheck = $true }
    Install-Module @params
} catch {
    $status = 'error'
    $message = $_.Exception.Message
}
'<<MAILTLS-EXO-BEGIN>>'
[ordered]@{ status = $status; error = $message } | ConvertTo-Json -Compress
'<<MAILTLS-EXO-END>>'
'''


def install_environment(repository, repository_url, minimum_version, scope, allow_prerelease, skip_publisher_check, maximum_version=None):
    """Values for INSTALL_SCRIPT, passed as environment variables so nothing is spliced into PowerShell code."""
    return {
        'MAILTLS_EXO_REPOSITORY': repository,
        'MAILTLS_EXO_REPOSITORY_URL': repository_url or '',
        'MAILTLS_EXO_MINIMUM': str(minimum_version),
        'MAILTLS_EXO_MAXIMUM': str(maximum_version or ''),
        'MAILTLS_EXO_SCOPE': scope,
        'MAILTLS_EXO_PRERELEASE': '1' if allow_prerelease else '0',
        'MAILTLS_EXO_SKIP_PUBLISHER_CHECK': '1' if skip_publisher_check else '0',
    }


def parse_install_result(stdout, stderr=''):
    """``(ok, message)`` from INSTALL_SCRIPT's output."""
    try:
        doc = parse_marked_json(stdout)
    except ProbeError as exc:
        return False, '%s; stderr: %s' % (exc, (stderr or '').strip()[-2000:])
    if not isinstance(doc, dict):
        return False, 'unexpected install result %r' % (doc,)
    if doc.get('status') == 'ok':
        return True, ''
    return False, str(doc.get('error') or 'Install-Module failed')
