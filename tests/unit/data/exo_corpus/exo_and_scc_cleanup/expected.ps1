#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-Credential
Connect-ExchangeOnline -Credential $Cred -ShowBanner:$false
Connect-IPPSSession -Credential $Cred -Prefix cc -ShowBanner:$false
Get-Mailbox
Get-ccRetentionCompliancePolicy
Disconnect-ExchangeOnline -Confirm:$false
