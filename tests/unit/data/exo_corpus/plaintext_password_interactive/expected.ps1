#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$pw = "Winter2020#"
$Cred = [pscredential]::new('admin@contoso.onmicrosoft.com', (ConvertTo-SecureString -String $pw -AsPlainText -Force))
Connect-ExchangeOnline -UserPrincipalName 'admin@contoso.onmicrosoft.com' -ShowBanner:$false
