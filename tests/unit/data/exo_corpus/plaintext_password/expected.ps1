#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$User = 'svc-exo@contoso.onmicrosoft.com'
$Password = ConvertTo-SecureString 'Summer2019!' -AsPlainText -Force
$Cred = New-Object System.Management.Automation.PSCredential($User, $Password)
Connect-ExchangeOnline -Credential $Cred -ShowBanner:$false
