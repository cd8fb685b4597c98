$EopSession = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://ps.protection.outlook.com/powershell-liveid/ -Credential $UserCredential -Authentication Basic -AllowRedirection
Import-PSSession $EopSession -AllowClobber
Get-HostedContentFilterPolicy
Remove-PSSession $EopSession
