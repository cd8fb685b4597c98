#Requires -Modules ExchangeOnlineManagement
Connect-ExchangeOnline -UseRPSSession:$true -ShowBanner:$false
Connect-ExchangeOnline -UserPrincipalName $Upn -UseRPSSession:$false
Connect-ExchangeOnline -UseRPSSession $true -Credential $Cred
try {
    Connect-IPPSSession -UserPrincipalName $Upn -ErrorAction Stop
} catch {
    Connect-IPPSSession -UserPrincipalName $Upn `
        -UseRPSSession
}
