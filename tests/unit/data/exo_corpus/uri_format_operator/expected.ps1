#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$ExoHost = 'outlook.office365.com'
$Uri = 'https://{0}/powershell-liveid/' -f $ExoHost
Connect-ExchangeOnline -Credential (Get-Credential) -ShowBanner:$false
