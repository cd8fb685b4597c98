#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$uri = 'https://outlook.office365.com/powershell-liveid/'
if ($Partner) {
    Connect-ExchangeOnline -Credential ([System.Management.Automation.PSCredential]::new($cred.UserName, $cred.Password.Copy())) -DelegatedOrganization $Tenant -ShowBanner:$false
} else {
    Connect-ExchangeOnline -Credential $cred -ShowBanner:$false
}
