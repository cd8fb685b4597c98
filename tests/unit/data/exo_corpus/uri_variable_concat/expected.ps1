#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
param(
    [Parameter(Mandatory)] [string] $TenantDomain,
    [pscredential] $Credential
)
$ConnectionUri = 'https://outlook.office365.com/powershell-liveid/'
$ConnectionUri = $ConnectionUri + "?DelegatedOrg=$TenantDomain"
Connect-ExchangeOnline -Credential $Credential -DelegatedOrganization $TenantDomain -ShowBanner:$false
Get-Mailbox -ResultSize Unlimited | Export-Csv -Path mailboxes.csv -NoTypeInformation
Disconnect-ExchangeOnline -Confirm:$false
