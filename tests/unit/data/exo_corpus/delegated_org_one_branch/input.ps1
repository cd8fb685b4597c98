param([string]$Tenant)
$params = @{
    ConfigurationName = 'Microsoft.Exchange'
    ConnectionUri     = 'https://outlook.office365.com/powershell-liveid/'
    Credential        = $cred
    Authentication    = 'Basic'
    AllowRedirection  = $true
}
if ($Tenant) {
    $params.ConnectionUri = "https://ps.outlook.com/powershell-liveid?DelegatedOrg=$Tenant"
}
$s = New-PSSession @params
Import-PSSession $s
