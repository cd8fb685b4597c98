#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
function Assert-Connected {
    if (!([bool](Get-ConnectionInformation | Where-Object { $_.State -eq 'Connected' -and $_.Name -like 'ExchangeOnline_*' }))) {
        throw 'Not connected to Exchange Online'
    }
}
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
Assert-Connected
Get-Mailbox -Identity $Upn
if ([bool](Get-ConnectionInformation | Where-Object { $_.State -eq 'Connected' -and $_.Name -like 'ExchangeOnline_*' })) { Disconnect-ExchangeOnline -Confirm:$false }
