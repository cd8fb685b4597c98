#!powershell

# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.mailtls.remediation.plugins.module_utils._MailTlsWinRegistry

# Test module: runs the Windows reader under the strictest mode Windows PowerShell 5.1 has, so a
# read of a value that does not exist on this build (UBR before Windows 10, DisplayVersion before
# 20H2, a missing .NET Release, an absent SQL Server) throws here instead of in production.
$spec = @{ options = @{}; supports_check_mode = $true }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$raw = Get-MailTlsRawRead
$missing = @(foreach ($key in @('os', 'registry', 'dotnet', 'internet_explorer', 'wininet_users', 'sql_server', 'rdp', 'cipher_suites',
            'hotfixes', 'powershell', 'pending_reboot', 'winrm', 'errors')) {
        if (-not $raw.ContainsKey($key)) { $key }
    })
if ($missing.Count -gt 0) {
    $module.FailJson("the raw read lacks $($missing -join ', ')")
}
$module.Result.raw = $raw
$module.Result.strict_mode = 'Latest'
$module.Result.data = 'success'
$module.ExitJson()
