if ($Cloud) {
    $sessionParams = @{
        ConfigurationName = 'Microsoft.Exchange'
        ConnectionUri     = 'https://outlook.office365.com/powershell-liveid/'
        Authentication    = 'Basic'
        AllowRedirection  = $true
        Credential        = $cred
    }
} else {
    $sessionParams = @{
        ConfigurationName = 'Microsoft.Exchange'
        ConnectionUri     = "http://$Server/PowerShell/"
        Authentication    = 'Kerberos'
    }
}
$s = New-PSSession @sessionParams
Import-PSSession $s -DisableNameChecking
