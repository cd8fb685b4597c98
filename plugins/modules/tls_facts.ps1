#!powershell

# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ..module_utils._MailTlsWinRegistry
#AnsibleRequires -PowerShell ..module_utils._MailTlsWinClients

# The Windows reader of tls_facts: one round trip, raw values only. The collection's action
# plugin turns 'raw' into ansible_facts.mailtls_posture on the controller (documentation in
# tls_facts.py). The Linux-only options are accepted so one task works on a mixed inventory.
# With 'clients' in gather, raw.mail_clients holds the mail client inventory; a part of it that
# fails is recorded in raw.errors and never fails the task.

$spec = @{
    options = @{
        gather = @{ type = 'list'; elements = 'str'; default = @('openssl', 'crypto_policies', 'gnutls', 'nss', 'java', 'python', 'clients') }
        openssl_conf = @{ type = 'path' }
        gnutls_config = @{ type = 'path'; default = '/etc/gnutls/config' }
        users = @{ type = 'list'; elements = 'str' }
        script_paths = @{ type = 'list'; elements = 'path'; default = @() }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false

try {
    $raw = Get-MailTlsRawRead
}
catch {
    $module.FailJson("failed to read the TLS settings at HKLM: $($_.Exception.Message)", $_)
}
if ($module.Params.gather -contains 'clients') {
    try {
        $raw.mail_clients = Get-MailTlsMailClient -Errors $raw.errors
    }
    catch {
        $raw.errors.Add(@{ what = 'the mail client inventory'; where = 'mail clients'; message = $_.Exception.Message })
        $raw.mail_clients = $null
    }
}
$module.Result.raw = $raw
$module.ExitJson()
