<#
.SYNOPSIS
    Connects to Exchange Online.
.DESCRIPTION
    Used by the nightly jobs.
#>
#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
[CmdletBinding()]
param(
    [string] $Org = 'contoso.onmicrosoft.com'
)

# connect
try {
    Connect-ExchangeOnline -Credential $Cred -ShowBanner:$false -ErrorAction Stop
}
catch {
    Write-Error "Connect failed: $_"
    exit 1
}
