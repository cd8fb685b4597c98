$uri = 'https://outlook.office365.com/powershell-liveid/'
if ($Partner) {
    $s1 = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri ($uri + "?DelegatedOrg=$Tenant") -Credential $cred -Authentication Basic -AllowRedirection
    Import-PSSession $s1
} else {
    $s2 = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $uri -Credential $cred -Authentication Basic -AllowRedirection
    Import-PSSession $s2
}
