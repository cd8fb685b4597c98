#!powershell

# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Reads what is installed, installs when needed, reads again. The rule "an installed version at or
# above minimum_version, prereleases only when allowed" is the one of plan() in
# plugins/module_utils/_exo_module.py, whose unit tests replay results recorded from this module.

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'query'; default = 'present' }
        minimum_version = @{ type = 'str'; default = '3.2.0' }
        allow_prerelease = @{ type = 'bool'; default = $false }
        scope = @{ type = 'str'; choices = 'AllUsers', 'CurrentUser'; default = 'AllUsers' }
        repository = @{ type = 'str'; default = 'PSGallery' }
        repository_url = @{ type = 'str' }
        nupkg_path = @{ type = 'path' }
        skip_publisher_check = @{ type = 'bool'; default = $false }
        executable = @{ type = 'str'; default = 'pwsh' }
    }
    mutually_exclusive = @(, @('nupkg_path', 'repository_url'))
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$ProgressPreference = 'SilentlyContinue'

$moduleName = 'ExchangeOnlineManagement'
$state = $module.Params.state
$minimumText = $module.Params.minimum_version
$allowPrerelease = $module.Params.allow_prerelease
$scope = $module.Params.scope
$repository = $module.Params.repository
$repositoryUrl = $module.Params.repository_url
$nupkgPath = $module.Params.nupkg_path

function ConvertTo-ExoVersion {
    <# Splits '3.9.1-Preview1' into a padded [version] and a prerelease label; $null when unreadable. #>
    param([string]$Text, [string]$Prerelease = '')
    if ($Text -notmatch '^\s*v?(\d+(?:\.\d+){0,3})(?:-([0-9A-Za-z.\-]+))?\s*$') {
        return $null
    }
    $parts = @($Matches[1].Split('.') | ForEach-Object { [int]$_ })
    while ($parts.Count -lt 4) { $parts += 0 }
    $label = $Prerelease
    if (-not $label -and $Matches[2]) { $label = $Matches[2] }
    $display = $Matches[1]
    if ($label) { $display = '{0}-{1}' -f $Matches[1], $label }
    [PSCustomObject]@{
        Release = New-Object -TypeName System.Version -ArgumentList $parts[0], $parts[1], $parts[2], $parts[3]
        Prerelease = [string]$label
        Text = $display
    }
}

function Compare-ExoVersion {
    <# -1, 0 or 1; a release sorts after its prereleases. #>
    param($Left, $Right)
    $byRelease = $Left.Release.CompareTo($Right.Release)
    if ($byRelease -ne 0) { return [Math]::Sign($byRelease) }
    if (-not $Left.Prerelease -and -not $Right.Prerelease) { return 0 }
    if (-not $Left.Prerelease) { return 1 }
    if (-not $Right.Prerelease) { return -1 }
    return [Math]::Sign([string]::Compare($Left.Prerelease, $Right.Prerelease, [StringComparison]::OrdinalIgnoreCase))
}

function Get-ProfileFolder {
    $list = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList'
    Get-ChildItem -LiteralPath $list -ErrorAction SilentlyContinue | ForEach-Object {
        $folder = (Get-ItemProperty -LiteralPath $_.PSPath -Name ProfileImagePath -ErrorAction SilentlyContinue).ProfileImagePath
        if ($folder) { [Environment]::ExpandEnvironmentVariables($folder) }
    } | Where-Object { Test-Path -LiteralPath $_ -PathType Container } | Sort-Object -Unique
}

function Get-ExoProbe {
    $modules = @(Get-Module -ListAvailable -Name $moduleName | ForEach-Object {
            $pre = ''
            if ($_.PrivateData -and $_.PrivateData.PSData -and $_.PrivateData.PSData.Prerelease) {
                $pre = [string]$_.PrivateData.PSData.Prerelease
            }
            @{ name = $_.Name; version = $_.Version.ToString(); prerelease = $pre; path = $_.ModuleBase }
        })
    $psget = Get-Module -ListAvailable -Name PowerShellGet | Sort-Object -Property Version -Descending | Select-Object -First 1
    $psgetVersion = ''
    if ($psget) { $psgetVersion = $psget.Version.ToString() }
    $repos = @()
    try {
        $repos = @(Get-PSRepository -ErrorAction Stop | ForEach-Object {
                @{ name = $_.Name; source = [string]$_.SourceLocation; trusted = ($_.InstallationPolicy -eq 'Trusted') }
            })
    }
    catch {
        $repos = @()
    }
    $clickOnce = @(foreach ($folder in Get-ProfileFolder) {
            $apps = Join-Path -Path $folder -ChildPath 'AppData\Local\Apps\2.0'
            if (Test-Path -LiteralPath $apps -PathType Container) {
                Get-ChildItem -LiteralPath $apps -Recurse -File -Filter 'Microsoft.Exchange.Management.ExoPowershellModule.dll' -ErrorAction SilentlyContinue |
                    ForEach-Object { $_.FullName }
            }
        })
    @{
        powershell = @{ version = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition }
        powershellget = $psgetVersion
        modules = $modules
        repositories = $repos
        clickonce = $clickOnce
    }
}

function Get-InstalledVersion {
    <# Installed versions as ExoVersion objects, newest first, without duplicates. #>
    param($Probe)
    $seen = @{}
    $list = @(foreach ($entry in $Probe.modules) {
            $v = ConvertTo-ExoVersion -Text $entry.version -Prerelease $entry.prerelease
            if ($v -and -not $seen.ContainsKey($v.Text)) {
                $seen[$v.Text] = $true
                $v
            }
        })
    # insertion sort with Compare-ExoVersion (lists are tiny)
    $sorted = New-Object -TypeName System.Collections.ArrayList
    foreach ($item in $list) {
        $index = 0
        while ($index -lt $sorted.Count -and (Compare-ExoVersion -Left $sorted[$index] -Right $item) -ge 0) { $index++ }
        $sorted.Insert($index, $item)
    }
    $sorted.ToArray()
}

function Get-SatisfyingVersion {
    param($Probe, $Minimum)
    foreach ($v in (Get-InstalledVersion -Probe $Probe)) {
        if ($v.Prerelease -and -not $allowPrerelease) { continue }
        if ((Compare-ExoVersion -Left $v -Right $Minimum) -ge 0) { return $v.Text }
        return $null
    }
    return $null
}

function Get-NupkgMetadata {
    param([string]$Path)
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($Path)
    try {
        $entry = $zip.Entries | Where-Object { $_.FullName -like '*.nuspec' -and $_.FullName -notlike '*/*' } | Select-Object -First 1
        if (-not $entry) { throw "$Path has no .nuspec; is it a NuGet package?" }
        $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList $entry.Open()
        try { [xml]$nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
        $id = $nuspec.DocumentElement.GetElementsByTagName('id') | Select-Object -First 1
        $version = $nuspec.DocumentElement.GetElementsByTagName('version') | Select-Object -First 1
        if (-not $id -or -not $version) { throw "$Path lacks an id or version in its .nuspec" }
        @{ id = $id.InnerText.Trim(); version = $version.InnerText.Trim() }
    }
    finally {
        $zip.Dispose()
    }
}

function Select-Nupkg {
    param([string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) { return $Path }
    $best = $null
    foreach ($file in Get-ChildItem -LiteralPath $Path -File -Filter "$moduleName.*.nupkg") {
        try { $meta = Get-NupkgMetadata -Path $file.FullName } catch { continue }
        $v = ConvertTo-ExoVersion -Text $meta.version
        if ($v -and (-not $best -or (Compare-ExoVersion -Left $v -Right $best.Version) -gt 0)) {
            $best = @{ Version = $v; Path = $file.FullName }
        }
    }
    if (-not $best) { throw "no $moduleName .nupkg in $Path" }
    $best.Path
}

function Get-ModulesRoot {
    if ($scope -eq 'AllUsers') {
        return Join-Path -Path $env:ProgramFiles -ChildPath 'WindowsPowerShell\Modules'
    }
    Join-Path -Path ([Environment]::GetFolderPath('MyDocuments')) -ChildPath 'WindowsPowerShell\Modules'
}

function Expand-Nupkg {
    <# Unpacks the package the way Install-Module lays it out, through a staging folder. #>
    param([string]$Path, [string]$Version)
    $numeric = $Version.Split('-')[0]
    $parent = Join-Path -Path (Get-ModulesRoot) -ChildPath $moduleName
    $dest = Join-Path -Path $parent -ChildPath $numeric
    $staging = Join-Path -Path $parent -ChildPath ('.{0}.{1}' -f $numeric, [Guid]::NewGuid().ToString('N'))
    New-Item -Path $staging -ItemType Directory -Force | Out-Null
    $base = [IO.Path]::GetFullPath($staging).TrimEnd('\') + '\'
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($Path)
    try {
        foreach ($entry in $zip.Entries) {
            $name = $entry.FullName
            if ($name -eq '[Content_Types].xml' -or $name -like '_rels/*' -or $name -like 'package/*' -or ($name -like '*.nuspec' -and $name -notlike '*/*')) {
                continue
            }
            $relative = [Uri]::UnescapeDataString($name).Replace('/', '\')
            $target = [IO.Path]::GetFullPath((Join-Path -Path $staging -ChildPath $relative))
            if (-not $target.StartsWith($base, [StringComparison]::OrdinalIgnoreCase)) {
                throw "entry '$name' would be written outside the module folder"
            }
            if ($name.EndsWith('/')) {
                New-Item -Path $target -ItemType Directory -Force | Out-Null
                continue
            }
            $folder = Split-Path -Path $target -Parent
            if (-not (Test-Path -LiteralPath $folder)) { New-Item -Path $folder -ItemType Directory -Force | Out-Null }
            [IO.Compression.ZipFileExtensions]::ExtractToFile($entry, $target, $true)
        }
    }
    catch {
        Remove-Item -LiteralPath $staging -Recurse -Force -ErrorAction SilentlyContinue
        throw
    }
    finally {
        $zip.Dispose()
    }
    if (Test-Path -LiteralPath $dest) { Remove-Item -LiteralPath $dest -Recurse -Force }
    Move-Item -LiteralPath $staging -Destination $dest
    $dest
}

$minimum = ConvertTo-ExoVersion -Text $minimumText
if (-not $minimum) {
    $module.FailJson("minimum_version '$minimumText' is not a module version such as 3.2.0")
}

try {
    $before = Get-ExoProbe
}
catch {
    $module.FailJson("reading installed modules at Get-Module -ListAvailable: $($_.Exception.Message)", $_)
}

$installed = @(Get-InstalledVersion -Probe $before | ForEach-Object { $_.Text })
$satisfiedBy = Get-SatisfyingVersion -Probe $before -Minimum $minimum
$source = 'repository'
if ($nupkgPath) { $source = 'nupkg' }

$module.Result.changed = $false
$module.Result.installed = $installed
$module.Result.installed_after = $installed
$module.Result.satisfied_by = $satisfiedBy
$module.Result.minimum_version = $minimumText
$module.Result.maximum_version = $null
$module.Result.source = $source
$module.Result.powershell = $before.powershell
$module.Result.clickonce_leftovers = $before.clickonce
$module.Result.probe = $before

$old = @($installed | Where-Object { $v = ConvertTo-ExoVersion -Text $_; $v.Release -lt [version]'3.0.0.0' })
if ($old.Count -gt 0) {
    $module.Warn(("ExchangeOnlineManagement before 3.0.0 is still installed ({0}); it depends on Remote PowerShell for many cmdlets" -f ($old -join ', ')))
}
if ($before.clickonce.Count -gt 0) {
    $module.Warn(('the retired V1 ClickOnce "Exchange Online Remote PowerShell Module" is still present for {0} profile(s); ' -f $before.clickonce.Count) +
        'scripts that load it with Connect-EXOPSSession no longer work')
}

if ($satisfiedBy -or $state -eq 'query') {
    $module.Result.action = 'none'
    if ($satisfiedBy) {
        $module.Result.reason = "$satisfiedBy is installed"
    }
    else {
        $module.Result.reason = "not installed at version $($minimum.Text) or later"
    }
    $module.ExitJson()
}

$package = $null
if ($nupkgPath) {
    try {
        $package = Select-Nupkg -Path $nupkgPath
        $meta = Get-NupkgMetadata -Path $package
    }
    catch {
        $module.FailJson("offline package at ${nupkgPath}: $($_.Exception.Message)", $_)
    }
    if ($meta.id -ne $moduleName) {
        $module.FailJson("offline package at ${package} holds $($meta.id), not $moduleName")
    }
    $offline = ConvertTo-ExoVersion -Text $meta.version
    if (-not $offline) {
        $module.Result.action = 'fail'
        $module.FailJson('the offline package has no readable version')
    }
    if ($offline.Prerelease -and -not $allowPrerelease) {
        $module.Result.action = 'fail'
        $module.FailJson("the offline package is a prerelease ($($offline.Text)); set allow_prerelease to use it")
    }
    if ((Compare-ExoVersion -Left $offline -Right $minimum) -lt 0) {
        $module.Result.action = 'fail'
        $module.FailJson("the offline package holds $($offline.Text), below the minimum $($minimum.Text)")
    }
}

# Windows PowerShell 5.1 ships PowerShellGet 1.0.0.1, whose Install-Module has no -AllowPrerelease
# (PowerShellGet 1.6 added it); decide before check mode returns, so --check predicts the failure.
$installSupports = @{}
if (-not $package) {
    $installCommand = Get-Command -Name Install-Module -ErrorAction SilentlyContinue
    if ($null -eq $installCommand) {
        $module.Result.action = 'fail'
        $module.FailJson('Install-Module is not available on this host (PowerShellGet is missing); install PowerShellGet 2.2.5 or give nupkg_path')
    }
    foreach ($name in @('AllowPrerelease', 'AllowClobber', 'SkipPublisherCheck')) {
        $installSupports[$name] = $installCommand.Parameters.ContainsKey($name)
    }
    if ($allowPrerelease -and -not $installSupports.AllowPrerelease) {
        $module.Result.action = 'fail'
        $module.FailJson(("allow_prerelease needs Install-Module -AllowPrerelease, which PowerShellGet {0} lacks (Windows PowerShell 5.1 ships 1.0.0.1). " +
                "Install PowerShellGet 2.2.5 first (Install-Module -Name PowerShellGet -RequiredVersion 2.2.5 -Force -Scope AllUsers, then run this task " +
                "again so a new session loads it), or give nupkg_path with the prerelease package") -f $before.powershellget)
    }
}

$module.Result.action = 'install'
if ($installed.Count -gt 0) {
    $module.Result.reason = "newest installed is $($installed[0]), below $($minimum.Text)"
}
else {
    $module.Result.reason = "ExchangeOnlineManagement $($minimum.Text) or later is not installed"
}
$module.Result.changed = $true
if ($module.CheckMode) {
    $module.ExitJson()
}

if ($package) {
    try {
        $module.Result.install_path = Expand-Nupkg -Path $package -Version $meta.version
    }
    catch {
        $module.FailJson("unpacking ${package} at $(Get-ModulesRoot): $($_.Exception.Message)", $_)
    }
}
else {
    # Windows PowerShell 5.1 may default to TLS 1.0, which the PowerShell Gallery refuses
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    try {
        $nuget = Get-PackageProvider -ListAvailable -Name NuGet -ErrorAction SilentlyContinue |
            Where-Object { $_.Version -ge [version]'2.8.5.201' }
        if (-not $nuget) {
            Install-PackageProvider -Name NuGet -MinimumVersion 2.8.5.201 -Force -Scope AllUsers | Out-Null
        }
    }
    catch {
        $module.FailJson("installing the NuGet package provider at Install-PackageProvider: $($_.Exception.Message)", $_)
    }
    if ($repositoryUrl -and -not (Get-PSRepository -Name $repository -ErrorAction SilentlyContinue)) {
        try {
            Register-PSRepository -Name $repository -SourceLocation $repositoryUrl -InstallationPolicy Trusted
        }
        catch {
            $module.FailJson("registering repository $repository at ${repositoryUrl}: $($_.Exception.Message)", $_)
        }
    }
    $installParams = @{
        Name = $moduleName
        MinimumVersion = $minimumText
        Repository = $repository
        Scope = $scope
        Force = $true
        ErrorAction = 'Stop'
    }
    # AllowClobber and SkipPublisherCheck only where this PowerShellGet has them
    if ($installSupports.AllowClobber) { $installParams.AllowClobber = $true }
    if ($allowPrerelease) { $installParams.AllowPrerelease = $true }
    if ($module.Params.skip_publisher_check) {
        if (-not $installSupports.SkipPublisherCheck) {
            $module.FailJson("skip_publisher_check needs Install-Module -SkipPublisherCheck, which PowerShellGet $($before.powershellget) lacks; install PowerShellGet 2.2.5 first")
        }
        $installParams.SkipPublisherCheck = $true
    }
    try {
        Install-Module @installParams
    }
    catch {
        $module.FailJson("Install-Module from ${repository}: $($_.Exception.Message)", $_)
    }
}

try {
    $after = Get-ExoProbe
}
catch {
    $module.FailJson("reading installed modules after the installation at Get-Module -ListAvailable: $($_.Exception.Message)", $_)
}
$module.Result.installed_after = @(Get-InstalledVersion -Probe $after | ForEach-Object { $_.Text })
$module.Result.satisfied_by = Get-SatisfyingVersion -Probe $after -Minimum $minimum
if (-not $module.Result.satisfied_by) {
    $module.FailJson("installation finished but no version $($minimum.Text) or later is visible to Get-Module")
}
$module.ExitJson()
