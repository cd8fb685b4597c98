$ExchangeServer = 'ex2019.corp.contoso.com'
$params = @{
    ConfigurationName = 'Microsoft.Exchange'
    ConnectionUri     = "https://$ExchangeServer/PowerShell/"
    Authentication    = 'Basic'
    Credential        = (Import-Clixml -Path .\onprem.xml)
    SessionOption     = (New-PSSessionOption -SkipCACheck -SkipCNCheck -SkipRevocationCheck)
}
$OnPrem = New-PSSession @params
Import-PSSession $OnPrem -Prefix OnPrem
Get-PSSession | Remove-PSSession
