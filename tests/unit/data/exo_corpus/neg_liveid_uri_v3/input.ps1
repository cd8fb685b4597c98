Connect-ExchangeOnline -ConnectionUri https://outlook.office365.com/powershell-liveid/ -UserPrincipalName admin@contoso.com
Connect-ExchangeOnline -ConnectionUri https://outlook.office365.us/powershell-liveID -AzureADAuthorizationEndpointUri https://login.microsoftonline.us/common
