#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-IPPSSession -Credential $UserCredential -Prefix cc -ShowBanner:$false
Get-ccComplianceSearch
Disconnect-ExchangeOnline -Confirm:$false
