#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$ExoServer = 'ps.outlook.com'
$ExoApp = '/PowerShell-LiveID'
$Uri = "https://$ExoServer$ExoApp"
Connect-ExchangeOnline -Credential $Cred -ShowBanner:$false
