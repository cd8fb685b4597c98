param([pscredential]$Operator)

$parms = @{
    Name              = 'NightlyAudit'
    ConfigurationName = 'Microsoft.Exchange'
    ConnectionUri     = 'https://outlook.office365.com/powershell-liveid/'
    Credential        = $Operator
    Authentication    = 'Basic'
    AllowRedirection  = $true
}
$audit = New-PSSession @parms
Import-PSSession $audit -AllowClobber | Out-Null

Get-Mailbox -ResultSize 25 | Select-Object Alias, RecipientTypeDetails

Remove-PSSession -Name 'NightlyAudit' -ErrorAction SilentlyContinue
Remove-PSSession -Name 'SomeoneElse'
