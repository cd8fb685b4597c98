#!powershell

# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# tls_probe on Windows: real handshakes through SChannel (.NET SslStream) for each explicit
# version and for the OS default (protocol 'default'), with STARTTLS for IMAP/POP3/SMTP.
# Same result shape as the Linux module (documentation in tls_probe.py). Engine: 'schannel'.
# Linux-only options (openssl_conf, gnutls_priority_file, ca_path) are accepted and ignored.
#
# The handshakes run in a child Windows PowerShell process of the same bitness: SChannel caches
# credentials per process, and under PSRP one host process serves every task, so a probe in the
# task's own process could reuse what an earlier probe negotiated before a registry change.
# Parent and child exchange base64 of UTF-8 JSON on stdin/stdout (localised error texts survive).

$spec = @{
    options = @{
        endpoints = @{
            type = 'list'
            elements = 'dict'
            options = @{
                host = @{ type = 'str'; required = $true }
                port = @{ type = 'int'; required = $true }
                service = @{ type = 'str'; default = 'imap'; choices = 'imap', 'pop3', 'smtp' }
                mode = @{ type = 'str'; default = 'implicit'; choices = 'implicit', 'starttls' }
                server_name = @{ type = 'str' }
            }
        }
        protocols = @{ type = 'list'; elements = 'str'; default = @('tls1_0', 'tls1_1', 'tls1_2', 'tls1_3'); choices = 'ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3' }
        engines = @{ type = 'list'; elements = 'str'; choices = 'python', 'openssl', 'gnutls', 'schannel' }
        retries = @{ type = 'int'; default = 3 }
        backoff = @{ type = 'float'; default = 1.0 }
        total_timeout = @{ type = 'float'; default = 60.0 }
        timeout = @{ type = 'float'; default = 10.0 }
        validate_certs = @{ type = 'bool'; default = $true }
        ca_path = @{ type = 'path' }
        server_name = @{ type = 'str' }
        openssl_conf = @{ type = 'path' }
        gnutls_priority_file = @{ type = 'path' }
        # Linux only (mail clients verified through their own OpenSSL/GnuTLS/Python settings); accepted so
        # one task serves a mixed inventory. Windows mail clients use SChannel, which the probe already covers.
        clients = @{
            type = 'list'
            elements = 'dict'
            options = @{
                name = @{ type = 'str'; required = $true }
                path = @{ type = 'path' }
                library = @{ type = 'str'; choices = 'openssl', 'gnutls', 'python' }
                min_protocol = @{ type = 'str'; choices = 'ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3' }
                max_protocol = @{ type = 'str'; choices = 'ssl3', 'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3' }
                priority = @{ type = 'str' }
            }
        }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false

$probeScript = {
    param($Settings)
    $ErrorActionPreference = 'Stop'
    # SslProtocols values. The enum names Tls13 only from .NET Framework 4.8 on; where it has no such
    # member TLS 1.3 is not tried (reported with reason dotnet_without_tls13), never cast.
    $protocolValue = @{ default = 0; ssl3 = 48; tls1_0 = 192; tls1_1 = 768; tls1_2 = 3072; tls1_3 = 12288 }
    $protocolName = @{ 48 = 'ssl3'; 192 = 'tls1_0'; 768 = 'tls1_1'; 3072 = 'tls1_2'; 12288 = 'tls1_3' }
    $legacy = @('ssl3', 'tls1_0', 'tls1_1')
    $hasTls13 = [System.Enum]::GetNames([System.Security.Authentication.SslProtocols]) -contains 'Tls13'
    $dotnetRelease = 'release unknown'
    $ndp = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -Name Release -ErrorAction SilentlyContinue
    if ($null -ne $ndp) {
        $dotnetRelease = "release $($ndp.Release)"
    }
    # SSPI status codes (winerror.h), compared as signed 32-bit HResults.
    $script:SecCodes = @{
        unsupported_function = -2146893054   # SEC_E_UNSUPPORTED_FUNCTION 0x80090302
        illegal_message = -2146893018        # SEC_E_ILLEGAL_MESSAGE 0x80090326
        algorithm_mismatch = -2146893007     # SEC_E_ALGORITHM_MISMATCH 0x80090331
        untrusted_root = -2146893019         # SEC_E_UNTRUSTED_ROOT 0x80090325
        cert_expired = -2146893016           # SEC_E_CERT_EXPIRED 0x80090328
        wrong_principal = -2146893022        # SEC_E_WRONG_PRINCIPAL 0x80090322
        cert_unknown = -2146893017           # SEC_E_CERT_UNKNOWN 0x80090327
    }

    Function Read-ProbeLine {
        param($Stream)
        $bytes = [System.Collections.Generic.List[byte]]@()
        while ($bytes.Count -lt 8192) {
            $b = $Stream.ReadByte()
            if ($b -lt 0) {
                break
            }
            $bytes.Add([byte]$b)
            if ($b -eq 10) {
                break
            }
        }
        [System.Text.Encoding]::ASCII.GetString($bytes.ToArray())
    }

    Function Send-ProbeLine {
        param($Stream, [string]$Line)
        $data = [System.Text.Encoding]::ASCII.GetBytes("$Line`r`n")
        $Stream.Write($data, 0, $data.Length)
        $Stream.Flush()
    }

    Function Read-SmtpReply {
        param($Stream)
        $texts = [System.Collections.Generic.List[string]]@()
        for ($i = 0; $i -lt 100; $i++) {
            $line = (Read-ProbeLine -Stream $Stream).TrimEnd("`r", "`n")
            if ($line.Length -lt 3) {
                throw [System.Net.ProtocolViolationException]::new("starttls: connection closed or short SMTP reply '$line'")
            }
            $texts.Add($line.Substring([Math]::Min(4, $line.Length)))
            if ($line.Length -lt 4 -or $line[3] -ne '-') {
                return @{ code = [int]$line.Substring(0, 3); texts = @($texts) }
            }
        }
        throw [System.Net.ProtocolViolationException]::new('starttls: SMTP reply too long')
    }

    Function Invoke-StartTls {
        param($Stream, [string]$Service)
        if ($Service -eq 'imap') {
            $greeting = Read-ProbeLine -Stream $Stream
            if (-not ($greeting.StartsWith('* OK') -or $greeting.StartsWith('* PREAUTH'))) {
                throw [System.Net.ProtocolViolationException]::new("starttls: unexpected IMAP greeting '$($greeting.Trim())'")
            }
            Send-ProbeLine -Stream $Stream -Line 'a STARTTLS'
            for ($i = 0; $i -lt 100; $i++) {
                $line = Read-ProbeLine -Stream $Stream
                if (-not $line) {
                    throw [System.Net.ProtocolViolationException]::new('starttls: connection closed after STARTTLS')
                }
                if ($line.StartsWith('a OK')) {
                    return
                }
                if ($line.StartsWith('a ')) {
                    throw [System.Net.ProtocolViolationException]::new("starttls: STARTTLS refused: $($line.Trim())")
                }
            }
            throw [System.Net.ProtocolViolationException]::new('starttls: no tagged answer to STARTTLS')
        }
        if ($Service -eq 'pop3') {
            $greeting = Read-ProbeLine -Stream $Stream
            if (-not $greeting.StartsWith('+OK')) {
                throw [System.Net.ProtocolViolationException]::new("starttls: unexpected POP3 greeting '$($greeting.Trim())'")
            }
            Send-ProbeLine -Stream $Stream -Line 'STLS'
            $line = Read-ProbeLine -Stream $Stream
            if (-not $line.StartsWith('+OK')) {
                throw [System.Net.ProtocolViolationException]::new("starttls: STLS refused: $($line.Trim())")
            }
            return
        }
        $reply = Read-SmtpReply -Stream $Stream
        if ($reply.code -ne 220) {
            throw [System.Net.ProtocolViolationException]::new("starttls: unexpected SMTP greeting $($reply.code)")
        }
        Send-ProbeLine -Stream $Stream -Line 'EHLO localhost'
        $reply = Read-SmtpReply -Stream $Stream
        if ($reply.code -ne 250) {
            throw [System.Net.ProtocolViolationException]::new("starttls: EHLO refused: $($reply.code)")
        }
        if (-not ($reply.texts | Where-Object { $_.ToUpperInvariant().Split(' ')[0] -eq 'STARTTLS' })) {
            throw [System.Net.ProtocolViolationException]::new('starttls: server does not offer STARTTLS')
        }
        Send-ProbeLine -Stream $Stream -Line 'STARTTLS'
        $reply = Read-SmtpReply -Stream $Stream
        if ($reply.code -ne 220) {
            throw [System.Net.ProtocolViolationException]::new("starttls: STARTTLS refused: $($reply.code)")
        }
    }

    Function Get-ProbeFailure {
        <#
        Classifies an exception: who ended the try and a short reason, like the Linux engines. Only
        exception types, HResults, SocketError and SEC_E_* codes decide: the message text is localised
        on non-English Windows and is kept only as the failure description.
        #>
        param($ErrorRecord, [bool]$CertificateRejected)
        $ex = $ErrorRecord.Exception
        while ($ex -is [System.Management.Automation.MethodInvocationException] -and $null -ne $ex.InnerException) {
            $ex = $ex.InnerException
        }
        $texts = [System.Collections.Generic.List[string]]@()
        $codes = [System.Collections.Generic.List[int]]@()
        $types = [System.Collections.Generic.List[string]]@()
        $socket = $null
        $cursor = $ex
        while ($null -ne $cursor) {
            $texts.Add($cursor.Message)
            $types.Add($cursor.GetType().FullName)
            $codes.Add($cursor.HResult)
            if ($cursor -is [System.ComponentModel.Win32Exception]) {
                $codes.Add($cursor.NativeErrorCode)
            }
            if ($cursor -is [System.Net.Sockets.SocketException] -and $null -eq $socket) {
                $socket = $cursor.SocketErrorCode.ToString()
            }
            $cursor = $cursor.InnerException
        }
        $text = ($texts -join ' | ')
        if ($text.Length -gt 600) {
            $text = $text.Substring(0, 600)
        }
        $refusedBy = 'unknown'
        $reason = $null
        $certificateCodes = @($script:SecCodes.untrusted_root, $script:SecCodes.cert_expired, $script:SecCodes.wrong_principal, $script:SecCodes.cert_unknown)
        if ($types -contains 'System.Net.ProtocolViolationException') {
            $refusedBy = 'server'
            $reason = 'starttls'
        }
        elseif ($CertificateRejected -or @($codes | Where-Object { $certificateCodes -contains $_ }).Count -gt 0) {
            $refusedBy = 'client'
            $reason = 'certificate'
        }
        elseif ($codes -contains $script:SecCodes.unsupported_function) {
            # SChannel on this host will not offer the version (disabled, or unknown to this build)
            $refusedBy = 'local_policy'
            $reason = 'no_protocols_available'
        }
        elseif ($codes -contains $script:SecCodes.algorithm_mismatch -or $codes -contains $script:SecCodes.illegal_message) {
            $refusedBy = 'server'
            $reason = 'protocol_version'
        }
        elseif ($types -contains 'System.TimeoutException' -or $socket -eq 'TimedOut') {
            $refusedBy = 'network'
            $reason = 'timeout'
        }
        elseif ($socket -in @('ConnectionRefused', 'HostNotFound', 'NoData', 'HostUnreachable', 'NetworkUnreachable', 'TryAgain')) {
            $refusedBy = 'network'
            $reason = 'connect'
        }
        elseif ($socket -in @('ConnectionReset', 'ConnectionAborted', 'Shutdown') -or $types -contains 'System.IO.IOException') {
            # an IOException out of the handshake without a socket error is the peer closing the stream
            $refusedBy = 'server'
            $reason = 'connection_closed'
        }
        elseif ($types -contains 'System.Management.Automation.PSInvalidCastException' -or $types -contains 'System.ArgumentException' -or
            $types -contains 'System.NotSupportedException') {
            $refusedBy = 'engine'
            $reason = 'unsupported_by_dotnet'
        }
        $status = if ($refusedBy -in @('network', 'engine')) { 'error' } else { 'failure' }
        @{ status = $status; failure = $text; refused_by = $refusedBy; reason = $reason }
    }

    Function Invoke-SchannelTry {
        param($Endpoint, [string]$Protocol, [double]$Timeout, [bool]$ValidateCerts, [string]$Name)
        $ms = [int][Math]::Max(100, $Timeout * 1000)
        $client = New-Object -TypeName System.Net.Sockets.TcpClient
        $ssl = $null
        $certErrors = @{ value = $null }
        try {
            $connect = $client.ConnectAsync($Endpoint.host, [int]$Endpoint.port)
            if (-not $connect.Wait($ms)) {
                throw [System.TimeoutException]::new("connect to $($Endpoint.host):$($Endpoint.port) timed out after $Timeout s")
            }
            $stream = $client.GetStream()
            $stream.ReadTimeout = $ms
            $stream.WriteTimeout = $ms
            if ($Endpoint.mode -eq 'starttls') {
                Invoke-StartTls -Stream $stream -Service $Endpoint.service
            }
            $callback = {
                param($sender, $certificate, $chain, $policyErrors)
                $certErrors.value = $policyErrors.ToString()
                (-not $ValidateCerts) -or ($policyErrors -eq [System.Net.Security.SslPolicyErrors]::None)
            }.GetNewClosure()
            $ssl = New-Object -TypeName System.Net.Security.SslStream -ArgumentList $stream, $false, ([System.Net.Security.RemoteCertificateValidationCallback]$callback)
            $ssl.ReadTimeout = $ms
            $ssl.WriteTimeout = $ms
            $wanted = [System.Enum]::ToObject([System.Security.Authentication.SslProtocols], [int]$protocolValue[$Protocol])
            $ssl.AuthenticateAsClient($Name, $null, $wanted, $false)
            $negotiatedValue = [int]$ssl.SslProtocol
            $negotiated = $protocolName[$negotiatedValue]
            if (-not $negotiated) {
                $negotiated = [string]$negotiatedValue
            }
            $cipher = "$($ssl.CipherAlgorithm)/$($ssl.HashAlgorithm)/$($ssl.KeyExchangeAlgorithm)"
            if ($Protocol -ne 'default' -and $negotiated -ne $Protocol) {
                return @{ status = 'failure'; negotiated_protocol = $negotiated; cipher = $cipher; refused_by = 'unknown'; reason = 'unexpected_version'
                    failure = "negotiated $negotiated although only $Protocol was enabled"
                }
            }
            @{ status = 'success'; negotiated_protocol = $negotiated; cipher = $cipher; failure = $null; refused_by = $null; reason = $null }
        }
        catch {
            $rejected = $ValidateCerts -and $null -ne $certErrors.value -and $certErrors.value -ne 'None'
            $failed = Get-ProbeFailure -ErrorRecord $_ -CertificateRejected $rejected
            if ($failed.reason -eq 'certificate' -and $certErrors.value) {
                $failed.failure = "$($failed.failure) ($($certErrors.value))"
            }
            $failed.negotiated_protocol = $null
            $failed.cipher = $null
            $failed
        }
        finally {
            if ($null -ne $ssl) {
                $ssl.Dispose()
            }
            $client.Dispose()
        }
    }

    $protocols = @($Settings.protocols) + @('default')
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $deadline = [double]$Settings.total_timeout
    $results = [System.Collections.Generic.List[object]]@()

    foreach ($endpoint in @($Settings.endpoints)) {
        $name = if ($endpoint.server_name) { $endpoint.server_name } elseif ($Settings.server_name) { $Settings.server_name } else { $endpoint.host }
        foreach ($protocol in $protocols) {
            $attempts = [System.Collections.Generic.List[object]]@()
            for ($number = 1; $number -le $Settings.retries + 1; $number++) {
                $remaining = $deadline - $clock.Elapsed.TotalSeconds
                if ($remaining -le 0.05) {
                    break
                }
                $tryTimeout = [Math]::Min([double]$Settings.timeout, $remaining)
                $begin = $clock.Elapsed.TotalSeconds
                if ($protocol -eq 'tls1_3' -and -not $hasTls13) {
                    # Stock .NET before 4.8 (stock Server 2016 / 2019) has no SslProtocols.Tls13: nothing was
                    # sent, so the server is not to blame and SChannel's TLS 1.3 support stays unknown.
                    $attempts.Add(@{ attempt = $number; start = [Math]::Round($begin, 3); duration = 0.0; timeout = 0.0; status = 'error'
                            negotiated_protocol = $null; cipher = $null; refused_by = 'engine'; reason = 'dotnet_without_tls13'
                            failure = "the .NET Framework of this host ($dotnetRelease) has no SslProtocols.Tls13 (4.8 or newer needed); TLS 1.3 was not tried"
                        })
                    break
                }
                $attempt = Invoke-SchannelTry -Endpoint $endpoint -Protocol $protocol -Timeout $tryTimeout -ValidateCerts $Settings.validate_certs -Name $name
                $attempt.attempt = $number
                $attempt.start = [Math]::Round($begin, 3)
                $attempt.duration = [Math]::Round($clock.Elapsed.TotalSeconds - $begin, 3)
                $attempt.timeout = [Math]::Round($tryTimeout, 3)
                $attempts.Add($attempt)
                if ($attempt.status -eq 'success' -or $attempt.refused_by -in @('local_policy', 'engine') -or $number -gt $Settings.retries) {
                    break
                }
                $delay = [double]$Settings.backoff * [Math]::Pow(2, $number - 1)
                if ($clock.Elapsed.TotalSeconds + $delay -ge $deadline - 0.05) {
                    $attempt.note = 'no retry: backoff of {0:N1}s would pass total_timeout' -f $delay
                    break
                }
                Start-Sleep -Milliseconds ([int]($delay * 1000))
            }
            $statuses = @($attempts | ForEach-Object { $_.status })
            $outcome = 'error'
            if ($statuses -contains 'success') {
                $outcome = if (@($statuses | Where-Object { $_ -ne 'success' }).Count -gt 0) { 'intermittent' } else { 'success' }
            }
            elseif ($statuses -contains 'failure') {
                $outcome = 'failure'
            }
            $result = @{
                host = $endpoint.host; port = [int]$endpoint.port; service = $endpoint.service; mode = $endpoint.mode
                engine = 'schannel'; protocol = $protocol; outcome = $outcome; negotiated_protocol = $null; cipher = $null
                failure = $null; refused_by = $null; reason = $null; attempts = @($attempts); attempt_count = $attempts.Count
                command = "SslStream.AuthenticateAsClient('$name', null, $($protocolValue[$protocol]), false)"
            }
            if ($protocol -eq 'tls1_3' -and -not $hasTls13) {
                $result.command = 'not run: SslProtocols has no Tls13 on this .NET Framework'
            }
            if ($attempts.Count -eq 0) {
                $result.failure = "not attempted: total_timeout of $($deadline)s used up"
                $result.refused_by = 'network'
                $result.reason = 'total_timeout'
            }
            $successes = @($attempts | Where-Object { $_.status -eq 'success' })
            $failures = @($attempts | Where-Object { $_.status -ne 'success' })
            if ($successes.Count -gt 0) {
                $result.negotiated_protocol = $successes[-1].negotiated_protocol
                $result.cipher = $successes[-1].cipher
            }
            if ($failures.Count -gt 0) {
                $result.failure = $failures[-1].failure
                $result.refused_by = $failures[-1].refused_by
                $result.reason = $failures[-1].reason
            }
            $results.Add($result)
        }
    }

    $summary = [System.Collections.Generic.List[object]]@()
    foreach ($endpoint in @($Settings.endpoints)) {
        $mine = @($results | Where-Object { $_.host -eq $endpoint.host -and $_.port -eq [int]$endpoint.port -and $_.service -eq $endpoint.service -and $_.mode -eq $endpoint.mode })
        $positive = @('success', 'intermittent')
        $okFor = {
            param($p)
            $subset = @($mine | Where-Object { $_.protocol -eq $p })
            if ($subset.Count -eq 0) {
                return @{ ok = $null; engines = @() }
            }
            $good = @($subset | Where-Object { $_.outcome -in $positive } | ForEach-Object { $_.engine })
            if ($good.Count -eq 0 -and @($subset | Where-Object { $_.reason -ne 'dotnet_without_tls13' }).Count -eq 0) {
                # not tried at all: unknown, not "does not work"
                return @{ ok = $null; engines = @() }
            }
            @{ ok = ($good.Count -gt 0); engines = $good }
        }
        $t12 = & $okFor 'tls1_2'
        $t13 = & $okFor 'tls1_3'
        $legacyBy = @($mine | Where-Object { $_.outcome -in $positive -and ($_.protocol -in $legacy -or ($_.protocol -eq 'default' -and $_.negotiated_protocol -in $legacy)) } |
                ForEach-Object { if ($_.protocol -eq 'default') { "schannel:default($($_.negotiated_protocol))" } else { "schannel:$($_.protocol)" } } | Sort-Object)
        $intermittent = @($mine | Where-Object { $_.outcome -eq 'intermittent' } | ForEach-Object { "schannel:$($_.protocol)" } | Sort-Object)
        $errors = @($mine | Where-Object { $_.outcome -eq 'error' } | ForEach-Object { "schannel:$($_.protocol)" } | Sort-Object)
        $label = "$($endpoint.service)://$($endpoint.host):$($endpoint.port) ($($endpoint.mode))"
        if ($legacyBy.Count -gt 0) {
            $verdict = 'legacy_accepted'
            $message = "this host still negotiates legacy TLS with this endpoint ($($legacyBy -join ', '))"
        }
        elseif ($t12.ok -or $t13.ok) {
            $verdict = 'ok'
            $parts = @($t12.engines | ForEach-Object { "tls1_2:$_" }) + @($t13.engines | ForEach-Object { "tls1_3:$_" })
            $message = "TLS 1.2 or newer works ($($parts -join ', ')) and no legacy protocol was negotiated"
        }
        elseif ($mine.Count -gt 0 -and @($mine | Where-Object { $_.outcome -ne 'error' }).Count -eq 0) {
            $verdict = 'unreachable'
            $message = "no TLS conversation took place ($((@($mine | ForEach-Object { $_.failure }) | Sort-Object -Unique) -join '; '))"
        }
        elseif ($null -eq $t12.ok -and $null -eq $t13.ok) {
            $verdict = 'legacy_refused'
            $message = 'no legacy protocol was negotiated (TLS 1.2 and 1.3 were not probed)'
        }
        else {
            $verdict = 'no_modern_tls'
            $message = 'no engine completed a TLS 1.2 or TLS 1.3 handshake with this endpoint'
        }
        if ($intermittent.Count -gt 0) {
            $message += "; intermittent: $($intermittent -join ', ')"
        }
        $summary.Add(@{
                endpoint = $label; host = $endpoint.host; port = [int]$endpoint.port; service = $endpoint.service; mode = $endpoint.mode
                tls12_ok = $t12.ok; tls12_engines = @($t12.engines); tls13_ok = $t13.ok; tls13_engines = @($t13.engines)
                legacy_accepted = ($legacyBy.Count -gt 0); legacy_accepted_by = $legacyBy; intermittent = $intermittent; errors = $errors
                verdict = $verdict; message = $message
            })
    }

    @{ results = @($results); summary = @($summary); elapsed = [Math]::Round($clock.Elapsed.TotalSeconds, 3) }
}

Function Invoke-ProbeChild {
    <#
    Runs the probe script block in a new powershell.exe of this process's bitness ($PSHOME), hands it
    the settings on stdin and reads its result from stdout. Returns $null when no child could start.
    #>
    param([scriptblock]$Script, $Settings, [double]$Timeout)
    $exe = Join-Path -Path $PSHOME -ChildPath 'powershell.exe'
    if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) {
        return $null
    }
    $bootstrap = @(
        '$ErrorActionPreference = ''Stop'''
        # stdin arrives as $input, as in Ansible's own bootstrap wrapper
        '$payload = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(($input | Out-String).Trim())) | ConvertFrom-Json'
        '$out = & ([scriptblock]::Create($payload.script)) $payload.settings'
        '$json = ConvertTo-Json -InputObject $out -Depth 10 -Compress'
        '[Console]::Out.Write([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json)))'
    ) -join "`n"
    $payload = ConvertTo-Json -InputObject @{ script = $Script.ToString(); settings = $Settings } -Depth 10 -Compress
    $psi = New-Object -TypeName System.Diagnostics.ProcessStartInfo
    $psi.FileName = $exe
    $psi.Arguments = '-NoProfile -NonInteractive -EncodedCommand ' + [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($bootstrap))
    $psi.UseShellExecute = $false
    $psi.CreateNoWindow = $true
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $proc = New-Object -TypeName System.Diagnostics.Process
    $proc.StartInfo = $psi
    try {
        [void]$proc.Start()
    }
    catch {
        return $null
    }
    try {
        $stdout = $proc.StandardOutput.ReadToEndAsync()
        $stderr = $proc.StandardError.ReadToEndAsync()
        $proc.StandardInput.Write([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($payload)))
        $proc.StandardInput.Close()
        if (-not $proc.WaitForExit([int]($Timeout * 1000))) {
            $proc.Kill()
            throw [System.TimeoutException]::new("the probe process did not finish within $Timeout s")
        }
        $proc.WaitForExit()
        $text = $stdout.Result.Trim()
        if ($proc.ExitCode -ne 0 -or -not $text) {
            throw [System.InvalidOperationException]::new("the probe process failed (exit code $($proc.ExitCode)): $($stderr.Result.Trim())")
        }
        @{ json = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($text)); pid = $proc.Id }
    }
    finally {
        $proc.Dispose()
    }
}

$endpoints = $module.Params.endpoints
if (-not $endpoints) {
    $endpoints = @(
        @{ host = 'outlook.office365.com'; port = 993; service = 'imap'; mode = 'implicit'; server_name = $null },
        @{ host = 'outlook.office365.com'; port = 995; service = 'pop3'; mode = 'implicit'; server_name = $null },
        @{ host = 'smtp.office365.com'; port = 587; service = 'smtp'; mode = 'starttls'; server_name = $null }
    )
}
$engines = $module.Params.engines
if ($engines -and ($engines | Where-Object { $_ -ne 'schannel' })) {
    $module.Warn("on Windows only the schannel engine exists; ignoring $((@($engines | Where-Object { $_ -ne 'schannel' })) -join ', ')")
}
if ($module.Params.clients) {
    $module.Warn('clients is ignored on Windows: Windows mail clients use SChannel, which the schannel probes cover')
}
$module.Result.client_results = @()
$module.Result.client_summary = @()
if ($module.Params.ca_path) {
    $module.Warn('ca_path is ignored on Windows: SChannel validates against the Windows certificate store')
}
$settings = @{
    endpoints = @($endpoints); protocols = @($module.Params.protocols); retries = $module.Params.retries; backoff = $module.Params.backoff
    total_timeout = $module.Params.total_timeout; timeout = $module.Params.timeout; validate_certs = $module.Params.validate_certs
    server_name = $module.Params.server_name
}
try {
    $child = Invoke-ProbeChild -Script $probeScript -Settings $settings -Timeout ([double]$module.Params.total_timeout + 60)
}
catch {
    $module.FailJson("tls_probe: the probe process at $PSHOME\powershell.exe failed: $($_.Exception.Message)", $_)
}
if ($null -ne $child) {
    $out = [Ansible.Basic.AnsibleModule]::FromJson($child.json)
    $module.Result.probe_process = 'child'
}
else {
    $module.Warn("no child powershell.exe could be started from $PSHOME; the probe ran in the task's own process and may reuse cached TLS credentials")
    $out = & $probeScript $settings
    $module.Result.probe_process = 'in-process'
}
$module.Result.results = @($out.results)
$module.Result.summary = @($out.summary)
$module.Result.engines = @('schannel')
$module.Result.elapsed = $out.elapsed
$module.ExitJson()
