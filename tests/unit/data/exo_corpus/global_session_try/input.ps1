<#
.SYNOPSIS
    Connects to Exchange Online.
.DESCRIPTION
    Used by the nightly jobs.
#>
[CmdletBinding()]
param(
    [string] $Org = 'contoso.onmicrosoft.com'
)

# connect
try {
    $Global:Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri 'https://outlook.office365.com/powershell-liveid/' -Credential $Cred -Authentication Basic -AllowRedirection -ErrorAction Stop
    Import-PSSession $Global:Session -DisableNameChecking -AllowClobber | Out-Null
}
catch {
    Write-Error "Connect failed: $_"
    exit 1
}
