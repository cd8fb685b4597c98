$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
$job = Invoke-Command -Session $Session -ScriptBlock { Get-Mailbox } -AsJob -JobName Mailboxes
Receive-Job $job -Wait
Remove-PSSession $Session
