#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
if (-not (Get-ConnectionInformation | Where-Object { $_.State -eq 'Connected' -and $_.Name -like 'ExchangeOnline_*' })) {
    Connect-ExchangeOnline -Credential $c -ShowBanner:$false
}
$live = Get-ConnectionInformation | Where-Object { $_.State -eq 'Connected' -and $_.Name -like 'ExchangeOnline_*' }
if ($live.Count -eq 0) { throw 'no Exchange Online session' }
Get-Mailbox -ResultSize 5
