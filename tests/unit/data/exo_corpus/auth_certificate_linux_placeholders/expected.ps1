#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-AutomationPSCredential -Name 'ExoAdmin'
Connect-ExchangeOnline -AppId '<AppId>' -CertificateFilePath '<path-to-certificate.pfx>' -CertificatePassword $CertPassword -Organization '<tenant>.onmicrosoft.com' -ShowBanner:$false
Get-Mailbox -ResultSize 1
Disconnect-ExchangeOnline -Confirm:$false
