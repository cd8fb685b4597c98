#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-AutomationPSCredential -Name 'ExoAdmin'
Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false
Get-Mailbox -ResultSize 1
Disconnect-ExchangeOnline -Confirm:$false
