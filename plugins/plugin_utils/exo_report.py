# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machine-readable reports of the Exchange Online script scan (controller side).

``build_json_report`` gives a plain JSON document for pipelines; ``build_sarif`` gives a SARIF 2.1.0
log that code-scanning front ends (GitHub code scanning, Azure DevOps SARIF viewer, GitLab via
converters) show inline on the file and line of each finding.

Findings use the shape of the exo engine's ``scan()`` findings plus a ``path``:
``{path, id, severity, message, line, column, end_line, end_column, rule, rewritable}``.
Lines and columns are taken as 1-based, ``end_column`` as the column just after the last character
(SARIF's convention).  Snippets are deliberately not copied: scripts often hold passwords.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import json
import ntpath
import os
import posixpath
from urllib.parse import quote

from ansible_collections.mailtls.remediation.plugins.plugin_utils._files import write_text_atomic

SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'
SARIF_VERSION = '2.1.0'
TOOL_NAME = 'mailtls.remediation.exo_scripts'
JSON_REPORT_SCHEMA = 1

_LEVELS = {
    'critical': 'error', 'high': 'error', 'error': 'error',
    'medium': 'warning', 'warning': 'warning', 'moderate': 'warning',
    'low': 'note', 'info': 'note', 'informational': 'note', 'note': 'note',
    'none': 'none',
}
_SECURITY_SEVERITY = {'error': '8.0', 'warning': '5.0', 'note': '2.0', 'none': '0.0'}

GENERIC_HELP = (
    'Exchange Online turned Remote PowerShell (RPS) off in October 2023: scripts that build a '
    'New-PSSession to a powershell-liveid endpoint, use the V1 Connect-EXOPSSession module or pass '
    '-UseRPSSession no longer connect. Use Connect-ExchangeOnline / Connect-IPPSSession from the '
    'ExchangeOnlineManagement V3 module. Findings marked rewritable are converted by '
    'mailtls.remediation.exo_scripts mode=migrate; the others need a person to review them '
    '(see docs/exo-migration.md in the collection).'
)


def sarif_level(severity):
    """Map an engine severity to a SARIF result level (unknown severities count as warnings)."""
    return _LEVELS.get(str(severity or '').strip().lower(), 'warning')


def _is_windows_path(path):
    return (len(path) >= 2 and path[1] == ':') or path.startswith('\\\\')


def artifact_location(path, root=None):
    """SARIF artifactLocation: relative to ``root`` (uriBaseId SRCROOT) when inside it, else an absolute file URI."""
    path = str(path)
    if _is_windows_path(path) or (root and _is_windows_path(str(root))):
        mod = ntpath
    else:
        mod = posixpath
    if root:
        root_norm = mod.normpath(str(root))
        path_norm = mod.normpath(path if mod.isabs(path) else mod.join(root_norm, path))
        try:
            rel = mod.relpath(path_norm, root_norm)
        except ValueError:  # different drives
            rel = None
        if rel is not None and rel != '.' and not rel.startswith('..'):
            return {'uri': quote(rel.replace('\\', '/')), 'uriBaseId': 'SRCROOT'}
    norm = mod.normpath(path).replace('\\', '/')
    if mod is ntpath:
        if norm.startswith('//'):
            return {'uri': 'file:' + quote(norm)}
        return {'uri': 'file:///' + quote(norm, safe='/:')}
    return {'uri': 'file://' + quote(norm)}


def _int(value, default=1):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return default
    return value if value >= 1 else default


def region(finding):
    start_line = _int(finding.get('line'))
    start_col = _int(finding.get('column'))
    end_line = _int(finding.get('end_line'), start_line)
    if end_line < start_line:
        end_line = start_line
    reg = {'startLine': start_line, 'startColumn': start_col, 'endLine': end_line}
    end_col = finding.get('end_column')
    if end_col is not None:
        end_col = _int(end_col, start_col + 1)
        if end_line == start_line and end_col <= start_col:
            end_col = start_col + 1
        reg['endColumn'] = end_col
    return reg


def _rule_fields(finding):
    """Rule id, name and extra help from a finding whose ``rule`` may be a string or a dict."""
    rule = finding.get('rule')
    rule_id = str(finding.get('id') or (rule.get('id') if isinstance(rule, dict) else '') or 'EXO')
    name = rule_id
    help_text = ''
    help_uri = ''
    if isinstance(rule, dict):
        name = str(rule.get('name') or rule_id)
        help_text = str(rule.get('help') or rule.get('description') or '')
        help_uri = str(rule.get('help_uri') or '')
    elif rule:
        name = str(rule)
    return rule_id, name, help_text, help_uri


def _pascal(name):
    parts = [p for p in ''.join(c if c.isalnum() else ' ' for c in name).split() if p]
    return ''.join(p[:1].upper() + p[1:] for p in parts) or 'Rule'


def build_rules(findings, rule_help=None):
    """tool.driver.rules entries, one per rule id, in first-seen order; returns (rules, index by id)."""
    rule_help = rule_help or {}
    rules = []
    index = {}
    for finding in findings:
        rule_id, name, help_text, help_uri = _rule_fields(finding)
        if rule_id in index:
            continue
        level = sarif_level(finding.get('severity'))
        text = rule_help.get(rule_id) or help_text or (str(finding.get('message') or '') + '\n\n' + GENERIC_HELP).strip()
        entry = {
            'id': rule_id,
            'name': _pascal(name),
            'shortDescription': {'text': str(finding.get('message') or name)[:1000]},
            'fullDescription': {'text': text},
            'help': {'text': text, 'markdown': text},
            'defaultConfiguration': {'level': level},
            'properties': {
                'tags': ['exchange-online', 'remote-powershell', 'migration'],
                'precision': 'high',
                'security-severity': _SECURITY_SEVERITY[level],
            },
        }
        if help_uri:
            entry['helpUri'] = help_uri
        index[rule_id] = len(rules)
        rules.append(entry)
    return rules, index


def _fingerprint(finding, uri):
    material = '\0'.join([str(finding.get('id') or ''), uri, str(finding.get('message') or ''), str(finding.get('column') or '')])
    return hashlib.sha256(material.encode('utf-8')).hexdigest()


def build_sarif(findings, root=None, tool_version='0.1.0', rule_help=None, invocation=None):
    """A SARIF 2.1.0 log (dict) for ``findings`` (each with a ``path``)."""
    findings = list(findings)
    rules, index = build_rules(findings, rule_help)
    results = []
    for finding in findings:
        rule_id = _rule_fields(finding)[0]
        loc = artifact_location(finding.get('path', ''), root)
        result = {
            'ruleId': rule_id,
            'ruleIndex': index[rule_id],
            'level': sarif_level(finding.get('severity')),
            'message': {'text': str(finding.get('message') or rule_id)},
            'locations': [{'physicalLocation': {'artifactLocation': loc, 'region': region(finding)}}],
            'partialFingerprints': {'exoFinding/v1': _fingerprint(finding, loc['uri'])},
            'properties': {'rewritable': bool(finding.get('rewritable'))},
        }
        if finding.get('host'):
            result['properties']['host'] = str(finding['host'])
        results.append(result)
    run = {
        'tool': {'driver': {
            'name': TOOL_NAME,
            'semanticVersion': tool_version,
            'version': tool_version,
            'rules': rules,
        }},
        'results': results,
        'columnKind': 'unicodeCodePoints',
    }
    if root:
        root_str = str(root)
        if _is_windows_path(root_str):
            base = 'file:///' + quote(root_str.replace('\\', '/').rstrip('/') + '/', safe='/:')
        else:
            base = 'file://' + quote(root_str.rstrip('/') + '/')
        run['originalUriBaseIds'] = {'SRCROOT': {'uri': base}}
    if invocation:
        run['invocations'] = [invocation]
    return {'$schema': SARIF_SCHEMA, 'version': SARIF_VERSION, 'runs': [run]}


def build_json_report(result, root=None, tool_version='0.1.0', host=None):
    """A stable JSON report from the exo_scripts task result (no file contents, no snippets)."""
    findings = []
    for finding in result.get('findings', []):
        item = {k: finding.get(k) for k in ('path', 'line', 'column', 'end_line', 'end_column', 'id', 'severity', 'message', 'rewritable')}
        if root:
            loc = artifact_location(finding.get('path', ''), root)
            if loc.get('uriBaseId'):
                item['relative_path'] = loc['uri']
        findings.append(item)
    return {
        'schema': JSON_REPORT_SCHEMA,
        'tool': {'name': TOOL_NAME, 'version': tool_version},
        'generated': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'host': host,
        'root': str(root) if root else None,
        'mode': result.get('mode'),
        'check_mode': bool(result.get('check_mode')),
        'summary': {
            'files_scanned': result.get('files_scanned', 0),
            'candidates': len(result.get('candidates', [])),
            'findings': len(findings),
            'legacy_remaining': result.get('legacy_remaining', 0),
            'changed_files': len(result.get('changed_files', [])),
            'refused': len(result.get('refused', [])),
            'parse_errors': len(result.get('parse_errors', [])),
        },
        'files': result.get('files', []),
        'findings': findings,
        'changed_files': result.get('changed_files', []),
        'backups': result.get('backups', []),
        'refused': result.get('refused', []),
        'parse_errors': result.get('parse_errors', []),
    }


def write_json_atomic(path, document):
    """Write ``document`` as JSON to ``path`` through a temporary file in the same directory."""
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return write_text_atomic(path, json.dumps(document, indent=2, sort_keys=False) + '\n')
