. "$PSScriptRoot\connect-tenant.ps1"
$exo = Get-PSSession | Where-Object { $_.ConfigurationName -eq 'Microsoft.Exchange' } | Select-Object -First 1
Invoke-Command -Session $exo -ScriptBlock { Get-Mailbox -ResultSize 10 | Select-Object Alias }
Get-PSSession | Where-Object ComputerName -like '*outlook.office365.com' | Remove-PSSession
