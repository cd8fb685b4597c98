#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Uri = 'https://outlook.office365.com/PowerShell-LiveID?BasicAuthToOAuthConversion=true&DelegatedOrg=contoso.onmicrosoft.com'
Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false
