#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $c -CommandName Get-Mailbox, Set-Mailbox -ShowBanner:$false
if (-not (Get-ConnectionInformation | Where-Object { $_.State -eq 'Connected' -and $_.Name -like 'ExchangeOnline_*' })) {
    throw 'Import of the Exchange cmdlets failed'
}
Set-Mailbox -Identity $Upn -LitigationHoldEnabled $true
