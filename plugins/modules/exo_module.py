#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: exo_module
short_description: Make sure the ExchangeOnlineManagement V3 PowerShell module is installed where scripts run
version_added: 0.1.0
description:
  - Ensures that ExchangeOnlineManagement (the "EXO V3 module", REST based, no Remote PowerShell) of at least
    O(minimum_version) is installed, for all users by default.
  - Installs from a PowerShellGet repository (the PowerShell Gallery or an internal one given by O(repository) and
    O(repository_url)) or, without network access, from an offline C(.nupkg) file given by O(nupkg_path).
  - On Windows (Windows PowerShell 5.1) TLS 1.2 is forced for the session before contacting a repository, as older
    .NET defaults cannot reach the PowerShell Gallery.
  - Reports the installed versions, and leftovers of the retired V1 ClickOnce "Exchange Online Remote PowerShell
    Module" (C(Microsoft.Exchange.Management.ExoPowershellModule.dll) under C(AppData\\Local\\Apps\\2.0) of each
    profile), which are not removed.
  - On Linux the module runs C(pwsh) (PowerShell 7) to read and install. ExchangeOnlineManagement 3.5.0 and later
    need PowerShell 7.4; the module fails with a clear message instead of installing a version that cannot load.
author:
  - mailtls.remediation contributors (@mailtls)
options:
  state:
    description:
      - V(present) installs when no installed version satisfies O(minimum_version).
      - V(query) only reports.
    type: str
    choices: [present, query]
    default: present
  minimum_version:
    description:
      - Lowest acceptable version. The default, 3.2.0, is the first version with REST-based Security & Compliance
        PowerShell (C(Connect-IPPSSession) without Remote PowerShell).
    type: str
    default: 3.2.0
  allow_prerelease:
    description: Whether prerelease versions (for example V(3.9.1-Preview1)) count as installed and may be installed.
    type: bool
    default: false
  scope:
    description: V(AllUsers) installs into the machine-wide module folder, V(CurrentUser) into the connecting user's.
    type: str
    choices: [AllUsers, CurrentUser]
    default: AllUsers
  repository:
    description: Name of the PowerShellGet repository to install from.
    type: str
    default: PSGallery
  repository_url:
    description:
      - Source URL of O(repository). When given and no repository of that name is registered, it is registered
        (C(Register-PSRepository), trusted) before installing.
    type: str
  nupkg_path:
    description:
      - Path on the host of an offline C(ExchangeOnlineManagement.<version>.nupkg), or of a directory holding such
        files (the newest is used). The package is unpacked into the module folder of O(scope) as C(Install-Module)
        would; no repository is contacted.
      - A C(.nupkg) can be downloaded once on a connected machine, for example with C(Save-Package) or from the
        gallery's package download link.
    type: path
  skip_publisher_check:
    description: Pass C(-SkipPublisherCheck) to C(Install-Module) (needed when an older copy was signed differently).
    type: bool
    default: false
  executable:
    description: PowerShell 7 executable to use on Linux hosts (name or path). Ignored on Windows.
    type: str
    default: pwsh
notes:
  - Older versions already installed are left alone; PowerShell loads the newest. Versions before 3.0.0 and ClickOnce
    leftovers are reported as warnings.
  - C(Connect-IPPSSession) (Security & Compliance) is not available in PowerShell 7 on Linux.
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.dual_platform
  - mailtls.remediation.attributes.bytecode_cache
attributes:
  check_mode:
    support: full
    description: Reports whether an installation would happen; nothing is installed or registered.
  diff_mode:
    description: No diff is produced.
    support: none
requirements:
  - Linux targets - PowerShell 7 (C(pwsh)); ExchangeOnlineManagement 3.5.0 and later need PowerShell 7.4 or newer.
  - A PowerShellGet repository the host can reach, or an offline C(.nupkg) (O(nupkg_path)).
seealso:
  - module: mailtls.remediation.exo_scripts
  - name: About the Exchange Online PowerShell module
    description: Release notes and supported operating systems of ExchangeOnlineManagement.
    link: https://learn.microsoft.com/powershell/exchange/exchange-online-powershell-v2
'''

EXAMPLES = r'''
- name: ExchangeOnlineManagement 3.2.0 or later for all users, from the gallery
  mailtls.remediation.exo_module:
    minimum_version: 3.2.0

- name: From an internal repository
  mailtls.remediation.exo_module:
    minimum_version: 3.5.0
    repository: Internal
    repository_url: https://nuget.example.org/api/v2

- name: Offline, from a package copied to the host
  mailtls.remediation.exo_module:
    nupkg_path: 'C:\Packages\ExchangeOnlineManagement.3.7.2.nupkg'

- name: Only report what is installed
  mailtls.remediation.exo_module:
    state: query
  register: exo
'''

RETURN = r'''
action:
  description: What the module decided, V(none), V(install) or V(fail).
  returned: always
  type: str
  sample: install
reason:
  description: Why.
  returned: always
  type: str
  sample: ExchangeOnlineManagement 3.2.0 or later is not installed
installed:
  description: ExchangeOnlineManagement versions installed before the run, newest first.
  returned: always
  type: list
  elements: str
  sample: ['3.5.0', '2.0.5']
installed_after:
  description: Versions installed after the run (the same as RV(installed) when nothing was installed).
  returned: always
  type: list
  elements: str
  sample: ['3.7.2', '3.5.0', '2.0.5']
satisfied_by:
  description: Installed version that satisfies O(minimum_version) after the run, if any.
  returned: always
  type: str
  sample: 3.7.2
minimum_version:
  description: The minimum that was asked for.
  returned: always
  type: str
  sample: 3.2.0
source:
  description: Where an installation came from, V(repository) or V(nupkg).
  returned: always
  type: str
  sample: repository
powershell:
  description: Version and edition (V(Desktop) or V(Core)) of the PowerShell that was used.
  returned: always
  type: dict
  sample: {version: 5.1.17763.6414, edition: Desktop}
clickonce_leftovers:
  description: Files of the retired V1 ClickOnce module found in user profiles (Windows).
  returned: always
  type: list
  elements: str
  sample: ['C:\Users\alice\AppData\Local\Apps\2.0\X1Y2\ABC\micr..tion_0000000000000000_0010.0000_6dd2\Microsoft.Exchange.Management.ExoPowershellModule.dll']
maximum_version:
  description:
    - Upper limit used for a repository install, when the newest release would not load on this host
      (PowerShell 7.2 or 7.3 on Linux cannot load 3.5.0 and later, so 3.4.0 is the most it gets).
  returned: always
  type: str
  sample: 3.4.0
probe:
  description: What was read from PowerShell before any change (versions, paths, repositories, PowerShellGet version).
  returned: always
  type: dict
  sample:
    powershell: {version: 7.4.6, edition: Core}
    powershellget: 2.2.5
    modules: [{name: ExchangeOnlineManagement, version: 3.5.0, prerelease: '', path: /usr/local/share/powershell/Modules/ExchangeOnlineManagement/3.5.0}]
    repositories: [{name: PSGallery, source: 'https://gallery.example.invalid/api/v2', trusted: false}]
    clickonce: []
install_path:
  description: Folder the module was unpacked into (offline installs).
  returned: when a .nupkg was installed
  type: str
  sample: /usr/local/share/powershell/Modules/ExchangeOnlineManagement/3.7.2
'''

import os

from ansible.module_utils.basic import AnsibleModule
# Compiled once per host and kept (see _bytecode_cache): must come before the other module_utils.
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache  # noqa: F401  pylint: disable=unused-import

from ansible_collections.mailtls.remediation.plugins.module_utils._exo_module import (
    DEFAULT_MINIMUM,
    PROBE_SCRIPT,
    INSTALL_SCRIPT,
    ModuleVersion,
    ProbeError,
    extract_nupkg,
    install_environment,
    installed_versions,
    linux_modules_root,
    nupkg_metadata,
    parse_install_result,
    parse_probe,
    pick_nupkg,
    plan,
)


def run_pwsh(module, pwsh, script, environ=None):
    rc, out, err = module.run_command([pwsh, '-NoProfile', '-NonInteractive', '-Command', script], environ_update=environ or {})
    return rc, out, err


def probe(module, pwsh):
    rc, out, err = run_pwsh(module, pwsh, PROBE_SCRIPT)
    try:
        return parse_probe(out)
    except ProbeError as exc:
        module.fail_json(msg='reading installed modules with %s failed (rc=%s): %s' % (pwsh, rc, exc), stderr=err)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'query'], default='present'),
            minimum_version=dict(type='str', default=DEFAULT_MINIMUM),
            allow_prerelease=dict(type='bool', default=False),
            scope=dict(type='str', choices=['AllUsers', 'CurrentUser'], default='AllUsers'),
            repository=dict(type='str', default='PSGallery'),
            repository_url=dict(type='str'),
            nupkg_path=dict(type='path'),
            skip_publisher_check=dict(type='bool', default=False),
            executable=dict(type='str', default='pwsh'),
        ),
        mutually_exclusive=[('nupkg_path', 'repository_url')],
        supports_check_mode=True,
    )
    params = module.params
    try:
        ModuleVersion(params['minimum_version'])
    except ValueError:
        module.fail_json(msg='minimum_version %r is not a module version such as 3.2.0' % params['minimum_version'])

    pwsh = params['executable']
    if os.sep not in pwsh:
        pwsh = module.get_bin_path(pwsh)
    if not pwsh or not os.path.exists(pwsh):
        module.fail_json(msg='PowerShell 7 (%s) was not found on this host; install it first to use ExchangeOnlineManagement on Linux'
                         % params['executable'])

    before = probe(module, pwsh)
    source = 'nupkg' if params['nupkg_path'] else 'repository'
    offline = None
    nupkg = None
    if params['nupkg_path'] and params['state'] == 'present':
        try:
            nupkg = pick_nupkg(params['nupkg_path'])
            offline = nupkg_metadata(nupkg)['version']
        except ProbeError as exc:
            module.fail_json(msg='offline package at %s: %s' % (params['nupkg_path'], exc))

    decision = plan(before, params['minimum_version'], params['allow_prerelease'], params['state'], source, offline)
    result = dict(
        changed=False,
        action=decision['action'],
        reason=decision['reason'],
        installed=installed_versions(before),
        installed_after=installed_versions(before),
        satisfied_by=decision['satisfied_by'],
        minimum_version=params['minimum_version'],
        source=source,
        powershell=before['powershell'],
        clickonce_leftovers=before['clickonce'],
        maximum_version=decision['maximum_version'],
        probe=before,
        warnings=decision['warnings'],
    )
    if decision['action'] == 'fail':
        module.fail_json(msg=decision['reason'], **result)
    if decision['action'] == 'none' or module.check_mode:
        result['changed'] = decision['action'] == 'install'
        module.exit_json(**result)

    if nupkg:
        try:
            result['install_path'] = extract_nupkg(nupkg, linux_modules_root(params['scope']))
        except (ProbeError, IOError, OSError) as exc:
            module.fail_json(msg='unpacking %s failed: %s' % (nupkg, exc), **result)
    else:
        environ = install_environment(params['repository'], params['repository_url'], params['minimum_version'], params['scope'],
                                      params['allow_prerelease'], params['skip_publisher_check'], decision['maximum_version'])
        rc, out, err = run_pwsh(module, pwsh, INSTALL_SCRIPT, environ)
        ok, message = parse_install_result(out, err)
        if not ok:
            module.fail_json(msg='Install-Module from %s failed (rc=%s): %s' % (params['repository'], rc, message), **result)

    after = probe(module, pwsh)
    check = plan(after, params['minimum_version'], params['allow_prerelease'], 'query')
    result.update(changed=True, installed_after=installed_versions(after), satisfied_by=check['satisfied_by'])
    if not check['satisfied_by']:
        module.fail_json(msg='installation finished but no version %s or later is visible to %s' % (params['minimum_version'], pwsh), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
