. "$PSScriptRoot\config.ps1"
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $conURI -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session
