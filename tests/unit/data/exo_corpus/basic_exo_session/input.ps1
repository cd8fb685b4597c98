# Connect to Exchange Online (basic auth, as in the old docs)
$UserCredential = Get-Credential
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $UserCredential -Authentication Basic -AllowRedirection
Import-PSSession $Session -DisableNameChecking

Get-Mailbox -ResultSize 10 | Select-Object Name, PrimarySmtpAddress

Remove-PSSession $Session
