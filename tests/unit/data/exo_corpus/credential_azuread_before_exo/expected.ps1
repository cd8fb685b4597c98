#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$cred = Get-Credential -UserName admin@contoso.onmicrosoft.com -Message 'Tenant admin'
Connect-AzureAD -Credential ([System.Management.Automation.PSCredential]::new($cred.UserName, $cred.Password.Copy())) | Out-Null
Connect-ExchangeOnline -Credential ([System.Management.Automation.PSCredential]::new($cred.UserName, $cred.Password.Copy())) -ShowBanner:$false
Connect-MsolService -Credential $cred
Get-Mailbox -ResultSize 10
