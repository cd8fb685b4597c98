# Needs the Exchange Online Remote PowerShell Module (ClickOnce)
$CreateEXOPSSession = (Get-ChildItem -Path $env:userprofile -Filter CreateExoPSSession.ps1 -Recurse -ErrorAction SilentlyContinue -Force | Select -Last 1).DirectoryName
. "$CreateEXOPSSession\CreateExoPSSession.ps1"

Connect-EXOPSSession -UserPrincipalName admin@contoso.onmicrosoft.com
Get-Mailbox
Get-PSSession | Remove-PSSession
