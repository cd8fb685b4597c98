$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
Import-PSSession $s
$exo = Get-PSSession | Where-Object { $_.ConfigurationName -eq 'Microsoft.Exchange' }
Invoke-Command -Session $exo -ScriptBlock { Get-Mailbox }
