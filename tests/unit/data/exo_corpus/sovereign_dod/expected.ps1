#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovDoD -Credential $UserCredential -ShowBanner:$false
