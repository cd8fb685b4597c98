$ExoHost = 'outlook.office365.com'
$Uri = 'https://{0}/powershell-liveid/' -f $ExoHost
$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential (Get-Credential) -Authentication Basic -AllowRedirection
Import-PSSession $s
