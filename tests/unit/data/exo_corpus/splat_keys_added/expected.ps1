#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$NewPsSessionParams = @{}
$NewPsSessionParams.ConfigurationName = 'Microsoft.Exchange'
$NewPsSessionParams.ConnectionURI = 'https://outlook.office365.com/powershell-liveid/'
$NewPsSessionParams['Authentication'] = 'Basic'
$NewPsSessionParams.Add('AllowRedirection', $true)
$NewPsSessionParams.Credential = $Credential
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false -ErrorAction Stop
