#!powershell

# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ..module_utils._MailTlsWinRegistry

# The Windows hands of system_tls. The collection's action plugin calls it twice:
#  1. without _plan: read the raw values (and, with state=rollback, the backup to restore);
#  2. with _plan (computed in Python): write exactly that plan, backup file first.
# Nothing here decides what to write. Linux-only options are accepted and ignored.

$spec = @{
    options = @{
        min_protocol = @{ type = 'str'; default = 'TLSv1.2'; choices = 'TLSv1.2', 'TLSv1.3' }
        mode = @{ type = 'str'; default = 'enforce_minimum'; choices = 'enforce_minimum', 'ensure_tls12' }
        openssl_conf = @{ type = 'path' }
        gnutls = @{ type = 'bool'; default = $true }
        gnutls_config = @{ type = 'path'; default = '/etc/gnutls/config' }
        backup = @{ type = 'bool'; default = $true }
        state = @{ type = 'str'; default = 'present'; choices = 'present', 'rollback' }
        backup_files = @{
            type = 'list'
            elements = 'dict'
            options = @{
                path = @{ type = 'path'; required = $true }
                backup = @{ type = 'path'; required = $true }
            }
        }
        created_files = @{
            type = 'list'
            elements = 'dict'
            options = @{
                path = @{ type = 'path'; required = $true }
                sha256 = @{ type = 'str'; required = $true }
            }
        }
        state_dir = @{ type = 'path'; default = '/var/lib/mailtls-remediation' }
        validation_timeout = @{ type = 'int'; default = 20 }
        dotnet = @{ type = 'bool'; default = $true }
        winhttp = @{ type = 'bool'; default = $true }
        wininet = @{ type = 'bool'; default = $true }
        force_guards = @{ type = 'list'; elements = 'str'; default = @() }
        backup_dir = @{ type = 'path' }
        backup_file = @{ type = 'path' }
        _plan = @{ type = 'dict' }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false

$backupDir = $module.Params.backup_dir
if (-not $backupDir) {
    $backupDir = Join-Path -Path $env:ProgramData -ChildPath 'mailtls\backups'
}
$plan = $module.Params._plan

if ($null -eq $plan) {
    $extra = @()
    if ($module.Params.state -eq 'rollback') {
        try {
            $found = Get-MailTlsBackup -File $module.Params.backup_file -Directory $backupDir
        }
        catch {
            $module.FailJson("failed to read the backup at $($module.Params.backup_file)$($backupDir): $($_.Exception.Message)", $_)
        }
        if ($null -eq $found) {
            $module.FailJson("no system_tls backup found in $backupDir; give backup_file")
        }
        $module.Result.backup_file = $found.path
        $module.Result.backup = $found.data
        $extra = @(Get-MailTlsBackupExtra -Backup $found.data)
    }
    try {
        $module.Result.raw = Get-MailTlsRawRead -Extra $extra
    }
    catch {
        $module.FailJson("failed to read the TLS settings at HKLM: $($_.Exception.Message)", $_)
    }
    $module.ExitJson()
}

if ($module.CheckMode) {
    # The action plugin never sends a plan in check mode; refuse to write if something does.
    $module.Result.changed = @($plan.changes).Count -gt 0
    $module.ExitJson()
}
$module.Result.backup_file = Invoke-MailTlsPlan -Module $module -Plan $plan -BackupDir $backupDir -Backup $module.Params.backup
$module.Result.changed = @($plan.changes).Count -gt 0
$module.ExitJson()
