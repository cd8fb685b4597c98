#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh -Credential $UserCredential -ShowBanner:$false
