# PowerShell profile
Set-PSReadLineOption -EditMode Emacs
function exo {
    $s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Authentication Basic -AllowRedirection -Credential (Import-Clixml ~/.exo.xml)
    Import-PSSession $s -AllowClobber | Out-Null
}
