#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
$stats = Get-MailboxStatistics -Identity user@contoso.com
$sizeMB = $stats.TotalItemSize.Value.ToMB()
Search-Mailbox -Identity user@contoso.com -SearchQuery 'subject:invoice' -EstimateResultOnly
try { Set-Mailbox -Identity x -ErrorAction Stop } catch { if ($_.FullyQualifiedErrorId -like '*NotFound*') { 'missing' } }
