param(
    [Parameter(Mandatory)] [string] $TenantDomain,
    [pscredential] $Credential
)
$ConnectionUri = 'https://outlook.office365.com/powershell-liveid/'
$ConnectionUri = $ConnectionUri + "?DelegatedOrg=$TenantDomain"
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $ConnectionUri -Credential $Credential -Authentication Basic -AllowRedirection
Import-PSSession $Session -DisableNameChecking -AllowClobber | Out-Null
Get-Mailbox -ResultSize Unlimited | Export-Csv -Path mailboxes.csv -NoTypeInformation
Remove-PSSession $Session
