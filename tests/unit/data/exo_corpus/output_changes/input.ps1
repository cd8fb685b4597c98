$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
Import-PSSession $Session
$stats = Get-MailboxStatistics -Identity user@contoso.com
$sizeMB = $stats.TotalItemSize.Value.ToMB()
Search-Mailbox -Identity user@contoso.com -SearchQuery 'subject:invoice' -EstimateResultOnly
try { Set-Mailbox -Identity x -ErrorAction Stop } catch { if ($_.FullyQualifiedErrorId -like '*NotFound*') { 'missing' } }
