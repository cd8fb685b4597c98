$cred = Get-Credential -UserName admin@contoso.onmicrosoft.com -Message 'Tenant admin'
Connect-AzureAD -Credential $cred | Out-Null
$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ -Credential $cred -Authentication Basic -AllowRedirection
Import-PSSession $s -DisableNameChecking | Out-Null
Connect-MsolService -Credential $cred
Get-Mailbox -ResultSize 10
