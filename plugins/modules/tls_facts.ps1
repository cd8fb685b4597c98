#!powershell

# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ..module_utils._MailTlsWinRegistry

# The Windows reader of tls_facts: one round trip, raw values only. The collection's action
# plugin turns 'raw' into ansible_facts.mailtls_posture on the controller (documentation in
# tls_facts.py). The Linux-only options are accepted so one task works on a mixed inventory.

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
    $module.Result.raw = Get-MailTlsRawRead
}
catch {
    $module.FailJson("failed to read the TLS settings at HKLM: $($_.Exception.Message)", $_)
}
$module.ExitJson()
