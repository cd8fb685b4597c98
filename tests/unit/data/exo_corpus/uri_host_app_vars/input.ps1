$ExoServer = 'ps.outlook.com'
$ExoApp = '/PowerShell-LiveID'
$Uri = "https://$ExoServer$ExoApp"
$global:Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $global:Session -AllowClobber
