#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$cred = Get-AutomationPSCredential -Name 'ExchangeAdmin'
Connect-ExchangeOnline -Credential $cred -ShowBanner:$false
Get-Mailbox -ResultSize 5
