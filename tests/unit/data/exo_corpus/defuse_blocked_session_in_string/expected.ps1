$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
Import-PSSession $Session
Write-Output "Connected through $($Session.ComputerName)"
Get-Mailbox
Remove-PSSession $Session
