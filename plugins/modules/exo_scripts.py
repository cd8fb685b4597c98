#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: exo_scripts
short_description: Find PowerShell scripts that still use Exchange Online Remote PowerShell and migrate them to the EXO V3 module
version_added: 0.1.0
description:
  - Finds scripts that connect to Exchange Online or Security & Compliance through Remote PowerShell
    (C(New-PSSession) to a C(powershell-liveid) endpoint, the V1 C(Connect-EXOPSSession) module,
    C(-UseRPSSession)), which Microsoft switched off in October 2023, and with O(mode=migrate) rewrites them
    to C(Connect-ExchangeOnline) / C(Connect-IPPSSession) of the ExchangeOnlineManagement V3 module.
  - The work is split. On each host a small internal helper (Python on Linux and
    PowerShell on Windows, not a module to call directly) walks O(paths), prefilters cheaply and returns only candidate files with their
    SHA-256. The controller parses and rewrites them. The new content goes back in one call and is written
    only if the file's SHA-256 is still the one seen at scan time; the write is atomic, keeps owner and mode
    (and the ACL on Windows) and leaves a backup.
  - With O(on_controller=true) the controller's own checkout is processed directly, without a helper on a
    host, for pipelines; combine it with O(gate) and O(report_sarif).
  - On-premises Exchange sessions, Skype for Business sessions, C(Invoke-Command -Session) bodies and other
    constructs that cannot be converted safely are reported, never rewritten.
  - This is an action plugin; this file only documents it.
author:
  - mailtls.remediation contributors (@mailtls)
options:
  mode:
    description:
      - V(scan) only reports findings.
      - V(migrate) rewrites the scripts that can be converted, and reports what remains.
    type: str
    choices: [scan, migrate]
    default: scan
  paths:
    description:
      - Files or directories to search, in the host's path syntax. Shell-style wildcards are expanded on the host.
      - When not set, the usual script locations of the host are searched. On Linux V(/usr/local/bin),
        V(/usr/local/sbin), V(/usr/local/scripts), V(/opt), V(/srv), V(/etc), V(/root/scripts), V(/root/bin),
        V(/root/.config/powershell), V(/home/*/scripts), V(/home/*/bin) and V(/home/*/.config/powershell).
        On Windows V(C:\\Scripts), V(%ProgramData%\\Scripts), the V(Scripts), V(Documents\\WindowsPowerShell)
        and V(Documents\\PowerShell) folders of every profile under V(C:\\Users), the all-users profile
        scripts in V($PSHOME), and the folder of every script that a scheduled task runs.
      - Required with O(on_controller=true); relative paths are then taken from the playbook directory.
    type: list
    elements: str
  exclude:
    description:
      - Wildcards for files and directories to skip; without a path separator they match names, with one the whole path.
      - Added to the built-in exclusions (version control folders, V(node_modules), installed V(ExchangeOnlineManagement)
        module folders, V(*.bak), and on Linux V(/proc), V(/sys), V(/dev), V(/run) and V(/opt/microsoft/powershell))
        unless O(use_default_excludes=false). O(backup_dir) and, with O(write=side_by_side), the converted copies
        are always excluded.
    type: list
    elements: str
    default: []
  write:
    description:
      - V(in_place) replaces each script (after a backup).
      - V(side_by_side) keeps each script and writes the converted one next to it, with O(side_by_side_suffix)
        before the extension (V(report.ps1) gets V(report.exov3.ps1)). The originals still count in
        RV(legacy_remaining).
    type: str
    choices: [in_place, side_by_side]
    default: in_place
  side_by_side_suffix:
    description: Text inserted before the extension of converted copies with O(write=side_by_side).
    type: str
    default: .exov3
  backup:
    description:
      - Whether to keep a copy of each file before it is replaced, named V(<file>.<timestamp>.bak),
        next to the file or under O(backup_dir).
    type: bool
    default: true
  backup_dir:
    description:
      - Directory on the host (on the controller with O(on_controller=true)) that receives the backups; the
        file's absolute path is recreated below it.
    type: str
  auth:
    description:
      - How migrated scripts authenticate to Exchange Online.
      - V(keep_credential) keeps the script's credential (C(-Credential)); scripts that reuse the credential
        object after connecting get a finding, because V3 empties its password.
      - V(interactive) uses C(-UserPrincipalName) (modern authentication, MFA capable).
      - V(certificate) uses app-only certificate authentication with O(app_id), O(organization) and
        O(certificate_thumbprint) (Windows certificate store) or O(certificate_path) (PFX file, the form
        that works on Linux).
      - V(managed_identity) uses C(-ManagedIdentity) with O(organization) (Azure Automation, Azure VMs, Functions).
    type: str
    choices: [keep_credential, interactive, certificate, managed_identity]
    default: keep_credential
  app_id:
    description: Entra application (client) id for O(auth=certificate).
    type: str
  organization:
    description: Primary C(.onmicrosoft.com) domain or tenant id, for O(auth=certificate) and O(auth=managed_identity).
    type: str
  certificate_thumbprint:
    description: Thumbprint of the certificate in the Windows certificate store (O(auth=certificate), Windows only).
    type: str
  certificate_path:
    description: Path of the PFX file on the host that runs the script (O(auth=certificate)).
    type: str
  certificate_password_expression:
    description:
      - PowerShell expression that the migrated script evaluates at run time to get the PFX password as a
        SecureString, for example C((Get-Secret -Name ExoAppCert)). Never put the password itself here, because it would
        be written into the script.
    type: str
  managed_identity_account_id:
    description: Application id of a user-assigned managed identity (O(auth=managed_identity)).
    type: str
  gate:
    description:
      - Fail the task when legacy connections remain (after the migration with O(mode=migrate)), so a pipeline
        stops. Reports are written first.
    type: bool
    default: false
  report_json:
    description:
      - Path on the controller for a JSON report (summary, files, findings, changes). Relative paths are taken
        from the playbook directory. Written in check mode too.
      - With several hosts use a per-host name, for example V(reports/{{ inventory_hostname }}-exo.json).
    type: str
  report_sarif:
    description:
      - Path on the controller for a SARIF 2.1.0 log of the findings, for code-scanning front ends.
        Written in check mode too.
    type: str
  report_root:
    description:
      - Directory that SARIF locations are made relative to. Defaults to the first of O(paths) with
        O(on_controller=true); otherwise locations are absolute C(file://) URIs of the host's paths.
    type: str
  on_controller:
    description:
      - Work on the controller's file system directly (for example a git checkout in a pipeline) instead of
        calling the helper on the host. Use it in a play on V(localhost) or with C(run_once).
    type: bool
    default: false
notes:
  - Findings and reports never contain source snippets, because scripts often hold passwords. The diff
    shown with C(--diff) does contain the full scripts; use C(no_log) or avoid C(--diff) where that matters.
  - A file whose SHA-256 changed between the scan and the write is not written; the task then fails and lists
    it in RV(refused). Run the task again to pick up the new content.
  - Security & Compliance PowerShell (C(Connect-IPPSSession)) is not available in PowerShell 7 on Linux or
    macOS; migrated scripts that use it must run on Windows.
  - Use M(mailtls.remediation.exo_module) to install ExchangeOnlineManagement V3 where the scripts run.
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.action
  - mailtls.remediation.attributes.dual_platform
  - mailtls.remediation.exo_files
attributes:
  check_mode:
    support: full
    description: Nothing is written on the host; the task reports what would change, and the reports are still written on the controller.
  diff_mode:
    support: full
    description: One diff per changed file, original script against converted script.
  platform:
    support: full
    description:
      - Runs against Linux and Windows hosts (the internal host-side helper has both implementations), or on the
        controller's own files with O(on_controller=true).
    platforms: [posix, windows]
requirements:
  - Controller - the Python packages C(tree-sitter) 0.22 or newer and C(tree-sitter-pwsh) (the PowerShell grammar).
seealso:
  - module: mailtls.remediation.exo_module
  - name: Connect to Exchange Online PowerShell
    description: Microsoft's description of the V3 module's connection options.
    link: https://learn.microsoft.com/powershell/exchange/connect-to-exchange-online-powershell
'''

EXAMPLES = r'''
- name: Report scripts that still use Remote PowerShell (any OS)
  mailtls.remediation.exo_scripts:
    mode: scan
  register: exo_scan

- name: Show what a migration would change
  mailtls.remediation.exo_scripts:
    mode: migrate
    paths: ['D:\Automation', 'C:\Scripts']
  check_mode: true
  diff: true

- name: Migrate to certificate authentication, converted copies next to the originals
  mailtls.remediation.exo_scripts:
    mode: migrate
    paths: [/opt/automation]
    write: side_by_side
    auth: certificate
    app_id: 5b2d8e2a-0a6c-4b8e-9d55-1f1b1a0c7e21
    organization: contoso.onmicrosoft.com
    certificate_path: /etc/exo/app.pfx
    certificate_password_expression: (Get-Secret -Name ExoAppCert)
    backup_dir: /var/backups/exo-scripts

- name: Pipeline gate on the checkout, with SARIF for code scanning
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Fail when legacy Exchange Online connections remain
      mailtls.remediation.exo_scripts:
        on_controller: true
        paths: ["{{ lookup('ansible.builtin.env', 'GITHUB_WORKSPACE') }}"]
        gate: true
        report_sarif: exo.sarif
        report_json: exo.json
'''

RETURN = r'''
mode:
  description: The mode that ran.
  returned: always
  type: str
  sample: migrate
check_mode:
  description: Whether the task ran in check mode.
  returned: always
  type: bool
  sample: false
files_walked:
  description: Number of files the helper looked at.
  returned: always
  type: int
  sample: 20312
files_scanned:
  description: Number of files that matched O(patterns) (or were sniffed as PowerShell) and were read by the prefilter.
  returned: always
  type: int
  sample: 412
candidates:
  description: Files that passed the prefilter and were parsed on the controller.
  returned: always
  type: list
  elements: str
  sample: [/opt/automation/mailbox-report.ps1]
files:
  description: One entry per candidate file.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
    sha256:
      description: SHA-256 at scan time.
      type: str
    encoding:
      description: Text encoding detected by the engine, with V(bom) and the line ending style, for example V(utf-8 bom crlf).
      type: str
    findings:
      description: Number of findings (after the migration with O(mode=migrate)).
      type: int
    legacy_before:
      description: Legacy connections found before any change.
      type: int
    legacy_remaining:
      description:
        - Legacy connections left in RV(files[].path) (after the migration with O(mode=migrate) and O(write=in_place);
          with O(write=side_by_side) the original keeps them).
      type: int
    legacy_in_result:
      description: Legacy connections left in the converted text (O(mode=migrate) only, else V(null)).
      type: int
    edits:
      description: Number of edits the migration made.
      type: int
    status:
      description: >-
        V(scanned), V(nothing_to_migrate), V(unchanged), V(changed), V(would_change), V(refused) or V(error).
      type: str
    parse_errors:
      description: Parse or engine errors for this file.
      type: list
    dest:
      description: The file written (differs from RV(files[].path) with O(write=side_by_side)).
      type: str
      returned: when a write was attempted
    backup_file:
      description: Backup made before the write.
      type: str
      returned: when a write was attempted
  sample:
    - path: /opt/automation/mailbox-report.ps1
      sha256: d64dafcc7c876dcc6ec2776d71a8c5f192e6e16727276fda1a5fb474e4e9110e
      encoding: utf-8 lf
      findings: 1
      legacy_before: 1
      legacy_remaining: 0
      legacy_in_result: 0
      edits: 4
      status: changed
      parse_errors: []
      dest: /opt/automation/mailbox-report.ps1
      backup_file: /opt/automation/mailbox-report.ps1.20261202T180711.bak
findings:
  description: >-
    Findings, with O(mode=migrate) those that remain after the migration (report-only items such as
    on-premises sessions or credential reuse). No source snippets.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /opt/automation/mailbox-report.ps1
      line: 14
      column: 1
      end_line: 14
      end_column: 42
      id: EXO-CRED-REUSE
      severity: warning
      message: $cred is used again after Connect-ExchangeOnline, which empties its password
      rewritable: false
      rule: credential-reuse
changed_files:
  description: Files written (in check mode, that would be written).
  returned: always
  type: list
  elements: str
  sample: [/opt/automation/mailbox-report.ps1]
backups:
  description: Backup files created.
  returned: always
  type: list
  elements: str
  sample: [/opt/automation/mailbox-report.ps1.20260101T120000.bak]
refused:
  description: Files not written because they changed since the scan or could not be written safely.
  returned: always
  type: list
  elements: dict
  sample: [{path: /opt/automation/mailbox-report.ps1, msg: file changed since it was scanned; not written}]
legacy_remaining:
  description: Total legacy connections left over all files (what O(gate) tests).
  returned: always
  type: int
  sample: 0
auth_limits:
  description:
    - What the chosen O(auth) mode cannot do, in particular the MFA limit of O(auth=keep_credential)
      (C(-Credential) is a resource owner password credentials sign-in, which fails for accounts that must use MFA).
  returned: when O(mode=migrate)
  type: str
  sample: "-Credential signs in with the OAuth resource owner password credentials (ROPC) grant: it fails for accounts that must use MFA, ..."
parse_errors:
  description: Files the engine could not parse or rewrite safely, with the errors.
  returned: always
  type: list
  elements: dict
  sample: []
scope_files:
  description:
    - In O(mode=migrate), files that are no candidate (they match no prefilter pattern) but name a migrated
      file or read a variable a migration removes. They are read in a second walk of O(paths), only to
      check that no file sharing a scope through dot-sourcing (or C(&)) reads what a rewrite removes
      (EXO031), and never written. Empty when no migration removes a name.
  returned: always
  type: list
  elements: str
  sample: [/opt/automation/nightly.ps1]
skipped_files:
  description: Files or folders the helper could not read or that were too large.
  returned: always
  type: list
  elements: dict
  sample: []
reports:
  description: Report files written on the controller.
  returned: when O(report_json) or O(report_sarif) is set
  type: dict
  sample: {json: /builds/scripts/exo.json, sarif: /builds/scripts/exo.sarif}
diff:
  description: One entry per changed file with RV(diff[].before_header), RV(diff[].after_header), RV(diff[].before) and RV(diff[].after).
  returned: in diff mode when files change
  type: list
  elements: dict
  contains:
    before_header:
      description: The original file.
      type: str
    after_header:
      description: The file written.
      type: str
    before:
      description: Original text.
      type: str
    after:
      description: Converted text.
      type: str
  sample:
    - before_header: /opt/automation/mailbox-report.ps1
      after_header: /opt/automation/mailbox-report.ps1
      before: "$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ ...\n"
      after: "Connect-ExchangeOnline -Credential $UserCredential -ShowBanner:$false\n"
'''
