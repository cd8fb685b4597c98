#Requires -Modules ExchangeOnlineManagement
Connect-ExchangeOnline -ShowBanner:$false
Connect-ExchangeOnline -UserPrincipalName $Upn
Connect-ExchangeOnline -Credential $Cred
try {
    Connect-IPPSSession -UserPrincipalName $Upn -ErrorAction Stop
} catch {
    Connect-IPPSSession -UserPrincipalName $Upn
}
