$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri 'https://pod51055psh.outlook.com/powershell-liveid?PSVersion=4.0' -Credential $cred -Authentication Basic -AllowRedirection
Import-PSSession $s -AllowClobber | Out-Null
Get-Mailbox -ResultSize 1
Remove-PSSession $s
