$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office.de/PowerShell-LiveID -Credential $UserCredential -Authentication Basic -AllowRedirection
Import-PSSession $Session
