function Get-Tail { param($Path) Get-Content -Path $Path -Tail 5 }
$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
Import-PSSession $s | Out-Null
Get-Mailbox -ResultSize 5
Get-Tail -Path C:\logs\run.log
