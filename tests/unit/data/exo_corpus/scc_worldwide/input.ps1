$SccSession = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://ps.compliance.protection.outlook.com/powershell-liveid/ -Credential $UserCredential -Authentication Basic -AllowRedirection
Import-PSSession $SccSession -Prefix cc -DisableNameChecking
Get-ccComplianceSearch
Remove-PSSession $SccSession
