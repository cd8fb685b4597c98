$Credential = Import-Clixml -Path "$PSScriptRoot\exo.cred"
$SessionParams = $null
$Session = New-PSSession `
    -ConfigurationName Microsoft.Exchange `
    -ConnectionUri https://outlook.office365.com/powershell-liveid/ `
    -Credential $Credential `
    -Authentication Basic `
    -AllowRedirection
Import-PSSession $Session `
    -DisableNameChecking `
    -AllowClobber
Get-Mailbox -Identity user@contoso.com
Get-PSSession | Remove-PSSession
