#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-Credential
Connect-ExchangeOnline -Credential ([System.Management.Automation.PSCredential]::new($Cred.UserName, $Cred.Password.Copy())) -ShowBanner:$false
Connect-IPPSSession -Credential $Cred -Prefix cc -ShowBanner:$false
Get-Mailbox
Get-ccRetentionCompliancePolicy
Disconnect-ExchangeOnline -Confirm:$false
