#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
# Résumé des boîtes aux lettres – café
Connect-ExchangeOnline -Credential $Cred -ShowBanner:$false
Get-Mailbox | Select-Object DisplayName
Disconnect-ExchangeOnline -Confirm:$false
