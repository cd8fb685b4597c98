Connect-ExchangeOnline -UserPrincipalName admin@contoso.com -UseRPSSession
Get-Mailbox
