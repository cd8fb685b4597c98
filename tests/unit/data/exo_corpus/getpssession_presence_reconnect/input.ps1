if (-not (Get-PSSession | Where-Object { $_.ConfigurationName -eq 'Microsoft.Exchange' -and $_.State -eq 'Opened' })) {
    $s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
    Import-PSSession $s -DisableNameChecking | Out-Null
}
$live = Get-PSSession | Where-Object ComputerName -eq 'outlook.office365.com'
if ($live.Count -eq 0) { throw 'no Exchange Online session' }
Get-Mailbox -ResultSize 5
