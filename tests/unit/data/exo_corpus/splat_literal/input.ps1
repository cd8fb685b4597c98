$cred = Import-Clixml -Path C:\secure\exo.xml
$params = @{
    ConfigurationName = 'Microsoft.Exchange'
    ConnectionUri     = 'https://outlook.office365.com/powershell-liveid/'
    Credential        = $cred
    Authentication    = 'Basic'
    AllowRedirection  = $true
}
$Session = New-PSSession @params
Import-PSSession $Session -DisableNameChecking
Get-Mailbox
Remove-PSSession $Session
