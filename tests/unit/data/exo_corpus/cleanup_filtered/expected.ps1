#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
function Connect-Cloud {
    Connect-ExchangeOnline -Credential $script:Cred -ShowBanner:$false
}
function Disconnect-Cloud {
    Disconnect-ExchangeOnline -Confirm:$false
}
Connect-Cloud
Get-Mailbox
Disconnect-Cloud
