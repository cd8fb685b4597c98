$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://ps.outlook.com/powershell-liveid?DelegatedOrg=fabrikam.onmicrosoft.com -Credential $PartnerCred -Authentication Basic -AllowRedirection
Import-PSSession $Session
Get-Mailbox
Remove-PSSession $Session
