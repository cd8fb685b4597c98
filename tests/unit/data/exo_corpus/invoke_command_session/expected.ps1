#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
$stats = Invoke-Command -Session $Session -ScriptBlock { Get-MailboxStatistics -Identity $using:Upn }
Disconnect-ExchangeOnline -Confirm:$false
