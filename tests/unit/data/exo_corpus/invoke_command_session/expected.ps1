$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
Import-PSSession $Session -DisableNameChecking
$stats = Invoke-Command -Session $Session -ScriptBlock { Get-MailboxStatistics -Identity $using:Upn }
Remove-PSSession $Session
