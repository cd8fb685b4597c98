$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $c -Authentication Basic -AllowRedirection
$Modules = Import-PSSession $s -CommandName Get-Mailbox, Set-Mailbox -AllowClobber
if ($Modules.Count -ne 1) {
    throw 'Import of the Exchange cmdlets failed'
}
Set-Mailbox -Identity $Upn -LitigationHoldEnabled $true
