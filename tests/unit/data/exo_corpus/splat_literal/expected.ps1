#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$cred = Import-Clixml -Path C:\secure\exo.xml
$params = @{
    ConfigurationName = 'Microsoft.Exchange'
    ConnectionUri     = 'https://outlook.office365.com/powershell-liveid/'
    Credential        = $cred
    Authentication    = 'Basic'
    AllowRedirection  = $true
}
Connect-ExchangeOnline -Credential $cred -ShowBanner:$false
Get-Mailbox
Disconnect-ExchangeOnline -Confirm:$false
