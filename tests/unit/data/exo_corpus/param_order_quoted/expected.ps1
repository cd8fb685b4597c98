#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$cred = Get-Credential -Message 'EXO admin'
Connect-ExchangeOnline -Credential $cred -ShowBanner:$false
Get-Mailbox | Select-Object Name, TotalItemSize
Disconnect-ExchangeOnline -Confirm:$false
