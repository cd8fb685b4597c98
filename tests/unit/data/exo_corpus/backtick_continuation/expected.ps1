#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Credential = Import-Clixml -Path "$PSScriptRoot\exo.cred"
$SessionParams = $null
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
Get-Mailbox -Identity user@contoso.com
Disconnect-ExchangeOnline -Confirm:$false
