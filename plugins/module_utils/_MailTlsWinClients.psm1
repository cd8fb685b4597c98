# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE: this module_util is for internal use by mailtls.remediation only.
# It reads which mail clients a Windows host has (Outlook, Thunderbird, the registered mail
# handlers) and the raw text of the Thunderbird settings, for tls_facts. It never interprets
# them: _mail_clients.clients_from_windows_raw does, on the controller. Read-only.
# Secrets: registry values are read from an allow-list of names, a name containing "password"
# is never read, and preference lines naming a password are blanked before they leave the host.

$script:TextCap = 1048576
$script:UserSidPattern = '^S-1-(5-21|12-1)-[0-9-]+$'
$script:OutlookAccountKey = '9375CFF0413111d3B88A00104B2A6676'
$script:OutlookAccountValues = @{
    'Account Name' = 'account'; 'IMAP Server' = 'imap_server'; 'POP3 Server' = 'pop3_server'; 'SMTP Server' = 'smtp_server'
    'IMAP Port' = 'imap_port'; 'POP3 Port' = 'pop3_port'; 'SMTP Port' = 'smtp_port'
}

Function Add-MailTlsClientError {
    param($Errors, [string]$What, [string]$Where, $ErrorRecord)
    $Errors.Add(@{ what = $What; where = $Where; message = $ErrorRecord.Exception.Message })
}

Function Get-MailTlsBaseKey {
    param([Microsoft.Win32.RegistryHive]$Hive, [Microsoft.Win32.RegistryView]$View)
    [Microsoft.Win32.RegistryKey]::OpenBaseKey($Hive, $View)
}

Function ConvertFrom-MailTlsRegText {
    <# A string value, also when Outlook stored it as REG_BINARY UTF-16LE with a trailing NUL. #>
    param($Data)
    if ($null -eq $Data) {
        return $null
    }
    if ($Data -is [byte[]]) {
        return [System.Text.Encoding]::Unicode.GetString($Data).TrimEnd([char]0)
    }
    [string]$Data
}

Function Read-MailTlsRegValue {
    <# One value of one key, $null when the key or the value is missing. Names with "password" are refused. #>
    param($Base, [string]$Path, [string]$Name)
    if ($Name -match 'password') {
        return $null
    }
    $key = $Base.OpenSubKey($Path, $false)
    if ($null -eq $key) {
        return $null
    }
    try {
        # the comma keeps a REG_BINARY or REG_MULTI_SZ value whole instead of unrolling it
        , $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    }
    finally {
        $key.Dispose()
    }
}

Function Get-MailTlsSubKeyName {
    param($Base, [string]$Path)
    $key = $Base.OpenSubKey($Path, $false)
    if ($null -eq $key) {
        return , @()
    }
    try {
        , @($key.GetSubKeyNames())
    }
    finally {
        $key.Dispose()
    }
}

Function Read-MailTlsTextFile {
    <# The text of a file up to the size cap, readable while Thunderbird has it open. #>
    param([string]$Path, $Errors, [string]$What)
    if (-not [System.IO.File]::Exists($Path)) {
        return $null
    }
    try {
        $info = New-Object -TypeName System.IO.FileInfo -ArgumentList $Path
        if ($info.Length -gt $script:TextCap) {
            $Errors.Add(@{ what = $What; where = $Path; message = "the file has $($info.Length) bytes, more than the $($script:TextCap) read" })
            return $null
        }
        $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
        $stream = New-Object -TypeName System.IO.FileStream -ArgumentList $Path, ([System.IO.FileMode]::Open), ([System.IO.FileAccess]::Read), $share
        try {
            $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList $stream, ([System.Text.Encoding]::UTF8), $true
            try {
                $reader.ReadToEnd()
            }
            finally {
                $reader.Dispose()
            }
        }
        finally {
            $stream.Dispose()
        }
    }
    catch {
        Add-MailTlsClientError -Errors $Errors -What $What -Where $Path -ErrorRecord $_
        $null
    }
}

Function Hide-MailTlsPrefSecret {
    <# Blanks every pref()/user_pref() line whose name mentions a password; line numbers stay the same. #>
    param([string]$Text)
    if ($null -eq $Text) {
        return $null
    }
    [regex]::Replace($Text, '(?im)^[ \t]*(user_|lock|sticky_)?pref\s*\(\s*["''][^"''\r\n]*password[^\r\n]*', '')
}

Function Get-MailTlsLoadedUser {
    <# SID and account name of every user hive loaded under HKU. #>
    param($Users)
    foreach ($sid in @($Users.GetSubKeyNames())) {
        if ($sid -notmatch $script:UserSidPattern) {
            continue
        }
        $name = $sid
        try {
            $name = (New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $sid).Translate([System.Security.Principal.NTAccount]).Value
        }
        catch {
            $name = $sid  # an orphaned SID keeps its SID as the name
        }
        @{ sid = $sid; user = $name }
    }
}

Function Get-MailTlsMailHandler {
    param($Hklm64, $Hklm32, $Users, $LoadedUsers, $Errors)
    $names = [System.Collections.Generic.List[string]]@()
    $default = $null
    foreach ($base in @($Hklm64, $Hklm32)) {
        try {
            foreach ($n in (Get-MailTlsSubKeyName -Base $base -Path 'SOFTWARE\Clients\Mail')) {
                if (-not $names.Contains($n)) {
                    $names.Add($n)
                }
            }
            if (-not $default) {
                $default = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $base -Path 'SOFTWARE\Clients\Mail' -Name '')
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'the registered mail handlers' -Where 'HKLM\SOFTWARE\Clients\Mail' -ErrorRecord $_
        }
    }
    $perUser = [System.Collections.Generic.List[object]]@()
    foreach ($u in $LoadedUsers) {
        try {
            $handler = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $Users -Path "$($u.sid)\SOFTWARE\Clients\Mail" -Name '')
            $assoc = "$($u.sid)\SOFTWARE\Microsoft\Windows\Shell\Associations\UrlAssociations\mailto\UserChoice"
            $progid = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $Users -Path $assoc -Name 'ProgId')
            if ($handler -or $progid) {
                $perUser.Add(@{ user = $u.user; default = $handler; mailto_progid = $progid })
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'a user mail handler' -Where "HKU\$($u.sid)\SOFTWARE\Clients\Mail" -ErrorRecord $_
        }
    }
    @{ handlers = @{ default = $default; names = @($names) }; per_user = @($perUser) }
}

Function Get-MailTlsFileVersion {
    param([string]$Path)
    if ($Path -and [System.IO.File]::Exists($Path)) {
        $info = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($Path)
        return '{0}.{1}.{2}.{3}' -f $info.FileMajorPart, $info.FileMinorPart, $info.FileBuildPart, $info.FilePrivatePart
    }
    $null
}

Function Get-MailTlsOutlook {
    <# Outlook from the Click-to-Run configuration and the MSI Office keys, both registry views. #>
    param($Hklm64, $Hklm32, $Errors)
    $found = [System.Collections.Generic.List[object]]@()
    $seen = @{}
    $views = @(@{ base = $Hklm64; bits = if ([Environment]::Is64BitOperatingSystem) { 'x64' } else { 'x86' } }, @{ base = $Hklm32; bits = 'x86' })
    foreach ($view in $views) {
        $c2r = 'SOFTWARE\Microsoft\Office\ClickToRun\Configuration'
        try {
            $root = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $view.base -Path $c2r -Name 'InstallationPath')
            if ($root) {
                $exe = [System.IO.Path]::Combine($root, 'root\Office16\OUTLOOK.EXE')
                if ([System.IO.File]::Exists($exe) -and -not $seen.ContainsKey($exe.ToLowerInvariant())) {
                    $seen[$exe.ToLowerInvariant()] = $true
                    $version = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $view.base -Path $c2r -Name 'VersionToReport')
                    $platform = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $view.base -Path $c2r -Name 'Platform')
                    $found.Add(@{
                            version = if ($version) { $version } else { Get-MailTlsFileVersion -Path $exe }
                            bitness = if ($platform) { $platform } else { $view.bits }
                            source = 'ClickToRun'; path = $exe
                            product_ids = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $view.base -Path $c2r -Name 'ProductReleaseIds')
                        })
                }
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'Outlook (Click-to-Run)' -Where "HKLM\$c2r" -ErrorRecord $_
        }
        try {
            foreach ($ver in (Get-MailTlsSubKeyName -Base $view.base -Path 'SOFTWARE\Microsoft\Office')) {
                if ($ver -notmatch '^\d+\.\d+$') {
                    continue
                }
                $key = "SOFTWARE\Microsoft\Office\$ver\Outlook"
                $folder = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $view.base -Path "$key\InstallRoot" -Name 'Path')
                if (-not $folder) {
                    continue
                }
                $exe = [System.IO.Path]::Combine($folder, 'OUTLOOK.EXE')
                if (-not [System.IO.File]::Exists($exe) -or $seen.ContainsKey($exe.ToLowerInvariant())) {
                    continue
                }
                $seen[$exe.ToLowerInvariant()] = $true
                $bitness = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $view.base -Path $key -Name 'Bitness')
                $version = Get-MailTlsFileVersion -Path $exe
                $found.Add(@{
                        version = if ($version) { $version } else { $ver }
                        bitness = if ($bitness) { $bitness } else { $view.bits }
                        source = 'MSI'; path = $exe; product_ids = $null
                    })
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'Outlook (MSI)' -Where 'HKLM\SOFTWARE\Microsoft\Office' -ErrorRecord $_
        }
    }
    , @($found)
}

Function Get-MailTlsOutlookAccount {
    <# Server names and ports of the POP3/IMAP/SMTP accounts in the Outlook profiles of loaded user hives. #>
    param($Users, $LoadedUsers, $Errors)
    $accounts = [System.Collections.Generic.List[object]]@()
    foreach ($u in $LoadedUsers) {
        $roots = [System.Collections.Generic.List[string]]@("$($u.sid)\Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles")
        try {
            foreach ($ver in (Get-MailTlsSubKeyName -Base $Users -Path "$($u.sid)\Software\Microsoft\Office")) {
                if ($ver -match '^\d+\.\d+$') {
                    $roots.Add("$($u.sid)\Software\Microsoft\Office\$ver\Outlook\Profiles")
                }
            }
            foreach ($root in $roots) {
                foreach ($mapiProfile in (Get-MailTlsSubKeyName -Base $Users -Path $root)) {
                    $store = "$root\$mapiProfile\$script:OutlookAccountKey"
                    foreach ($acct in (Get-MailTlsSubKeyName -Base $Users -Path $store)) {
                        $item = @{ user = $u.user; profile = $mapiProfile }
                        $any = $false
                        foreach ($name in $script:OutlookAccountValues.Keys) {
                            $data = Read-MailTlsRegValue -Base $Users -Path "$store\$acct" -Name $name
                            $field = $script:OutlookAccountValues[$name]
                            if ($field.EndsWith('_port')) {
                                $item[$field] = if ($data -is [int]) { $data } else { $null }
                            }
                            else {
                                $item[$field] = ConvertFrom-MailTlsRegText -Data $data
                                $any = $any -or ($field.EndsWith('_server') -and $item[$field])
                            }
                        }
                        if ($any) {
                            $accounts.Add($item)
                        }
                    }
                }
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'Outlook accounts' -Where "HKU\$($u.sid)" -ErrorRecord $_
        }
    }
    , @($accounts)
}

Function Get-MailTlsThunderbirdInstall {
    <# Thunderbird installs from the Uninstall keys (machine, both views, and loaded user hives). #>
    param($Hklm64, $Hklm32, $Users, $LoadedUsers, $Errors)
    $installs = [System.Collections.Generic.List[object]]@()
    $seen = @{}
    $uninstall = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall'
    $places = @(
        @{ base = $Hklm64; path = $uninstall; bits = if ([Environment]::Is64BitOperatingSystem) { 'x64' } else { 'x86' } },
        @{ base = $Hklm32; path = $uninstall; bits = 'x86' }
    )
    foreach ($u in $LoadedUsers) {
        $places += @{ base = $Users; path = "$($u.sid)\$uninstall"; bits = $null }
    }
    foreach ($place in $places) {
        try {
            foreach ($sub in (Get-MailTlsSubKeyName -Base $place.base -Path $place.path)) {
                $key = "$($place.path)\$sub"
                $display = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $place.base -Path $key -Name 'DisplayName')
                if ($display -notlike 'Mozilla Thunderbird*') {
                    continue
                }
                $folder = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $place.base -Path $key -Name 'InstallLocation')
                $exe = if ($folder) { [System.IO.Path]::Combine($folder, 'thunderbird.exe') } else { $null }
                $id = if ($exe) { $exe.ToLowerInvariant() } else { "$display|$key" }
                if ($seen.ContainsKey($id)) {
                    continue
                }
                $seen[$id] = $true
                $bits = $place.bits
                if ($display -match '\((x64|x86|aarch64)\b') {
                    $bits = $Matches[1]
                }
                $installs.Add(@{
                        path = $exe
                        version = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $place.base -Path $key -Name 'DisplayVersion')
                        bitness = $bits
                    })
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'Thunderbird installs' -Where $place.path -ErrorRecord $_
        }
    }
    , @($installs)
}

Function Get-MailTlsProfileHome {
    <# The profile folders of every local user profile (ProfileList), else the folders under the Users directory. #>
    param($Hklm64, $Errors)
    $homes = [System.Collections.Generic.List[object]]@()
    $list = 'SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList'
    try {
        foreach ($sid in (Get-MailTlsSubKeyName -Base $Hklm64 -Path $list)) {
            if ($sid -notmatch $script:UserSidPattern) {
                continue
            }
            $folder = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $Hklm64 -Path "$list\$sid" -Name 'ProfileImagePath')
            if ($folder) {
                $folder = [Environment]::ExpandEnvironmentVariables($folder)
                $homes.Add(@{ user = [System.IO.Path]::GetFileName($folder.TrimEnd('\')); path = $folder })
            }
        }
    }
    catch {
        Add-MailTlsClientError -Errors $Errors -What 'the local user profiles' -Where "HKLM\$list" -ErrorRecord $_
    }
    if ($homes.Count -eq 0) {
        $usersDir = [System.IO.Path]::Combine("$env:SystemDrive\", 'Users')
        foreach ($dir in @(Get-ChildItem -LiteralPath $usersDir -Directory -Force -ErrorAction SilentlyContinue)) {
            $homes.Add(@{ user = $dir.Name; path = $dir.FullName })
        }
    }
    , @($homes)
}

Function Get-MailTlsThunderbirdProfile {
    <# Every [Profile*] of each user's profiles.ini with the prefs.js and user.js text (secrets blanked). #>
    param($Homes, $Errors)
    $profiles = [System.Collections.Generic.List[object]]@()
    foreach ($h in $Homes) {
        $ini = [System.IO.Path]::Combine($h.path, 'AppData\Roaming\Thunderbird\profiles.ini')
        try {
            if (-not [System.IO.File]::Exists($ini)) {
                continue
            }
            $text = Read-MailTlsTextFile -Path $ini -Errors $Errors -What 'a Thunderbird profiles.ini'
            if ($null -eq $text) {
                continue
            }
            $sections = [System.Collections.Generic.List[object]]@()
            $current = $null
            foreach ($line in ($text -split '\r?\n')) {
                $t = $line.Trim()
                if ($t -match '^\[(.+)\]$') {
                    $current = @{ section = $Matches[1]; values = @{} }
                    $sections.Add($current)
                }
                elseif ($null -ne $current -and $t -match '^([^=;#]+)=(.*)$') {
                    $current.values[$Matches[1].Trim().ToLowerInvariant()] = $Matches[2].Trim()
                }
            }
            foreach ($sec in $sections) {
                if ($sec.section -notlike 'Profile*' -or -not $sec.values.ContainsKey('path')) {
                    continue
                }
                $rel = $sec.values['path'] -replace '/', '\'
                $folder = if ($sec.values['isrelative'] -eq '0') { $rel } else { [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName($ini), $rel) }
                $compat = Read-MailTlsTextFile -Path ([System.IO.Path]::Combine($folder, 'compatibility.ini')) -Errors $Errors -What 'a Thunderbird compatibility.ini'
                $lastVersion = $null
                if ($compat -and $compat -match '(?m)^LastVersion=([0-9][0-9.a-z]*)') {
                    $lastVersion = $Matches[1]
                }
                $profiles.Add(@{
                        user = $h.user
                        profiles_ini = $ini
                        profile = $folder
                        name = $sec.values['name']
                        prefs_js = Hide-MailTlsPrefSecret -Text (Read-MailTlsTextFile -Path ([System.IO.Path]::Combine($folder, 'prefs.js')) -Errors $Errors -What 'a Thunderbird prefs.js')
                        user_js = Hide-MailTlsPrefSecret -Text (Read-MailTlsTextFile -Path ([System.IO.Path]::Combine($folder, 'user.js')) -Errors $Errors -What 'a Thunderbird user.js')
                        compatibility_version = $lastVersion
                        locked = [System.IO.File]::Exists([System.IO.Path]::Combine($folder, 'parent.lock'))
                    })
            }
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'Thunderbird profiles' -Where $ini -ErrorRecord $_
        }
    }
    , @($profiles)
}

Function Get-MailTlsThunderbirdPolicy {
    <# distribution\policies.json next to each install and the HKLM policy values. #>
    param($Hklm64, $Installs, $Errors)
    $files = [System.Collections.Generic.List[object]]@()
    foreach ($install in $Installs) {
        if (-not $install.path) {
            continue
        }
        $file = [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName($install.path), 'distribution\policies.json')
        $content = Read-MailTlsTextFile -Path $file -Errors $Errors -What 'a Thunderbird policies.json'
        if ($null -ne $content) {
            $files.Add(@{ path = $file; content = $content })
        }
    }
    $registry = @{ SSLVersionMin = $null; SSLVersionMax = $null }
    try {
        foreach ($name in @('SSLVersionMin', 'SSLVersionMax')) {
            $registry[$name] = ConvertFrom-MailTlsRegText -Data (Read-MailTlsRegValue -Base $Hklm64 -Path 'SOFTWARE\Policies\Mozilla\Thunderbird' -Name $name)
        }
    }
    catch {
        Add-MailTlsClientError -Errors $Errors -What 'the Thunderbird policies' -Where 'HKLM\SOFTWARE\Policies\Mozilla\Thunderbird' -ErrorRecord $_
    }
    @{ files = @($files); registry = $registry }
}

Function Get-MailTlsMailClient {
    <#
    .SYNOPSIS
    The raw mail client inventory (shape: _mail_clients.WINDOWS_RAW_SHAPE). Each part that fails
    adds an entry to Errors and leaves its part empty; the rest is still returned.
    #>
    param([Parameter(Mandatory = $true)]$Errors)
    $out = @{
        mail_handlers = @{ default = $null; names = @() }; user_mail_handlers = @(); outlook = @(); outlook_accounts = @()
        thunderbird = @{ installs = @(); policy_files = @(); policy_registry = @{ SSLVersionMin = $null; SSLVersionMax = $null } }
        thunderbird_profiles = @()
    }
    $hklm64 = Get-MailTlsBaseKey -Hive LocalMachine -View Registry64
    $hklm32 = Get-MailTlsBaseKey -Hive LocalMachine -View Registry32
    $users = Get-MailTlsBaseKey -Hive Users -View Registry64
    try {
        $loaded = @()
        try {
            $loaded = @(Get-MailTlsLoadedUser -Users $users)
        }
        catch {
            Add-MailTlsClientError -Errors $Errors -What 'the loaded user hives' -Where 'HKU' -ErrorRecord $_
        }
        $handlers = Get-MailTlsMailHandler -Hklm64 $hklm64 -Hklm32 $hklm32 -Users $users -LoadedUsers $loaded -Errors $Errors
        $out.mail_handlers = $handlers.handlers
        $out.user_mail_handlers = $handlers.per_user
        $out.outlook = Get-MailTlsOutlook -Hklm64 $hklm64 -Hklm32 $hklm32 -Errors $Errors
        $out.outlook_accounts = Get-MailTlsOutlookAccount -Users $users -LoadedUsers $loaded -Errors $Errors
        $installs = Get-MailTlsThunderbirdInstall -Hklm64 $hklm64 -Hklm32 $hklm32 -Users $users -LoadedUsers $loaded -Errors $Errors
        $policy = Get-MailTlsThunderbirdPolicy -Hklm64 $hklm64 -Installs $installs -Errors $Errors
        $out.thunderbird = @{ installs = $installs; policy_files = $policy.files; policy_registry = $policy.registry }
        $homes = Get-MailTlsProfileHome -Hklm64 $hklm64 -Errors $Errors
        $out.thunderbird_profiles = Get-MailTlsThunderbirdProfile -Homes $homes -Errors $Errors
    }
    finally {
        $users.Dispose()
        $hklm32.Dispose()
        $hklm64.Dispose()
    }
    $out
}

$exportMembers = @{
    Function = 'Get-MailTlsMailClient'
}
Export-ModuleMember @exportMembers
