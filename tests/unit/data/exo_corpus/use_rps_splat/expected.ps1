#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
$ExoParams = @{
    UserPrincipalName = $Upn
    ShowBanner        = $false
}
Connect-ExchangeOnline @ExoParams
$IppParams = @{ UserPrincipalName = $Upn;  }
Connect-IPPSSession @IppParams
if ((Get-Command Connect-IPPSSession).Parameters.ContainsKey('UseRPSSession')) { Write-Verbose 'old module' }
