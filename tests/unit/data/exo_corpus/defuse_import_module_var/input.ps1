$cred = Get-Credential
$exoSession = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $cred -Authentication Basic -AllowRedirection
$exoModule = Import-PSSession $exoSession -AllowClobber -DisableNameChecking
Import-Module $exoModule -Global -Prefix Cloud -DisableNameChecking
Get-CloudMailbox -ResultSize 10
