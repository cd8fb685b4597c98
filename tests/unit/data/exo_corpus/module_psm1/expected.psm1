#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
Set-StrictMode -Version Latest

function Connect-Tenant {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [pscredential] $Credential)
    Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
}

function Disconnect-Tenant {
    Disconnect-ExchangeOnline -Confirm:$false
}

Export-ModuleMember -Function Connect-Tenant, Disconnect-Tenant
