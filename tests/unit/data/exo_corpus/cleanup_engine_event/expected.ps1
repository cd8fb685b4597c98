#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
Register-EngineEvent PowerShell.Exiting -Action { Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue } | Out-Null
Get-Mailbox
