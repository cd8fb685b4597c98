#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $PartnerCred -DelegatedOrganization 'fabrikam.onmicrosoft.com' -ShowBanner:$false
Get-Mailbox
Disconnect-ExchangeOnline -Confirm:$false
