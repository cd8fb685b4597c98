$Token = Get-AccessToken
$Cred = New-Object System.Management.Automation.PSCredential('OAuthUser@contoso.onmicrosoft.com', (ConvertTo-SecureString "Bearer $Token" -AsPlainText -Force))
$Uri = 'https://outlook.office365.com/PowerShell-LiveID?BasicAuthToOAuthConversion=true&email=SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.onmicrosoft.com'
$Session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential $Cred -Authentication Basic -AllowRedirection
Import-PSSession $Session
