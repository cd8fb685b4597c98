$LiveCred = Get-Credential
$Session = New-PSSession –ConfigurationName \u201cMicrosoft.Exchange\u201d –ConnectionUri \u2018https://ps.outlook.com/powershell/\u2019 –Credential $LiveCred –Authentication Basic –AllowRedirection
Import-PSSession $Session –AllowClobber
Write-Host "Café – connected"
Remove-PSSession $Session
