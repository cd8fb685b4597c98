$modules = @(Get-ChildItem -Path "$($env:LOCALAPPDATA)\Apps\2.0" -Filter "Microsoft.Exchange.Management.ExoPowershellModule.manifest" -Recurse)
$ExoModule = (Get-ChildItem -Path $modules[0].DirectoryName -Filter "Microsoft.Exchange.Management.ExoPowershellModule.dll").FullName
Import-Module $ExoModule
Connect-EXOPSSession -UserPrincipalName $Upn -ConnectionUri https://ps.compliance.protection.outlook.com/PowerShell-LiveId -DelegatedOrganization $Customer
