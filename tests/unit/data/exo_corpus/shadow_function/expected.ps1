#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
function Connect-ExchangeOnline {
    param([pscredential] $Credential)
    ExchangeOnlineManagement\Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
}
function Disconnect-ExchangeOnline {
    ExchangeOnlineManagement\Disconnect-ExchangeOnline -Confirm:$false
}
Connect-ExchangeOnline -Credential (Get-Credential)
Get-Mailbox
Disconnect-ExchangeOnline
