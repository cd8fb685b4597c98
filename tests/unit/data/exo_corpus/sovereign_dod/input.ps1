$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri "https://webmail.apps.mil/powershell-liveID" -Credential $UserCredential -Authentication Basic -AllowRedirection
Import-PSSession $Session -DisableNameChecking
