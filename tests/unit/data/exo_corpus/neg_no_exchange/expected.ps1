$s = New-PSSession -ComputerName fileserver01 -Credential $cred
Invoke-Command -Session $s -ScriptBlock { Get-ChildItem D:\Shares }
Get-PSSession | Remove-PSSession
