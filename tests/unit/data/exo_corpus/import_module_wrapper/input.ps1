$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Credential -Authentication Basic -AllowRedirection
Import-Module (Import-PSSession $Session -AllowClobber -DisableNameChecking) -Global -Prefix Cloud
Get-CloudMailbox
