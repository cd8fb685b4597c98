#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$OnPrem = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri http://ex01.contoso.local/PowerShell/ -Authentication Kerberos
Import-PSSession $OnPrem -Prefix OnPrem -DisableNameChecking
Connect-ExchangeOnline -Credential $CloudCred -Prefix Cloud -ShowBanner:$false
Get-OnPremMailbox | ForEach-Object { Get-CloudMailUser -Identity $_.PrimarySmtpAddress }
Remove-PSSession $OnPrem
Disconnect-ExchangeOnline -Confirm:$false
Get-PSSession | Remove-PSSession
