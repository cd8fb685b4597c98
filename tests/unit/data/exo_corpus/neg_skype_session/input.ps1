Import-Module SkypeOnlineConnector
$sfbSession = New-CsOnlineSession -Credential $Cred -OverrideAdminDomain contoso.onmicrosoft.com
Import-PSSession $sfbSession -AllowClobber
$lync = New-PSSession -ConnectionUri https://admin1a.online.lync.com/OcsPowershellLiveId -Credential $Cred
Import-PSSession $lync
# $s = New-PSSession -ConnectionUri https://admin0a.online.lync.com/OcsPowershellOAuth -Credential $Cred
Get-CsOnlineUser
Remove-PSSession $sfbSession
