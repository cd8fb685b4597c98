Import-Module ExchangeOnlineManagement
Connect-ExchangeOnline -UserPrincipalName admin@contoso.com -UseRPSSession
Get-Mailbox -ResultSize 5
Disconnect-ExchangeOnline -Confirm:$false
