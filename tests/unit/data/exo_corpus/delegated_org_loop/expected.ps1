#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-Credential
$Customers = Get-MsolPartnerContract -All
foreach ($ClientDomain in $Customers) {
    $Uri = "https://ps.outlook.com/powershell-liveid?DelegatedOrg=" + $ClientDomain.DefaultDomainName
    Connect-ExchangeOnline -Credential ([System.Management.Automation.PSCredential]::new($Cred.UserName, $Cred.Password.Copy())) -DelegatedOrganization ($ClientDomain.DefaultDomainName) -ShowBanner:$false
    Get-Mailbox | Select-Object DisplayName
    Disconnect-ExchangeOnline -Confirm:$false
}
