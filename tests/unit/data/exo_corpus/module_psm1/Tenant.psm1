Set-StrictMode -Version Latest

function Connect-Tenant {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [pscredential] $Credential)
    $Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
    Import-Module (Import-PSSession $Session -DisableNameChecking -AllowClobber) -Global
}

function Disconnect-Tenant {
    Get-PSSession | Where-Object { $_.ConfigurationName -eq 'Microsoft.Exchange' } | Remove-PSSession
}

Export-ModuleMember -Function Connect-Tenant, Disconnect-Tenant
