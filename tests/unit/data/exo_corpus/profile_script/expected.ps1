#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
# PowerShell profile
Set-PSReadLineOption -EditMode Emacs
function exo {
    Connect-ExchangeOnline -Credential (Import-Clixml ~/.exo.xml) -ShowBanner:$false
}
