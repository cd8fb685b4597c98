# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the findings catalogue of the EXO script engine (ids, rules, severities, default messages).

Severities use the SARIF levels: error, warning, note. docs/exo-migration-rules.md describes each entry.
"""

CATALOG = {
    'EXO001': ('rps-session', 'error', 'Remote PowerShell session to an Exchange Online endpoint (New-PSSession -ConfigurationName Microsoft.Exchange); '
               'RPS has been switched off, use the ExchangeOnlineManagement V3 module'),
    'EXO002': ('rps-import', 'error', 'Import-PSSession of a Remote PowerShell session to Exchange Online'),
    'EXO003': ('v1-module-connect', 'error', 'EXO V1 module connection (Connect-EXOPSSession / New-ExoPSSession); the V1 module needs RPS and is retired'),
    'EXO004': ('v1-module-loader', 'error', 'Loads the retired EXO V1 ClickOnce module (CreateExoPSSession.ps1 / ExoPowershellModule.dll)'),
    'EXO005': ('use-rps-session', 'error', '-UseRPSSession forces a Remote PowerShell connection, which Exchange Online no longer accepts'),
    'EXO006': ('rps-cleanup', 'warning', 'Removes PSSessions; REST connections of the V3 module are closed with Disconnect-ExchangeOnline'),
    'EXO010': ('on-premises-session', 'note', 'Remote PowerShell session to on-premises Exchange; not an Exchange Online connection, left unchanged'),
    'EXO011': ('other-session', 'note', 'Remote session to another service (for example Skype for Business Online); left unchanged'),
    'EXO012': ('unresolved-session', 'warning', 'Exchange Remote PowerShell session whose endpoint cannot be determined from this file; review by hand'),
    'EXO013': ('invoke-command-session', 'warning', 'Invoke-Command -Session does not work with V3 REST connections; run the cmdlets directly '
               '(or use -Prefix per connection)'),
    'EXO014': ('session-state-check', 'warning', 'Checks PSSession state; Get-PSSession does not list V3 REST connections, use Get-ConnectionInformation'),
    'EXO015': ('credential-reuse', 'warning', 'Credential used again after a connect took it; the migrated connect passes a copy of the '
               'credential, so later uses keep the password'),
    'EXO016': ('winrm-basic', 'warning', 'Enables WinRM Basic authentication, which only the retired Remote PowerShell needed'),
    'EXO017': ('proxy-session-option', 'warning', 'PSSession proxy options are ignored by V3 REST connections; configure the proxy at system level'),
    'EXO018': ('v3-output-change', 'note', 'Behaviour or output differs under the V3 module (REST); review this line'),
    'EXO019': ('credential-auth', 'warning', '-Credential is a resource owner password (ROPC) sign-in: it fails for accounts that must use MFA, '
               'for federated accounts and under Conditional Access; prefer interactive, certificate or managed identity authentication'),
    'EXO020': ('plaintext-password', 'error', 'Password literal in the script (ConvertTo-SecureString -AsPlainText); the value is not reported, '
               'store the secret outside the script'),
    'EXO021': ('parse-error', 'warning', 'Legacy Exchange code inside a region that does not parse; reported, never rewritten'),
    'EXO022': ('shadowing-function', 'warning', 'User function shadows an ExchangeOnlineManagement cmdlet name; generated calls are module-qualified'),
    'EXO023': ('auth-placeholder', 'warning', 'Placeholder value in a generated connection; replace it before running the script'),
    'EXO024': ('oauth-over-rps', 'warning', 'OAuth token passed as an RPS credential (BasicAuthToOAuthConversion); V3 takes the token with -AccessToken'),
    'EXO025': ('unresolved-import', 'warning', 'Import-PSSession of a session not created in this file; the session cannot be classified'),
    'EXO026': ('legacy-in-string', 'note', 'Legacy Exchange Remote PowerShell code inside a string; strings are never rewritten'),
    'EXO027': ('reserved-prefix', 'warning', 'The prefix EXO is reserved by the V3 module; choose another prefix'),
    'EXO028': ('not-rewritten', 'warning', 'Legacy connection not rewritten automatically'),
    'EXO029': ('scc-platform', 'note', 'Connect-IPPSSession (Security & Compliance) is not available in PowerShell 7 on Linux or macOS'),
    'EXO030': ('rewrite-parse-error', 'error', 'Script not rewritten: the script or the rewritten result does not parse'),
    'EXO033': ('grammar-gap', 'note', 'Valid PowerShell the grammar does not understand; no Exchange connection in it, left as it was'),
    'EXO032': ('analysis-bound', 'warning', 'Not analysed: the file is past the size or time bound per file; review it by hand'),
    'EXO031': ('dangling-read', 'error', 'Script not rewritten: a read of something the rewrite removes has no V3 equivalent'),
}


def make(finding_id, loc, snippet, connection=None, rewritable=False, message=None):
    rule, severity, default = CATALOG[finding_id]
    item = {
        'id': finding_id,
        'rule': rule,
        'severity': severity,
        'message': message or default,
        'snippet': snippet,
        'connection': connection,
        'rewritable': bool(rewritable),
    }
    item.update(loc)
    return item
