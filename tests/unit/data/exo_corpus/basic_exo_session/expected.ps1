#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
# Connect to Exchange Online (basic auth, as in the old docs)
$UserCredential = Get-Credential
Connect-ExchangeOnline -Credential $UserCredential -ShowBanner:$false

Get-Mailbox -ResultSize 10 | Select-Object Name, PrimarySmtpAddress

Disconnect-ExchangeOnline -Confirm:$false
