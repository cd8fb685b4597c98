#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$cred = Get-Credential
Connect-ExchangeOnline -Credential $cred -Prefix Cloud -ShowBanner:$false
Get-CloudMailbox -ResultSize 10
