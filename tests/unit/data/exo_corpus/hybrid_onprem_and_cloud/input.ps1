$OnPrem = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri http://ex01.contoso.local/PowerShell/ -Authentication Kerberos
Import-PSSession $OnPrem -Prefix OnPrem -DisableNameChecking
$Cloud = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $CloudCred -Authentication Basic -AllowRedirection
Import-PSSession $Cloud -Prefix Cloud -DisableNameChecking
Get-OnPremMailbox | ForEach-Object { Get-CloudMailUser -Identity $_.PrimarySmtpAddress }
Remove-PSSession $OnPrem
Remove-PSSession $Cloud
Get-PSSession | Remove-PSSession
