$Cred = Get-Credential
$Customers = Get-MsolPartnerContract -All
foreach ($ClientDomain in $Customers) {
    $Uri = "https://ps.outlook.com/powershell-liveid?DelegatedOrg=" + $ClientDomain.DefaultDomainName
    $Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential $Cred -Authentication Basic -AllowRedirection
    Import-PSSession $Session -AllowClobber -DisableNameChecking
    Get-Mailbox | Select-Object DisplayName
    Remove-PSSession $Session
}
