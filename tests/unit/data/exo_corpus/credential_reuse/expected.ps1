#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Cred = Get-Credential
Connect-ExchangeOnline -Credential $Cred -ShowBanner:$false
Connect-MsolService -Credential $Cred
Connect-AzureAD -Credential $Cred
