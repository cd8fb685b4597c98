function Connect-Cloud {
    $script:Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $script:Cred -Authentication Basic -AllowRedirection
    Import-PSSession $script:Session -DisableNameChecking | Out-Null
}
function Disconnect-Cloud {
    Get-PSSession | Where-Object {$_.ConfigurationName -eq "Microsoft.Exchange"} | Remove-PSSession
}
Connect-Cloud
Get-Mailbox
Disconnect-Cloud
