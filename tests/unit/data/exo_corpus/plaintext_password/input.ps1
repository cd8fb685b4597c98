$User = 'svc-exo@contoso.onmicrosoft.com'
$Password = ConvertTo-SecureString 'Summer2019!' -AsPlainText -Force
$Cred = New-Object System.Management.Automation.PSCredential($User, $Password)
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session
