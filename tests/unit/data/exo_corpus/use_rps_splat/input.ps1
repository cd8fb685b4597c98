$ExoParams = @{
    UserPrincipalName = $Upn
    UseRPSSession     = $true
    ShowBanner        = $false
}
Connect-ExchangeOnline @ExoParams
$IppParams = @{ UserPrincipalName = $Upn; UseRPSSession = $true }
$IppParams.UseRPSSession = $true
$IppParams['UseRPSSession'] = $true
$IppParams.Add('UseRPSSession', $true)
Connect-IPPSSession @IppParams
if ((Get-Command Connect-IPPSSession).Parameters.ContainsKey('UseRPSSession')) { Write-Verbose 'old module' }
