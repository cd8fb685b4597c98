function Connect-ExchangeOnline {
    param([pscredential] $Credential)
    $Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
    Import-PSSession $Session -AllowClobber | Out-Null
}
function Disconnect-ExchangeOnline {
    Get-PSSession | Where-Object { $_.ComputerName -eq 'outlook.office365.com' } | Remove-PSSession
}
Connect-ExchangeOnline -Credential (Get-Credential)
Get-Mailbox
Disconnect-ExchangeOnline
