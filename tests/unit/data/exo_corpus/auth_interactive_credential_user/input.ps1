$Cred = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList 'admin@contoso.onmicrosoft.com', $SecurePassword
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session
