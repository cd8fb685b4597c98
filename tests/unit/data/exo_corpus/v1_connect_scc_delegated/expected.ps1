#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Connect-IPPSSession -UserPrincipalName $Upn -DelegatedOrganization $Customer -AzureADAuthorizationEndpointUri "https://login.microsoftonline.com/$($Customer)" -ShowBanner:$false
