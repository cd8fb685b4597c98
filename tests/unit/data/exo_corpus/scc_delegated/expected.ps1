#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$Uri = 'https://ps.compliance.protection.outlook.com/powershell-liveid?DelegatedOrg=' + $Customer
Connect-IPPSSession -Credential $UserCredential -DelegatedOrganization $Customer -AzureADAuthorizationEndpointUri "https://login.microsoftonline.com/$($Customer)" -ShowBanner:$false
