#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $Credential -CommandName Get-Mailbox,Set-Mailbox,Get-MailboxStatistics -FormatTypeName * -ShowBanner:$false
