$Uri = 'https://ps.compliance.protection.outlook.com/powershell-liveid?DelegatedOrg=' + $Customer
$SccSession = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $Uri -Credential $UserCredential -Authentication Basic -AllowRedirection
Import-PSSession $SccSession
