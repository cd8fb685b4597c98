# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE: this module_util is for internal use by mailtls.remediation only.
# It reads and writes raw registry values for tls_facts and system_tls on Windows.
# It never interprets them: the collection's Python brain (_windows_tls.py) does.

$script:SchannelBase = 'SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols'
$script:SchannelProtocols = @('SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3', 'DTLS 1.0', 'DTLS 1.2')
$script:SchannelValues = @('Enabled', 'DisabledByDefault')
$script:DotnetValues = @('SchUseStrongCrypto', 'SystemDefaultTlsVersions')
$script:ReadSpec = @(
    @{ Path = 'SOFTWARE\Microsoft\.NETFramework\v4.0.30319'; Names = $script:DotnetValues },
    @{ Path = 'SOFTWARE\Microsoft\.NETFramework\v2.0.50727'; Names = $script:DotnetValues },
    @{ Path = 'SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319'; Names = $script:DotnetValues },
    @{ Path = 'SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v2.0.50727'; Names = $script:DotnetValues },
    @{ Path = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp'; Names = @('DefaultSecureProtocols') },
    @{ Path = 'SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp'; Names = @('DefaultSecureProtocols') },
    @{ Path = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings'; Names = @('SecureProtocols') },
    @{ Path = 'SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings'; Names = @('SecureProtocols') }
)
# Updates the brain asks about (KB3140245 WinHTTP, KB4019276 2008 SP2 TLS 1.2, KB3080079 RDP/CredSSP
# TLS 1.2, KB3154517-KB3154520 the .NET 3.5 TLS rollups); only listed on 2008 SP2 to 2012 R2.
$script:TlsHotfixes = @('KB3140245', 'KB4019276', 'KB3080079', 'KB3154517', 'KB3154518', 'KB3154519', 'KB3154520')
$script:CipherPolicyKey = 'SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002'
$script:CipherLocalKey = 'SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002'

Function Get-MailTlsValue {
    <# One registry value or $null; safe under Set-StrictMode (never touches a property that may be absent). #>
    param([string]$Path, [string]$Name)
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) {
        return $null
    }
    $item.$Name
}

Function Get-MailTlsHklm {
    # The 64-bit view, so Wow6432Node paths are read literally from a 64-bit or 32-bit host.
    [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
}

Function ConvertTo-MailTlsRawData {
    param($Kind, $Data)
    switch ($Kind) {
        'DWord' { return [BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$Data), 0) }
        'QWord' { return [BitConverter]::ToUInt64([BitConverter]::GetBytes([int64]$Data), 0) }
        'Binary' { return @($Data | ForEach-Object { [int]$_ }) }
        'MultiString' { return @($Data | ForEach-Object { [string]$_ }) }
        default { return [string]$Data }
    }
}

Function ConvertFrom-MailTlsRawData {
    param($Kind, $Data)
    switch ($Kind) {
        'DWord' { return [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$Data), 0) }
        'QWord' { return [BitConverter]::ToInt64([BitConverter]::GetBytes([uint64]$Data), 0) }
        'Binary' { return [byte[]]@($Data | ForEach-Object { [byte]$_ }) }
        'MultiString' { return [string[]]@($Data | ForEach-Object { [string]$_ }) }
        default { return [string]$Data }
    }
}

Function Read-MailTlsKey {
    <# Reads the named values of one HKLM key: absent values are reported as type 'absent'. #>
    param($Hklm, [string]$Path, [string[]]$Names)
    $values = @{}
    $exists = $false
    $key = $Hklm.OpenSubKey($Path, $false)
    try {
        if ($null -ne $key) {
            $exists = $true
            $present = @($key.GetValueNames())
        }
        foreach ($name in $Names) {
            if ($exists -and ($present -contains $name)) {
                $kind = $key.GetValueKind($name).ToString()
                $data = $key.GetValue($name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
                $values[$name] = @{ type = $kind; value = (ConvertTo-MailTlsRawData -Kind $kind -Data $data) }
            }
            else {
                $values[$name] = @{ type = 'absent'; value = $null }
            }
        }
    }
    finally {
        if ($null -ne $key) {
            $key.Dispose()
        }
    }
    @{ exists = $exists; values = $values }
}

Function Get-MailTlsOs {
    $cvPath = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
    $version = [Version]$os.Version
    $itype = Get-MailTlsValue -Path $cvPath -Name InstallationType
    if (-not $itype) {
        $itype = if ($os.ProductType -eq 1) { 'Client' } else { 'Server' }
    }
    # DisplayVersion exists from 20H2, ReleaseId from 1507 to 2009, UBR from Windows 10 on.
    $display = Get-MailTlsValue -Path $cvPath -Name DisplayVersion
    if (-not $display) {
        $display = Get-MailTlsValue -Path $cvPath -Name ReleaseId
    }
    $ubr = Get-MailTlsValue -Path $cvPath -Name UBR
    @{
        product_name = $os.Caption
        edition_id = Get-MailTlsValue -Path $cvPath -Name EditionID
        installation_type = $itype
        major = $version.Major
        minor = $version.Minor
        build = $version.Build
        ubr = if ($null -ne $ubr) { [int]$ubr } else { $null }
        display_version = $display
        service_pack = [int]$os.ServicePackMajorVersion
        is_64bit = [Environment]::Is64BitOperatingSystem
        ui_culture = [System.Globalization.CultureInfo]::InstalledUICulture.Name
    }
}

Function Get-MailTlsPendingReboot {
    $reasons = [System.Collections.Generic.List[string]]@()
    if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') {
        $reasons.Add('Component Based Servicing')
    }
    if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') {
        $reasons.Add('Windows Update')
    }
    $pending = Get-MailTlsValue -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations
    if ($pending) {
        $reasons.Add('PendingFileRenameOperations')
    }
    @{ pending = ($reasons.Count -gt 0); reasons = @($reasons) }
}

Function Get-MailTlsWinRm {
    $listeners = [System.Collections.Generic.List[object]]@()
    $service = Get-Service -Name WinRM -ErrorAction SilentlyContinue
    foreach ($listener in @(Get-ChildItem -Path WSMan:\localhost\Listener -ErrorAction Stop)) {
        $item = @{ transport = $null; address = $null; port = $null; enabled = $null; certificate_thumbprint = $null }
        foreach ($k in @($listener.Keys)) {
            $pair = ([string]$k).Split('=', 2)
            if ($pair[0] -eq 'Transport') {
                $item.transport = $pair[1]
            }
            elseif ($pair[0] -eq 'Address') {
                $item.address = $pair[1]
            }
        }
        foreach ($setting in @(Get-ChildItem -Path "WSMan:\localhost\Listener\$($listener.Name)" -ErrorAction SilentlyContinue)) {
            switch ($setting.Name) {
                'Port' { $item.port = [int]$setting.Value }
                'Enabled' { $item.enabled = [string]$setting.Value -eq 'true' }
                'CertificateThumbprint' { $item.certificate_thumbprint = [string]$setting.Value }
            }
        }
        $listeners.Add($item)
    }
    @{ service = if ($null -ne $service) { $service.Status.ToString() } else { $null }; listeners = @($listeners) }
}

Function Get-MailTlsRawRead {
    <#
    .SYNOPSIS
    One read of everything the Windows brain interprets. Errors become entries of 'errors'.
    .PARAMETER Extra
    Additional @{ Path; Names } entries to read (the keys of a backup being restored).
    #>
    param([object[]]$Extra = @())
    $errors = [System.Collections.Generic.List[object]]@()
    $raw = @{ format = 1; registry = @{}; errors = $errors }
    try {
        $raw.os = Get-MailTlsOs
    }
    catch {
        $errors.Add(@{ what = 'the OS version'; where = 'Win32_OperatingSystem'; message = $_.Exception.Message })
        $raw.os = @{}
    }
    $spec = [System.Collections.Generic.List[object]]@()
    foreach ($protocol in $script:SchannelProtocols) {
        foreach ($role in @('Client', 'Server')) {
            $spec.Add(@{ Path = "$script:SchannelBase\$protocol\$role"; Names = $script:SchannelValues })
        }
    }
    foreach ($entry in ($script:ReadSpec + $Extra)) {
        $spec.Add($entry)
    }
    $hklm = Get-MailTlsHklm
    try {
        foreach ($entry in $spec) {
            $full = "HKLM\$($entry.Path)"
            try {
                $read = Read-MailTlsKey -Hklm $hklm -Path $entry.Path -Names $entry.Names
                if ($raw.registry.ContainsKey($full)) {
                    foreach ($n in $read.values.Keys) {
                        $raw.registry[$full].values[$n] = $read.values[$n]
                    }
                }
                else {
                    $raw.registry[$full] = $read
                }
            }
            catch {
                $errors.Add(@{ what = 'a registry key'; where = $full; message = $_.Exception.Message })
            }
        }
    }
    finally {
        $hklm.Dispose()
    }
    $release = Get-MailTlsValue -Path 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -Name Release
    $install35 = Get-MailTlsValue -Path 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v3.5' -Name Install
    $raw.dotnet = @{
        v4_release = if ($null -ne $release) { [int]$release } else { $null }
        v35_installed = ($install35 -eq 1)
    }
    $ie = 'HKLM:\SOFTWARE\Microsoft\Internet Explorer'
    $raw.internet_explorer = @{ version = Get-MailTlsValue -Path $ie -Name Version; svc_version = Get-MailTlsValue -Path $ie -Name svcVersion }
    foreach ($part in @(
            @{ key = 'wininet_users'; what = 'the WinINet settings of loaded user profiles'; location = 'HKEY_USERS'; read = { Get-MailTlsWinInetUser } },
            @{ key = 'sql_server'; what = 'the SQL Server instances'; location = 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server'; read = { Get-MailTlsSqlServer } },
            @{ key = 'rdp'; what = 'the RDP listener'; location = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'; read = { Get-MailTlsRdp } }
        )) {
        try {
            $raw[$part.key] = & $part.read
        }
        catch {
            $errors.Add(@{ what = $part.what; where = $part.location; message = $_.Exception.Message })
            $raw[$part.key] = $null
        }
    }
    $hklmCipher = Get-MailTlsHklm
    try {
        $raw.cipher_suites = @{
            policy = (Read-MailTlsKey -Hklm $hklmCipher -Path $script:CipherPolicyKey -Names @('Functions')).values.Functions
            local = (Read-MailTlsKey -Hklm $hklmCipher -Path $script:CipherLocalKey -Names @('Functions')).values.Functions
        }
    }
    catch {
        $errors.Add(@{ what = 'the cipher suite order'; where = "HKLM\$script:CipherPolicyKey"; message = $_.Exception.Message })
        $raw.cipher_suites = $null
    }
    finally {
        $hklmCipher.Dispose()
    }
    $raw.hotfixes = @()
    $needsKb = $raw.os.major -eq 6 -and $raw.os.minor -le 3
    if ($needsKb) {
        try {
            $filter = ($script:TlsHotfixes | ForEach-Object { "HotFixID='$_'" }) -join ' OR '
            $raw.hotfixes = @(Get-CimInstance -ClassName Win32_QuickFixEngineering -Filter $filter -ErrorAction Stop | ForEach-Object { $_.HotFixID })
        }
        catch {
            $errors.Add(@{ what = 'the installed updates'; where = 'Win32_QuickFixEngineering'; message = $_.Exception.Message })
        }
    }
    $engines = [System.Collections.Generic.List[string]]@()
    foreach ($engineKey in @('1', '3')) {
        $engine = Get-MailTlsValue -Path "HKLM:\SOFTWARE\Microsoft\PowerShell\$engineKey\PowerShellEngine" -Name PowerShellVersion
        if ($engine) {
            $engines.Add([string]$engine)
        }
    }
    foreach ($core in @(Get-ChildItem -LiteralPath 'HKLM:\SOFTWARE\Microsoft\PowerShellCore\InstalledVersions' -ErrorAction SilentlyContinue)) {
        $semver = Get-MailTlsValue -Path $core.PSPath -Name SemanticVersion
        if ($semver) {
            $engines.Add([string]$semver)
        }
    }
    # process: powershell under WinRM's winrshost, wsmprovhost under PSRP (one process for every task)
    $raw.powershell = @{
        version = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition; engines = @($engines)
        process = [System.Diagnostics.Process]::GetCurrentProcess().ProcessName
    }
    $raw.pending_reboot = Get-MailTlsPendingReboot
    try {
        $raw.winrm = Get-MailTlsWinRm
    }
    catch {
        $errors.Add(@{ what = 'the WinRM listeners'; where = 'WSMan:\localhost\Listener'; message = $_.Exception.Message })
        $raw.winrm = @{ service = $null; listeners = @() }
    }
    $raw
}

Function Get-MailTlsBackup {
    <# Loads a backup file, or the newest 'change' backup of a directory. Returns $null when none exists. #>
    param([string]$File, [string]$Directory)
    if (-not $File) {
        if (-not (Test-Path -LiteralPath $Directory -PathType Container)) {
            return $null
        }
        $candidates = @(Get-ChildItem -LiteralPath $Directory -Filter 'system_tls-*.json' | Sort-Object -Property Name -Descending)
        foreach ($candidate in $candidates) {
            $data = Get-Content -LiteralPath $candidate.FullName -Raw | ConvertFrom-Json
            if ($data.kind -eq 'change') {
                return @{ path = $candidate.FullName; data = $data }
            }
        }
        return $null
    }
    @{ path = $File; data = (Get-Content -LiteralPath $File -Raw | ConvertFrom-Json) }
}

Function Get-MailTlsBackupExtra {
    <# The keys a backup mentions, as extra read entries. #>
    param($Backup)
    $byPath = @{}
    foreach ($entry in @($Backup.entries)) {
        if (-not $byPath.ContainsKey($entry.path)) {
            $byPath[$entry.path] = [System.Collections.Generic.List[string]]@()
        }
        $byPath[$entry.path].Add([string]$entry.name)
    }
    foreach ($path in $byPath.Keys) {
        @{ Path = $path; Names = [string[]]$byPath[$path] }
    }
}

Function Test-MailTlsSame {
    param($Current, $Expected)
    if ([bool]$Expected.exists -ne ($Current.type -ne 'absent')) {
        return $false
    }
    if (-not $Expected.exists) {
        return $true
    }
    if ($Current.type -ne $Expected.type) {
        return $false
    }
    $a = ConvertTo-Json -InputObject $Current.value -Compress -Depth 3
    $b = ConvertTo-Json -InputObject $Expected.value -Compress -Depth 3
    $a -eq $b
}

Function Invoke-MailTlsPlan {
    <#
    .SYNOPSIS
    Writes exactly the plan's changes. Refuses to start when a value changed since it was read,
    writes the backup file first, and never writes a value the plan does not name.
    #>
    param($Module, $Plan, [string]$BackupDir, [bool]$Backup)
    $changes = @($Plan.changes)
    $hklm = Get-MailTlsHklm
    try {
        foreach ($change in $changes) {
            $current = (Read-MailTlsKey -Hklm $hklm -Path $change.path -Names @($change.name)).values[$change.name]
            if (-not (Test-MailTlsSame -Current $current -Expected $change.before)) {
                $Module.FailJson("value changed since it was read at HKLM\$($change.path)\$($change.name); nothing was written, run the task again")
            }
        }
        $backupFile = $null
        if ($Backup -and $changes.Count -gt 0) {
            try {
                if (-not (Test-Path -LiteralPath $BackupDir -PathType Container)) {
                    New-Item -Path $BackupDir -ItemType Directory -Force | Out-Null
                }
                $stamp = [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssfffZ')
                $backupFile = Join-Path -Path $BackupDir -ChildPath "system_tls-$stamp.json"
                $entries = @($changes | ForEach-Object {
                        @{ hive = 'HKLM'; path = $_.path; name = $_.name; key_existed = [bool]$_.key_existed; before = $_.before }
                    })
                $record = @{
                    format = 1
                    kind = if ($Plan.kind) { [string]$Plan.kind } else { 'change' }
                    created = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
                    host = $env:COMPUTERNAME
                    entries = $entries
                }
                $tmp = "$backupFile.tmp"
                [System.IO.File]::WriteAllText($tmp, (ConvertTo-Json -InputObject $record -Depth 8))
                Move-Item -LiteralPath $tmp -Destination $backupFile -Force
            }
            catch {
                $Module.FailJson("failed to write the backup at $($backupFile): $($_.Exception.Message)", $_)
            }
        }
        foreach ($change in $changes) {
            $where = "HKLM\$($change.path)\$($change.name)"
            try {
                if ($change.after.exists) {
                    $key = $hklm.CreateSubKey($change.path)
                    try {
                        $kind = [Microsoft.Win32.RegistryValueKind]$change.after.type
                        $data = ConvertFrom-MailTlsRawData -Kind $change.after.type -Data $change.after.value
                        $key.SetValue($change.name, $data, $kind)
                    }
                    finally {
                        $key.Dispose()
                    }
                }
                else {
                    $key = $hklm.OpenSubKey($change.path, $true)
                    if ($null -ne $key) {
                        try {
                            $key.DeleteValue($change.name, $false)
                            $empty = $key.ValueCount -eq 0 -and $key.SubKeyCount -eq 0
                        }
                        finally {
                            $key.Dispose()
                        }
                        if ($change.remove_key_if_empty -and $empty) {
                            $hklm.DeleteSubKey($change.path, $false)
                        }
                    }
                }
            }
            catch {
                $Module.FailJson("failed to write the registry value at $($where) (backup: $backupFile): $($_.Exception.Message)", $_)
            }
        }
    }
    finally {
        $hklm.Dispose()
    }
    $backupFile
}

Function Get-MailTlsWinInetUser {
    <# SecureProtocols (own and policy) of every loaded user profile under HKEY_USERS. #>
    $users = [System.Collections.Generic.List[object]]@()
    $hku = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::Users, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        foreach ($sid in @($hku.GetSubKeyNames())) {
            if ($sid -notlike 'S-1-5-21-*' -or $sid -like '*_Classes') {
                continue
            }
            $name = $sid
            try {
                $name = ([System.Security.Principal.SecurityIdentifier]$sid).Translate([System.Security.Principal.NTAccount]).Value
            }
            catch {
                $name = $sid
            }
            $own = Read-MailTlsKey -Hklm $hku -Path "$sid\Software\Microsoft\Windows\CurrentVersion\Internet Settings" -Names @('SecureProtocols')
            $pol = Read-MailTlsKey -Hklm $hku -Path "$sid\Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings" -Names @('SecureProtocols')
            $users.Add(@{ sid = $sid; user = $name; values = $own.values; policy = $pol.values })
        }
    }
    finally {
        $hku.Dispose()
    }
    , @($users)
}

Function Get-MailTlsSqlServer {
    <# SQL Server instances (both registry views) with the versions their registry records. #>
    $instances = [System.Collections.Generic.List[object]]@()
    foreach ($root in @('HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server', 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Microsoft SQL Server')) {
        $names = Get-Item -LiteralPath "$root\Instance Names\SQL" -ErrorAction SilentlyContinue
        if ($null -eq $names) {
            continue
        }
        foreach ($instance in @($names.GetValueNames())) {
            $id = [string]$names.GetValue($instance)
            $instances.Add(@{
                    name = $instance
                    id = $id
                    view = if ($root -like '*Wow6432Node*') { '32-bit' } else { '64-bit' }
                    version = Get-MailTlsValue -Path "$root\$id\Setup" -Name Version
                    patch_level = Get-MailTlsValue -Path "$root\$id\Setup" -Name PatchLevel
                    edition = Get-MailTlsValue -Path "$root\$id\Setup" -Name Edition
                    current_version = Get-MailTlsValue -Path "$root\$id\MSSQLServer\CurrentVersion" -Name CurrentVersion
                })
        }
    }
    @{ instances = @($instances) }
}

Function Get-MailTlsRdp {
    $ts = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'
    @{
        deny_connections = Get-MailTlsValue -Path $ts -Name fDenyTSConnections
        security_layer = Get-MailTlsValue -Path "$ts\WinStations\RDP-Tcp" -Name SecurityLayer
        user_authentication = Get-MailTlsValue -Path "$ts\WinStations\RDP-Tcp" -Name UserAuthentication
    }
}

$exportMembers = @{
    Function = 'Get-MailTlsRawRead', 'Get-MailTlsBackup', 'Get-MailTlsBackupExtra', 'Invoke-MailTlsPlan'
}
Export-ModuleMember @exportMembers
