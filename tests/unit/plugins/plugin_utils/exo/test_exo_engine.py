# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit and property tests of the EXO script engine."""

import codecs
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo
from ansible_collections.mailtls.remediation.plugins.plugin_utils.exo import _migrate as migrate_impl

SAMPLE = 'Write-Host "caf\u00e9"\nGet-Mailbox\n'


@pytest.mark.parametrize('codec,bom,newline', [
    ('utf-8', False, '\n'), ('utf-8', True, '\r\n'), ('utf-16-le', True, '\r\n'), ('utf-16-be', True, '\n'),
    ('utf-16-le', False, '\r\n'), ('cp1252', False, '\n'), ('utf-8', False, '\r'),
])
def test_decode_encode_round_trip(codec, bom, newline):
    boms = {'utf-8': codecs.BOM_UTF8, 'utf-16-le': codecs.BOM_UTF16_LE, 'utf-16-be': codecs.BOM_UTF16_BE}
    text = SAMPLE.replace('\n', newline)
    data = (boms[codec] if bom else b'') + text.encode(codec)
    decoded, encoding = exo.decode_script(data)
    assert decoded == text
    assert encoding['codec'] == codec
    assert encoding['bom'] is bom
    assert encoding['newline'] == newline
    assert encoding['legacy'] is (codec == 'cp1252')
    assert exo.encode_script(decoded, encoding) == data


def test_decode_undefined_cp1252_bytes_fall_back_to_latin1():
    data = b'# \x81\x8d odd bytes \xe9\n'
    text, encoding = exo.decode_script(data)
    assert encoding['codec'] == 'latin-1' and encoding['legacy']
    assert exo.encode_script(text, encoding) == data


def test_decode_mixed_line_endings_recorded():
    text, encoding = exo.decode_script(b'a\r\nb\nc\r\n')
    assert encoding['line_endings'] == 'mixed'
    assert encoding['newline'] == '\r\n'
    assert exo.encode_script(text, encoding) == b'a\r\nb\nc\r\n'


def test_normalise_keeps_length():
    text = '\u2013AllowRedirection \u201cMicrosoft.Exchange\u201d \u2018x\u2019 \u2014 \u2015 \u201a \u201b \u201e'
    norm = exo.normalise(text)
    assert len(norm) == len(text)
    assert norm == "-AllowRedirection \"Microsoft.Exchange\" 'x' - - ' ' \""


def test_nothing_to_do_returns_same_object():
    text = 'Get-Process | Select-Object Name, Id\n'
    result = exo.migrate(text)
    assert result['changed'] is False and result['text'] is text and result['edits'] == []


def test_unknown_auth_rejected():
    with pytest.raises(ValueError):
        exo.migrate('Get-Mailbox\n', auth='basic')


def test_columns_count_characters_after_unicode():
    text = ('# \u00e9\u00e9\u00e9 \u2013\n$s = New-PSSession \u2013ConfigurationName Microsoft.Exchange '
            '\u2013ConnectionUri https://outlook.office365.com/powershell-liveid/\nImport-PSSession $s\n')
    result = exo.scan(text)
    first = [f for f in result['findings'] if f['id'] == 'EXO001'][0]
    assert (first['line'], first['column']) == (2, 6)
    assert text[first['offset']:first['end_offset']].startswith('New-PSSession')


def test_rewrite_that_would_not_parse_is_refused(monkeypatch):
    text = ('$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ '
            '-Credential $c -Authentication Basic -AllowRedirection\nImport-PSSession $s\n')
    good = exo.migrate(text)
    assert good['changed']

    def broken(analysis, conn, auth, options):
        return 'Connect-ExchangeOnline -Credential (', None
    monkeypatch.setattr(migrate_impl, 'build_connect', broken)
    result = exo.migrate(text)
    assert result['changed'] is False and result['text'] is text
    assert any(f['id'] == 'EXO030' for f in result['findings'])


def test_script_with_parse_error_is_not_rewritten():
    text = 'Connect-ExchangeOnline -UseRPSSession\nif ($a {\n'
    result = exo.migrate(text)
    assert result['changed'] is False
    assert exo.scan(text)['parse_errors']
    assert any(f['id'] == 'EXO030' for f in result['findings'])


def test_certificate_options_are_quoted():
    text = '$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/\nImport-PSSession $s\n'
    options = {'app_id': "a'b", 'certificate_file_path': '/etc/exo/app.pfx', 'organization': 'contoso.onmicrosoft.com', 'platform': 'linux'}
    result = exo.migrate(text, auth='certificate', options=options)
    assert "-AppId 'a''b' -CertificateFilePath '/etc/exo/app.pfx' -Organization 'contoso.onmicrosoft.com'" in result['text']
    assert not [f for f in result['findings'] if f['id'] == 'EXO023']


def test_requires_not_added_when_disabled():
    text = 'Connect-ExchangeOnline -UseRPSSession\n'
    result = exo.migrate(text, options={'add_requires': False})
    assert result['text'] == 'Connect-ExchangeOnline\n'


def test_prefilter_patterns_are_plain_strings():
    patterns = exo.prefilter_patterns()
    assert all(isinstance(p, str) and p for p in patterns)
    assert exo.prefilter_match('Import\u2013PSSession $s')
    assert exo.prefilter_match("$h = 'ps.compliance.protection.outlook.com'")
    assert not exo.prefilter_match('Get-Process\n')


# -- properties ----------------------------------------------------------------------------------

HOSTS = {
    'outlook.office365.com': ('exchange_online', None),
    'ps.outlook.com': ('exchange_online', None),
    'outlook.office365.us': ('exchange_online', 'O365USGovGCCHigh'),
    'webmail.apps.mil': ('exchange_online', 'O365USGovDoD'),
    'partner.outlook.cn': ('exchange_online', 'O365China'),
    'ps.compliance.protection.outlook.com': ('security_compliance', None),
    'ps.protection.outlook.com': ('eop', None),
    'exch01.corp.example.org': ('on_premises', None),
}


@st.composite
def session_scripts(draw):
    host = draw(st.sampled_from(sorted(HOSTS)))
    onprem = HOSTS[host][0] == 'on_premises'
    uri = ('http://%s/PowerShell/' if onprem else 'https://%s/powershell-liveid/') % host
    quote = draw(st.sampled_from(['', "'", '"', '\u2018\u2019', '\u201c\u201d']))
    open_q, close_q = (quote[0], quote[-1]) if quote else ('', '')

    def dash():
        return draw(st.sampled_from(['-', '-', '\u2013', '\u2014']))
    params = [
        'ConfigurationName %sMicrosoft.Exchange%s' % (open_q, close_q),
        'ConnectionUri %s%s%s' % (open_q, uri, close_q),
        'Credential $Cred',
        'Authentication %s' % ('Kerberos' if onprem else 'Basic'),
    ]
    if not onprem:
        params.append('AllowRedirection')
    params = draw(st.permutations(params))
    parts = []
    for param in params:
        name, value = param.partition(' ')[0::2]
        name = ''.join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
        sep = draw(st.sampled_from([' ', '  ', '\t', ' `\n    ', ' `\r\n  ']))
        parts.append(sep + dash() + name + ((' ' + value) if value else ''))
    cmd_name = draw(st.sampled_from(['New-PSSession', 'new-pssession', 'NEW-PSSESSION']))
    indent = draw(st.sampled_from(['', '    ']))
    newline = draw(st.sampled_from(['\n', '\r\n']))
    text = indent + '$Session = ' + cmd_name + ''.join(parts) + newline
    text += indent + 'Import-PSSession $Session' + draw(st.sampled_from(['', ' -DisableNameChecking', ' -AllowClobber | Out-Null'])) + newline
    text += 'Get-Mailbox' + newline
    text += draw(st.sampled_from(['Remove-PSSession $Session', 'Get-PSSession | Remove-PSSession', ''])) + newline
    return host, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session_scripts())
def test_property_classification_and_rewrite(sample):
    host, text = sample
    kind, environment = HOSTS[host]
    scan = exo.scan(text)
    assert scan['parse_errors'] == []
    assert [c['kind'] for c in scan['connections']] == [kind]
    assert scan['connections'][0]['environment'] == environment
    result = exo.migrate(text)
    if kind == 'on_premises':
        assert result['changed'] is False and result['text'] is text
        return
    assert result['changed'] is True
    assert result['parse_errors_after'] == []
    assert exo.scan(result['text'])['parse_errors'] == []
    assert result['legacy_remaining'] == 0
    assert 'New-PSSession' not in result['text'] and 'Import-PSSession' not in result['text']
    expected = 'Connect-IPPSSession' if kind == 'security_compliance' else 'Connect-ExchangeOnline'
    assert expected in result['text']
    if environment:
        assert '-ExchangeEnvironmentName ' + environment in result['text']
    again = exo.migrate(result['text'])
    assert again['changed'] is False and again['text'] is result['text']
    newline = exo.decode_script(text.encode('utf-8'))[1]['newline']
    assert result['text'].startswith(exo.REQUIRES_LINE + newline)


@st.composite
def rps_flag_scripts(draw):
    form = draw(st.sampled_from(['-UseRPSSession', '-UseRPSSession:$true', '-UseRPSSession:$false', '-UseRPSSession $true',
                                 '-userpssession', '\u2013UseRPSSession']))
    others = draw(st.lists(st.sampled_from(['-UserPrincipalName admin@contoso.com', '-ShowBanner:$false', '-Prefix Cloud']),
                           unique=True, max_size=3))
    position = draw(st.integers(min_value=0, max_value=len(others)))
    args = list(others)
    args.insert(position, form)
    seps = [draw(st.sampled_from([' ', ' `\n  '])) for arg in args]
    cmd = draw(st.sampled_from(['Connect-ExchangeOnline', 'Connect-IPPSSession']))
    return cmd + ''.join(s + a for s, a in zip(seps, args)) + '\n', others


@settings(max_examples=100, deadline=None)
@given(rps_flag_scripts())
def test_property_use_rps_session_removed(sample):
    text, others = sample
    result = exo.migrate(text)
    assert result['changed'] is True
    assert 'rpssession' not in result['text'].lower()
    assert '$true' not in result['text'].split('\n', 1)[1]
    for other in others:
        assert other in result['text']
    assert exo.scan(result['text'])['parse_errors'] == []
    assert exo.migrate(result['text'])['changed'] is False


# -- def-use: no migrated output reads a name whose definition the rewrite removed ------------------

# uses of the session variable V (and of the module variable M that Import-PSSession returned)
PRESENCE_USES = [
    "if (!{V}) {{ throw 'not connected' }}",
    "if ({V}) {{ Write-Verbose 'connected' }}",
    "if (-not {V}) {{ return }}",
    "if ($null -eq {V}) {{ throw 'none' }}",
    "if ({V} -ne $null -and $ready) {{ 'ok' }}",
    "if ({V}.State -eq 'Opened') {{ 'ok' }}",
    "if ({V}.State -ne 'Opened') {{ throw 'broken' }}",
    "if ({V}.Availability -eq 'Available') {{ 'ok' }}",
    "$ok = [bool]{V}",
    "while (-not {V}) {{ break }}",
    "if ({V}) {{ Remove-PSSession {V} }}",
    "if ({M}.Count -ne 1) {{ throw 'import failed' }}",
    "if ({M}.Count -gt 0) {{ 'imported' }}",
    "if (!{M}) {{ throw 'import failed' }}",
    "Import-Module {M} -Global",
]
OTHER_USES = [
    'Write-Host "session: {V}"',
    'Invoke-Command -Session {V} -ScriptBlock {{ Get-Mailbox }}',
    'Write-Output {V}',
    '{V} | Export-Clixml -Path session.xml',
    '$name = {V}.ComputerName',
    'Enter-PSSession {V}',
    'Write-Host {M}.Name',
    '$copy = {V}',
    'Set-Variable -Name keep -Value {M}',
]


@st.composite
def defuse_scripts(draw):
    scope = draw(st.sampled_from(['', 'global:', 'script:']))
    name = draw(st.sampled_from(['Session', 'EXOSession', 'o365']))
    module = draw(st.sampled_from(['Modules', 'exoModule']))
    var = '$' + scope + name
    # a read may spell the scope differently from the definition (same binding at script level)
    reads = [var, '$' + name] if scope else [var]
    uses = draw(st.lists(st.sampled_from(PRESENCE_USES + OTHER_USES), min_size=1, max_size=4))
    before = draw(st.lists(st.sampled_from(uses), max_size=2))
    in_function = draw(st.booleans())
    lines = []
    if before:
        lines.append('function Test-Exchange {')
        lines.extend('    ' + u.format(V=draw(st.sampled_from(reads)), M='$' + module) for u in before)
        lines.append('}')
    body = [
        '%s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ '
        '-Credential $Cred -Authentication Basic -AllowRedirection' % var,
        '$%s = Import-PSSession %s -AllowClobber' % (module, var),
    ]
    body.extend(u.format(V=draw(st.sampled_from(reads)), M='$' + module) for u in uses)
    if in_function and not scope:
        lines.append('function Connect-Cloud {')
        lines.extend('    ' + line for line in body)
        lines.append('}')
        lines.append('Connect-Cloud')
    else:
        lines.extend(body)
    lines.append('Get-Mailbox -ResultSize 1')
    all_uses = set(uses) | set(before)
    # a function-local session read from another function: another binding, refused by the final name check
    cross_scope = bool(in_function and not scope and before)
    return '\n'.join(lines) + '\n', name, module, all_uses, cross_scope


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(defuse_scripts())
def test_property_no_read_of_removed_names(sample):
    text, name, module, uses, cross_scope = sample
    result = exo.migrate(text)
    if not result['changed']:
        assert result['text'] is text
        assert any(f['id'] == 'EXO031' for f in result['findings'])
        # the file was refused only because of a use with no V3 equivalent (or a read in another scope)
        assert uses & set(OTHER_USES) or cross_scope
        return
    out = result['text']
    for removed in (name, module):
        assert not re.search(r'\$(\{)?((global|script|local):)?%s\b' % re.escape(removed), out, re.I), (removed, out)
    assert exo.scan(out)['parse_errors'] == []
    assert 'Get-ConnectionInformation' in out or not (uses - {'Import-Module {M} -Global'})
    assert exo.migrate(out)['changed'] is False
    # every use with a known V3 equivalent lets the rewrite happen
    assert not (uses & set(OTHER_USES))


@pytest.mark.parametrize('auth,words', [
    ('keep_credential', ('ROPC', 'MFA')), ('interactive', ('MFA', 'unattended')),
    ('certificate', ('app-only', 'Windows only')), ('managed_identity', ('Azure', 'Connect-IPPSSession')),
])
def test_migrate_reports_the_limits_of_the_auth_mode(auth, words):
    text = ('$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ '
            '-Credential $c -Authentication Basic -AllowRedirection\nImport-PSSession $s\n')
    options = {'app_id': 'a', 'organization': 'contoso.onmicrosoft.com', 'certificate_thumbprint': 'AB'}
    for result in (exo.migrate(text, auth=auth, options=options), exo.migrate('Get-Mailbox\n', auth=auth)):
        assert all(word in result['auth_limits'] for word in words)


LEGACY_LINE = ('$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://outlook.office365.com/powershell-liveid/ '
               '-Credential $c -Authentication Basic -AllowRedirection\nImport-PSSession $s\n')


def test_size_bound_gives_a_finding_and_fails_closed():
    text = LEGACY_LINE * 50
    for result in (exo.scan(text, limits={'max_chars': 1000}), exo.migrate(text, limits={'max_chars': 1000})):
        assert [f['id'] for f in result['findings']] == ['EXO032']
        assert result['legacy_remaining'] == 1
    assert exo.migrate(text, limits={'max_chars': 1000})['text'] is text
    assert exo.scan('Get-Process\n' * 200, limits={'max_chars': 100})['legacy_remaining'] == 0


def test_time_bound_gives_a_finding_not_a_stall():
    import time
    text = LEGACY_LINE * 400
    start = time.monotonic()
    result = exo.migrate(text, limits={'max_seconds': 0.05})
    assert time.monotonic() - start < 5
    assert [f['id'] for f in result['findings']] == ['EXO032'] and result['changed'] is False
    assert 'longer than' in result['findings'][0]['message']
    assert exo.scan(text, limits={'max_seconds': 0.05})['legacy_remaining'] == 1


@pytest.mark.parametrize('build', [
    lambda n: '& {\n' * n + 'Get-Mailbox\n' + '}\n' * n,
    lambda n: '$x = ' + '@{ a = ' * n + '1' + ' }' * n + '\n',
    lambda n: LEGACY_LINE.replace('$s', '$s%d' % n) * n,
])
def test_analysis_time_grows_about_linearly(build):
    import time

    def cost(n):
        text = build(n)
        best = None
        for dummy in range(3):
            # CPU time of this process: other jobs on a shared machine do not count
            start = time.process_time()
            exo.migrate(text)
            took = time.process_time() - start
            best = took if best is None else min(best, took)
        return best
    small, large = cost(150), cost(600)
    # four times the input: a quadratic analysis costs 16x; allow noise on a shared machine
    assert large < max(small, 0.01) * 9, (small, large)
