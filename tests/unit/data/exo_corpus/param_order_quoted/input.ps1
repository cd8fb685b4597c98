$cred = Get-Credential -Message 'EXO admin'
$exo = New-PSSession -ConnectionUri "https://outlook.office365.com/PowerShell-LiveID/" -ConfigurationName 'Microsoft.Exchange' -Authentication "Basic" -Credential $cred -AllowRedirection -Name EXOSession
Import-PSSession -Session $exo -AllowClobber | Out-Null
Get-Mailbox | Select-Object Name, TotalItemSize
Remove-PSSession -Session $exo
