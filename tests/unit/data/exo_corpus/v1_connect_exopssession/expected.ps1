#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
# Needs the Exchange Online Remote PowerShell Module (ClickOnce)

Connect-ExchangeOnline -UserPrincipalName admin@contoso.onmicrosoft.com -ShowBanner:$false
Get-Mailbox
Disconnect-ExchangeOnline -Confirm:$false
