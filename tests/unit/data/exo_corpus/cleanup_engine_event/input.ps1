$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
Import-PSSession $Session
Register-EngineEvent PowerShell.Exiting -Action { Remove-PSSession $Session -ErrorAction SilentlyContinue } | Out-Null
Get-Mailbox
