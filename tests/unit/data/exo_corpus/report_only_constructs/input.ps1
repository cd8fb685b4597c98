cmd /c 'winrm set winrm/config/client/auth @{Basic="true"}'
$Pref = 'EXO-' + $env:USERNAME
$s = New-PSSession -Name $Pref -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
Import-PSSession $s | Out-Null
Get-Mailbox -ResultSize 1
Remove-PSSession -Name $Pref
Remove-PSSession -Name $OtherName
