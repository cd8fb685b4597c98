#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $cred -ShowBanner:$false
Get-Mailbox -ResultSize 1
Disconnect-ExchangeOnline -Confirm:$false
