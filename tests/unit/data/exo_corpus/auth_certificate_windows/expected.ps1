#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-AutomationPSCredential -Name 'ExoAdmin'
Connect-ExchangeOnline -AppId '11111111-2222-3333-4444-555555555555' -CertificateThumbprint 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false
Get-Mailbox -ResultSize 1
Disconnect-ExchangeOnline -Confirm:$false
