#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
param([pscredential]$Operator)

$parms = @{
    Name              = 'NightlyAudit'
    ConfigurationName = 'Microsoft.Exchange'
    ConnectionUri     = 'https://outlook.office365.com/powershell-liveid/'
    Credential        = $Operator
    Authentication    = 'Basic'
    AllowRedirection  = $true
}
Connect-ExchangeOnline -Credential $Operator -ShowBanner:$false

Get-Mailbox -ResultSize 25 | Select-Object Alias, RecipientTypeDetails

Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue
Remove-PSSession -Name 'SomeoneElse'
