$Cred = Get-AutomationPSCredential -Name 'ExoAdmin'
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session -DisableNameChecking | Out-Null
Get-Mailbox -ResultSize 1
Remove-PSSession $Session
