#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -ExchangeEnvironmentName O365China -Credential $UserCredential -ShowBanner:$false
