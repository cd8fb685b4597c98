function Assert-Connected {
    if (!$global:EOLSession) {
        throw 'Not connected to Exchange Online'
    }
}
$global:EOLSession = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
Import-PSSession $global:EOLSession | Out-Null
Assert-Connected
Get-Mailbox -Identity $Upn
if ($null -ne $EOLSession) { Remove-PSSession $EOLSession }
