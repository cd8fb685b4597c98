#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $Credential -Prefix Cloud -ShowBanner:$false
Get-CloudMailbox
