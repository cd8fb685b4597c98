$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
[void](Import-PSSession $Session -CommandName Get-Mailbox,Set-Mailbox,Get-MailboxStatistics -FormatTypeName * -AllowClobber)
