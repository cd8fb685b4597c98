#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
function Get-Tail { param($Path) Get-Content -Path $Path -Tail 5 }
Connect-ExchangeOnline -Credential $c -ShowBanner:$false
Get-Mailbox -ResultSize 5
Get-Tail -Path C:\logs\run.log
