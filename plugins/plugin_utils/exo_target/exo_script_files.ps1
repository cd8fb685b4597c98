# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Windows side of exo_script_files: the same contract as exo_script_files.py. It only walks, reads,
# hashes and writes; parsing and rewriting happen on the controller.

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'scan', 'write'; default = 'scan' }
        paths = @{ type = 'list'; elements = 'path' }
        patterns = @{ type = 'list'; elements = 'str'; default = @('*.ps1', '*.psm1', '*.psd1') }
        exclude = @{ type = 'list'; elements = 'str'; default = @() }
        use_default_excludes = @{ type = 'bool'; default = $true }
        sniff_extensionless = @{ type = 'bool'; default = $true }
        prefilter = @{ type = 'list'; elements = 'str'; default = @() }
        max_file_size = @{ type = 'int'; default = 10485760 }
        follow_symlinks = @{ type = 'bool'; default = $false }
        include_content = @{ type = 'bool'; default = $true }
        files = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                path = @{ type = 'path'; required = $true }
                content = @{ type = 'str'; required = $true }
                expected_sha256 = @{ type = 'str'; required = $true }
            }
        }
        write_mode = @{ type = 'str'; choices = 'in_place', 'side_by_side'; default = 'in_place' }
        side_by_side_suffix = @{ type = 'str'; default = '.exov3' }
        backup = @{ type = 'bool'; default = $true }
        backup_dir = @{ type = 'path' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$defaultExcludes = @('.git', '.svn', '.hg', 'node_modules', '__pycache__', 'ExchangeOnlineManagement', '*.bak')
$maxSkipped = 200
$sniffRegex = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @(
    '\A\s*(?:#!.*\b(?:pwsh|powershell)(?:\.exe)?\b|#requires\b|param\s*\(|\[cmdletbinding\b|<#)',
    [System.Text.RegularExpressions.RegexOptions]::IgnoreCase
)
$sniffLines = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @(
    '(?im)^[ \t]*(?:\$[\w:]+[ \t]*=|(?:Get|Set|New|Remove|Import|Export|Connect|Disconnect|Add|Invoke|Write|Start|Stop|Test|Select|Where|ForEach|Out|Read|ConvertTo|ConvertFrom|Enable|Disable|Register)-[A-Za-z]+\b|function[ \t]+[\w-]+)'
)
$strictUtf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false, $true
$latin1 = [System.Text.Encoding]::GetEncoding(28591)
$epoch = New-Object -TypeName DateTime -ArgumentList 1970, 1, 1, 0, 0, 0, ([DateTimeKind]::Utc)

function Get-Sha256Hex {
    param([byte[]]$Bytes)
    $hasher = [System.Security.Cryptography.SHA256]::Create()
    try {
        ([BitConverter]::ToString($hasher.ComputeHash($Bytes))).Replace('-', '').ToLowerInvariant()
    }
    finally {
        $hasher.Dispose()
    }
}

function New-WildcardSet {
    <# Splits wildcards into name patterns and whole-path patterns. #>
    param([string[]]$Pattern)
    $names = New-Object -TypeName System.Collections.Generic.List[System.Management.Automation.WildcardPattern]
    $paths = New-Object -TypeName System.Collections.Generic.List[System.Management.Automation.WildcardPattern]
    foreach ($p in $Pattern) {
        if (-not $p) { continue }
        $w = New-Object -TypeName System.Management.Automation.WildcardPattern -ArgumentList @($p.Replace('/', '\'), [System.Management.Automation.WildcardOptions]::IgnoreCase)
        if ($p.Contains('\') -or $p.Contains('/')) { $paths.Add($w) } else { $names.Add($w) }
    }
    @{ Names = $names; Paths = $paths }
}

function Test-WildcardSet {
    param($Set, [string]$Name, [string]$Path)
    foreach ($w in $Set.Names) { if ($w.IsMatch($Name)) { return $true } }
    foreach ($w in $Set.Paths) { if ($w.IsMatch($Path)) { return $true } }
    $false
}

function Get-Bom {
    param([byte[]]$Bytes)
    if ($Bytes.Length -ge 3 -and $Bytes[0] -eq 0xEF -and $Bytes[1] -eq 0xBB -and $Bytes[2] -eq 0xBF) { return 'utf-8' }
    if ($Bytes.Length -ge 2 -and $Bytes[0] -eq 0xFF -and $Bytes[1] -eq 0xFE) { return 'utf-16-le' }
    if ($Bytes.Length -ge 2 -and $Bytes[0] -eq 0xFE -and $Bytes[1] -eq 0xFF) { return 'utf-16-be' }
    ''
}

function ConvertTo-PrefilterText {
    <# Text for the prefilter regexes, or $null when the bytes look binary. #>
    param([byte[]]$Bytes, [string]$Bom)
    if ($Bom -eq 'utf-16-le') { return [System.Text.Encoding]::Unicode.GetString($Bytes, 2, $Bytes.Length - 2) }
    if ($Bom -eq 'utf-16-be') { return [System.Text.Encoding]::BigEndianUnicode.GetString($Bytes, 2, $Bytes.Length - 2) }
    if ($Bom -eq 'utf-8') { return [System.Text.Encoding]::UTF8.GetString($Bytes, 3, $Bytes.Length - 3) }
    $probe = [Math]::Min($Bytes.Length, 8192)
    if ($probe -eq 0 -or [Array]::IndexOf($Bytes, [byte]0, 0, $probe) -lt 0) {
        try {
            return $strictUtf8.GetString($Bytes)
        }
        catch {
            return $latin1.GetString($Bytes)
        }
    }
    $nulOdd = 0
    $nulEven = 0
    for ($i = 0; $i -lt $probe; $i++) {
        if ($Bytes[$i] -eq 0) { if ($i % 2) { $nulOdd++ } else { $nulEven++ } }
    }
    $half = [Math]::Floor($probe / 2)
    if ($half -gt 0 -and $nulOdd -gt 0.9 * $half -and $nulEven -lt 0.1 * $half) { return [System.Text.Encoding]::Unicode.GetString($Bytes) }
    if ($half -gt 0 -and $nulEven -gt 0.9 * $half -and $nulOdd -lt 0.1 * $half) { return [System.Text.Encoding]::BigEndianUnicode.GetString($Bytes) }
    return $null
}

function Get-ScheduledTaskScriptFolder {
    <# Folders of the scripts that scheduled tasks run (powershell.exe/pwsh.exe -File x.ps1, or x.ps1 directly). #>
    $folders = @()
    try {
        $tasks = @(Get-ScheduledTask -ErrorAction Stop)
    }
    catch {
        return $folders
    }
    foreach ($task in $tasks) {
        foreach ($action in @($task.Actions)) {
            if (-not $action.Execute) { continue }
            $line = '{0} {1}' -f $action.Execute, $action.Arguments
            foreach ($m in [regex]::Matches($line, '(?i)(?:"([^"]+\.ps[dm]?1)"|''([^'']+\.ps[dm]?1)''|([^\s"'']+\.ps[dm]?1))')) {
                $scriptPath = ($m.Groups[1].Value, $m.Groups[2].Value, $m.Groups[3].Value | Where-Object { $_ } | Select-Object -First 1)
                $scriptPath = [Environment]::ExpandEnvironmentVariables($scriptPath)
                if ($action.WorkingDirectory -and -not [IO.Path]::IsPathRooted($scriptPath)) {
                    $scriptPath = Join-Path -Path ([Environment]::ExpandEnvironmentVariables($action.WorkingDirectory)) -ChildPath $scriptPath
                }
                if ([IO.Path]::IsPathRooted($scriptPath)) {
                    $folders += Split-Path -Path $scriptPath -Parent
                }
            }
        }
    }
    $folders
}

function Get-DefaultPath {
    $list = New-Object -TypeName System.Collections.Generic.List[string]
    $list.Add((Join-Path -Path $env:SystemDrive -ChildPath 'Scripts'))
    if ($env:ProgramData) { $list.Add((Join-Path -Path $env:ProgramData -ChildPath 'Scripts')) }
    $profileList = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList'
    foreach ($key in @(Get-ChildItem -LiteralPath $profileList -ErrorAction SilentlyContinue)) {
        $folder = (Get-ItemProperty -LiteralPath $key.PSPath -Name ProfileImagePath -ErrorAction SilentlyContinue).ProfileImagePath
        if (-not $folder) { continue }
        $folder = [Environment]::ExpandEnvironmentVariables($folder)
        foreach ($sub in 'Scripts', 'Documents\WindowsPowerShell', 'Documents\PowerShell') {
            $list.Add((Join-Path -Path $folder -ChildPath $sub))
        }
    }
    foreach ($name in 'profile.ps1', 'Microsoft.PowerShell_profile.ps1') {
        $list.Add((Join-Path -Path $PSHOME -ChildPath $name))
    }
    foreach ($folder in Get-ScheduledTaskScriptFolder) { $list.Add($folder) }
    $list | Sort-Object -Unique
}

function Invoke-Scan {
    $p = $module.Params
    $patternSet = New-WildcardSet -Pattern $p.patterns
    $excludes = @($p.exclude)
    if ($p.use_default_excludes) { $excludes = $defaultExcludes + $excludes }
    $excludeSet = New-WildcardSet -Pattern $excludes
    $prefilter = $null
    if ($p.prefilter.Count -gt 0) {
        $joined = ($p.prefilter | ForEach-Object { '(?:{0})' -f $_ }) -join '|'
        try {
            $prefilter = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @($joined, [System.Text.RegularExpressions.RegexOptions]'IgnoreCase, Multiline')
        }
        catch {
            $module.FailJson("invalid prefilter regular expression at '$joined': $($_.Exception.Message)", $_)
        }
    }
    $roots = $p.paths
    if (-not $roots -or $roots.Count -eq 0) { $roots = @(Get-DefaultPath) }

    $stats = @{ walked = 0; scanned = 0; bytes = 0; binary = 0; skippedTotal = 0 }
    $skipped = New-Object -TypeName System.Collections.Generic.List[object]
    $candidates = New-Object -TypeName System.Collections.Generic.List[object]
    $seen = New-Object -TypeName 'System.Collections.Generic.HashSet[string]' -ArgumentList ([StringComparer]::OrdinalIgnoreCase)

    $addSkip = {
        param([string]$Path, [string]$Reason)
        $stats.skippedTotal++
        if ($skipped.Count -lt $maxSkipped) { $skipped.Add(@{ path = $Path; reason = $Reason }) }
    }

    $consider = {
        param([System.IO.FileInfo]$File, [bool]$Explicit)
        $stats.walked++
        $full = $File.FullName
        if (-not $Explicit) {
            if (Test-WildcardSet -Set $excludeSet -Name $File.Name -Path $full) { return }
            $wanted = Test-WildcardSet -Set $patternSet -Name $File.Name -Path $full
            if (-not $wanted -and $p.sniff_extensionless -and -not $File.Extension) {
                try {
                    $stream = [IO.File]::OpenRead($full)
                    try {
                        $head = New-Object -TypeName byte[] -ArgumentList 4096
                        $read = $stream.Read($head, 0, 4096)
                    }
                    finally {
                        $stream.Dispose()
                    }
                    $headBom = Get-Bom -Bytes $head
                    if ($headBom -eq 'utf-16-le') { $text = [Text.Encoding]::Unicode.GetString($head, 2, [Math]::Max(0, $read - 2)) }
                    elseif ($headBom -eq 'utf-16-be') { $text = [Text.Encoding]::BigEndianUnicode.GetString($head, 2, [Math]::Max(0, $read - 2)) }
                    elseif ($headBom -eq 'utf-8') { $text = $latin1.GetString($head, 3, [Math]::Max(0, $read - 3)) }
                    else { $text = $latin1.GetString($head, 0, $read) }
                    $wanted = $sniffRegex.IsMatch($text)
                    if (-not $wanted -and -not $text.TrimStart().StartsWith('#!')) {
                        $wanted = $sniffLines.Matches($text).Count -ge 2
                    }
                }
                catch {
                    $wanted = $false
                }
            }
            if (-not $wanted) { return }
        }
        if (-not $seen.Add($full)) { return }
        if ($File.Length -gt $p.max_file_size) { & $addSkip $full 'larger than max_file_size'; return }
        try {
            $bytes = [IO.File]::ReadAllBytes($full)
        }
        catch {
            & $addSkip $full ('cannot read: {0}' -f $_.Exception.Message)
            return
        }
        $stats.scanned++
        $stats.bytes += $bytes.Length
        $bom = Get-Bom -Bytes $bytes
        $text = ConvertTo-PrefilterText -Bytes $bytes -Bom $bom
        if ($null -eq $text) { $stats.binary++; return }
        if ($prefilter -and -not $prefilter.IsMatch($text)) { return }
        $owner = ''
        try { $owner = (Get-Acl -LiteralPath $full).Owner } catch { $owner = '' }
        $entry = @{
            path = $full
            size = $bytes.Length
            sha256 = Get-Sha256Hex -Bytes $bytes
            mode = ''
            owner = $owner
            group = ''
            mtime = [Math]::Round(($File.LastWriteTimeUtc - $epoch).TotalSeconds, 3)
            bom = $bom
        }
        if ($p.include_content) { $entry.content = [Convert]::ToBase64String($bytes) }
        $candidates.Add($entry)
    }

    foreach ($root in $roots) {
        $expanded = @()
        try {
            if ([System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($root)) {
                $expanded = @(Get-Item -Path $root -Force -ErrorAction SilentlyContinue)
            }
            elseif (Test-Path -LiteralPath $root) {
                $expanded = @(Get-Item -LiteralPath $root -Force -ErrorAction Stop)
            }
        }
        catch {
            & $addSkip $root ('cannot open: {0}' -f $_.Exception.Message)
            continue
        }
        foreach ($item in $expanded) {
            if ($item -is [System.IO.FileInfo]) {
                & $consider $item $true
                continue
            }
            $stack = New-Object -TypeName System.Collections.Generic.Stack[System.IO.DirectoryInfo]
            $stack.Push($item)
            while ($stack.Count -gt 0) {
                $dir = $stack.Pop()
                if (-not $seen.Add($dir.FullName.TrimEnd('\') + '\')) { continue }
                try {
                    $entries = $dir.GetFileSystemInfos()
                }
                catch {
                    & $addSkip $dir.FullName ('cannot list: {0}' -f $_.Exception.Message)
                    continue
                }
                $subdirs = New-Object -TypeName System.Collections.Generic.List[System.IO.DirectoryInfo]
                foreach ($e in $entries) {
                    if (Test-WildcardSet -Set $excludeSet -Name $e.Name -Path $e.FullName) { continue }
                    $isLink = ($e.Attributes -band [IO.FileAttributes]::ReparsePoint) -ne 0
                    if ($e -is [System.IO.DirectoryInfo]) {
                        if ($isLink -and -not $p.follow_symlinks) { continue }
                        $subdirs.Add($e)
                    }
                    else {
                        & $consider $e $false
                    }
                }
                $ordered = @($subdirs | Sort-Object -Property FullName -Descending)
                foreach ($s in $ordered) { $stack.Push($s) }
            }
        }
    }

    $module.Result.changed = $false
    $module.Result.files_walked = $stats.walked
    $module.Result.files_scanned = $stats.scanned
    $module.Result.bytes_scanned = $stats.bytes
    $module.Result.binary_skipped = $stats.binary
    $module.Result.skipped_files = $skipped.ToArray()
    $module.Result.skipped_total = $stats.skippedTotal
    $module.Result.candidates = @($candidates | Sort-Object -Property { $_.path })
}

function Get-SideBySideName {
    param([string]$Path, [string]$Suffix)
    $folder = Split-Path -Path $Path -Parent
    $name = Split-Path -Path $Path -Leaf
    $ext = [IO.Path]::GetExtension($name)
    $stem = [IO.Path]::GetFileNameWithoutExtension($name)
    if (-not $stem) { $stem = $name; $ext = '' }
    Join-Path -Path $folder -ChildPath ($stem + $Suffix + $ext)
}

function Get-BackupName {
    param([string]$Path)
    $stamp = (Get-Date).ToString('yyyyMMddTHHmmss')
    $base = $Path
    if ($module.Params.backup_dir) {
        $relative = $Path.Replace(':', '').TrimStart('\')
        $base = Join-Path -Path $module.Params.backup_dir -ChildPath $relative
    }
    $candidate = '{0}.{1}.bak' -f $base, $stamp
    $counter = 1
    while (Test-Path -LiteralPath $candidate) {
        $candidate = '{0}.{1}.{2}.bak' -f $base, $stamp, $counter
        $counter++
    }
    $candidate
}

function Write-TempFile {
    <# Writes bytes next to $Destination, flushed to disk, with the DACL of $Like. Returns the temp path. #>
    param([string]$Destination, [byte[]]$Bytes, [string]$Like)
    $folder = Split-Path -Path $Destination -Parent
    $tmp = Join-Path -Path $folder -ChildPath ('.{0}.{1}.tmp' -f (Split-Path -Path $Destination -Leaf), [Guid]::NewGuid().ToString('N'))
    $stream = New-Object -TypeName System.IO.FileStream -ArgumentList $tmp, ([IO.FileMode]::CreateNew), ([IO.FileAccess]::Write)
    try {
        $stream.Write($Bytes, 0, $Bytes.Length)
        $stream.Flush($true)
    }
    finally {
        $stream.Dispose()
    }
    try {
        $source = Get-Acl -LiteralPath $Like
        $acl = Get-Acl -LiteralPath $tmp
        $acl.SetSecurityDescriptorSddlForm($source.GetSecurityDescriptorSddlForm('Access'), 'Access')
        Set-Acl -LiteralPath $tmp -AclObject $acl
    }
    catch {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
        throw
    }
    $tmp
}

function Invoke-WriteOne {
    param($Spec)
    $path = $Spec.path
    $result = @{ path = $path; dest = $path; changed = $false; refused = $false; backup_file = ''; sha256 = ''; msg = '' }
    try {
        $new = [Convert]::FromBase64String($Spec.content)
    }
    catch {
        $result.refused = $true
        $result.msg = 'content is not valid base64'
        return $result
    }
    try {
        $current = [IO.File]::ReadAllBytes($path)
    }
    catch {
        $result.refused = $true
        $result.msg = 'cannot read {0}: {1}' -f $path, $_.Exception.Message
        return $result
    }
    $expected = $Spec.expected_sha256.ToLowerInvariant()
    if ((Get-Sha256Hex -Bytes $current) -ne $expected) {
        $result.refused = $true
        $result.sha256 = Get-Sha256Hex -Bytes $current
        $result.msg = 'file changed since it was scanned; not written'
        return $result
    }
    $dest = $path
    $existing = $current
    if ($module.Params.write_mode -eq 'side_by_side') {
        $dest = Get-SideBySideName -Path $path -Suffix $module.Params.side_by_side_suffix
        $result.dest = $dest
        $existing = $null
        if (Test-Path -LiteralPath $dest) { $existing = [IO.File]::ReadAllBytes($dest) }
    }
    if ($null -ne $existing) {
        $result.sha256 = Get-Sha256Hex -Bytes $existing
        if ((Get-Sha256Hex -Bytes $existing) -eq (Get-Sha256Hex -Bytes $new)) {
            $result.msg = 'already up to date'
            return $result
        }
    }
    $result.changed = $true
    if ($module.CheckMode) {
        $result.sha256 = Get-Sha256Hex -Bytes $new
        $result.msg = 'would be written'
        return $result
    }
    $tmp = $null
    try {
        if ($module.Params.backup -and $null -ne $existing) {
            $backup = Get-BackupName -Path $dest
            $backupFolder = Split-Path -Path $backup -Parent
            if (-not (Test-Path -LiteralPath $backupFolder)) { New-Item -Path $backupFolder -ItemType Directory -Force | Out-Null }
            $backupTmp = Write-TempFile -Destination $backup -Bytes $existing -Like $dest
            $info = Get-Item -LiteralPath $dest -Force
            [IO.File]::SetLastWriteTimeUtc($backupTmp, $info.LastWriteTimeUtc)
            Move-Item -LiteralPath $backupTmp -Destination $backup
            $result.backup_file = $backup
        }
        $ownerBefore = (Get-Acl -LiteralPath $path).Owner
        $tmp = Write-TempFile -Destination $dest -Bytes $new -Like $path
        if ((Get-Sha256Hex -Bytes ([IO.File]::ReadAllBytes($path))) -ne $expected) {
            Remove-Item -LiteralPath $tmp -Force
            $result.changed = $false
            $result.refused = $true
            $result.msg = 'file changed while it was being written; not written'
            return $result
        }
        if (Test-Path -LiteralPath $dest) {
            # ReplaceFile keeps the replaced file's security descriptor, attributes and streams
            [IO.File]::Replace($tmp, $dest, [NullString]::Value, $true)
        }
        else {
            Move-Item -LiteralPath $tmp -Destination $dest
        }
        $tmp = $null
        $acl = Get-Acl -LiteralPath $dest
        if ($acl.Owner -ne $ownerBefore) {
            try {
                $acl.SetOwner((New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $ownerBefore))
                Set-Acl -LiteralPath $dest -AclObject $acl
            }
            catch {
                $module.Warn(('{0}: written, but the owner could not be set back to {1}: {2}' -f $dest, $ownerBefore, $_.Exception.Message))
            }
        }
    }
    catch {
        if ($tmp) { Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue }
        $result.changed = $false
        $result.refused = $true
        $result.msg = 'cannot write {0}: {1}' -f $dest, $_.Exception.Message
        return $result
    }
    $result.sha256 = Get-Sha256Hex -Bytes $new
    $result.msg = 'written'
    $result
}

if ($module.Params.state -eq 'scan') {
    Invoke-Scan
    $module.ExitJson()
}

$suffix = $module.Params.side_by_side_suffix
if (-not $suffix -or $suffix.Contains('\') -or $suffix.Contains('/')) {
    $module.FailJson('side_by_side_suffix must be a non-empty file name fragment')
}
$results = @(foreach ($fileSpec in $module.Params.files) { Invoke-WriteOne -Spec $fileSpec })
$refused = @($results | Where-Object { $_.refused } | ForEach-Object { $_.path })
$module.Result.results = $results
$module.Result.refused = $refused
$module.Result.changed = [bool]($results | Where-Object { $_.changed })
if ($refused.Count -gt 0) {
    $module.FailJson(('{0} of {1} file(s) were not written: {2}' -f $refused.Count, $results.Count, ($refused -join ', ')))
}
$module.ExitJson()
