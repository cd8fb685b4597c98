#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
if ($Session.State -ne 'Opened' -or $Session.Availability -ne 'Available') {
    throw 'Exchange Online session is not usable'
}
$existing = Get-PSSession | Where-Object { $_.ConfigurationName -eq 'Microsoft.Exchange' -and $_.State -eq 'Opened' }
