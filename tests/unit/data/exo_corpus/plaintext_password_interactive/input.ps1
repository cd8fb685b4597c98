$pw = "Winter2020#"
$Cred = [pscredential]::new('admin@contoso.onmicrosoft.com', (ConvertTo-SecureString -String $pw -AsPlainText -Force))
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session
