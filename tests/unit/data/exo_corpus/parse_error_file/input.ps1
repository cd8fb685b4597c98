$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
Import-PSSession $Session
if ($x -eq 1 {
    Connect-ExchangeOnline -UseRPSSession
