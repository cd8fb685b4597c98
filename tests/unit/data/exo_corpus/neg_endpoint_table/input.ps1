<#
  Endpoints used by the old Remote PowerShell sessions (kept for reference):
    New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/
    https://ps.compliance.protection.outlook.com/powershell-liveid/
    Connect-EXOPSSession / New-ExoPSSession / -UseRPSSession
#>
$Endpoints = @(
    'https://outlook.office365.com/powershell-liveid/',
    'https://outlook.office365.us/powershell-liveid/',
    'https://ps.compliance.protection.outlook.com/powershell-liveid/'
)
# $Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Endpoints[0]
foreach ($e in $Endpoints) { Write-Output "endpoint: $e" }
