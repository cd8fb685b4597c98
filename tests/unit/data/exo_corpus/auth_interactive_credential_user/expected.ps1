#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList 'admin@contoso.onmicrosoft.com', $SecurePassword
Connect-ExchangeOnline -UserPrincipalName 'admin@contoso.onmicrosoft.com' -ShowBanner:$false
