#Requires -Modules @{ ModuleName = 'ExchangeOnlineManagement'; ModuleVersion = '3.0.0' }
winrm set winrm/config/client/auth @{Basic="true"}
Set-Item -Path WSMan:\localhost\Client\Auth\Basic -Value $true
Set-ItemProperty -Path HKLM:\Software\Policies\Microsoft\Windows\WinRM\Client -Name AllowBasic -Value 1
Connect-ExchangeOnline -Credential $Credential -ShowBanner:$false
