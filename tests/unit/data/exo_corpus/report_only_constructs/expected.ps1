#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
cmd /c 'winrm set winrm/config/client/auth @{Basic="true"}'
$Pref = 'EXO-' + $env:USERNAME
Connect-ExchangeOnline -Credential $c -ShowBanner:$false
Get-Mailbox -ResultSize 1
Disconnect-ExchangeOnline -Confirm:$false
Remove-PSSession -Name $OtherName
