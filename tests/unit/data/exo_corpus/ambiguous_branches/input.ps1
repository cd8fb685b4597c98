switch ($Cloud) {
    'GCCHigh' { $Uri = 'https://outlook.office365.us/powershell-liveid/' }
    default   { $Uri = 'https://outlook.office365.com/powershell-liveid/' }
}
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session
