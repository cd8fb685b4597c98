#Requires -Modules ExchangeOnlineManagement
Connect-ExchangeOnline -UserPrincipalName admin@contoso.com -ShowBanner:$false
Get-EXOMailbox -ResultSize 10 | Select-Object DisplayName, PrimarySmtpAddress
Connect-IPPSSession -UserPrincipalName admin@contoso.com
Get-ComplianceSearch
Disconnect-ExchangeOnline -Confirm:$false
