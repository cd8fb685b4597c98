#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $UserCredential -ShowBanner:$false
Get-HostedContentFilterPolicy
Disconnect-ExchangeOnline -Confirm:$false
