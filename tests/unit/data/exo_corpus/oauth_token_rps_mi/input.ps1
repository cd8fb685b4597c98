$Uri = 'https://outlook.office365.com/PowerShell-LiveID?BasicAuthToOAuthConversion=true&DelegatedOrg=contoso.onmicrosoft.com'
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential $TokenCred -Authentication Basic -AllowRedirection
Import-PSSession $Session
