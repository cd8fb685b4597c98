#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$LiveCred = Get-Credential
Connect-ExchangeOnline -Credential $LiveCred -ShowBanner:$false
Write-Host "Café – connected"
Disconnect-ExchangeOnline -Confirm:$false
