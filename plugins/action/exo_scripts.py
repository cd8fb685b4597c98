# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind ``mailtls.remediation.exo_scripts``.

The host does the cheap work (walk, prefilter, hash, atomic write) through the internal
``exo_script_files`` helper in plugin_utils/exo_target (Python on Linux, PowerShell on Windows); the controller does
the expensive work (parse, find, rewrite) with the exo engine. One helper call scans, one
helper call writes every changed file, whatever the number of files.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import os
import re

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.mailtls.remediation.plugins.plugin_utils._dispatch import execute_platform_module

from ansible_collections.mailtls.remediation.plugins.plugin_utils.exo_target import exo_script_files as local_files
from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo_report

try:
    from ansible_collections.mailtls.remediation.plugins.plugin_utils import exo as exo_engine
    ENGINE_IMPORT_ERROR = None
except ImportError as import_error:  # reported when the action runs
    exo_engine = None
    ENGINE_IMPORT_ERROR = import_error

# The target-side helper is internal: it lives in plugin_utils/exo_target (not a public module, not
# listed by ansible-doc) and this action adds that folder to the module search path for its calls.
HELPER = 'ansible.legacy.exo_script_files'
HELPER_DIR = os.path.dirname(os.path.abspath(local_files.__file__))
TOOL_VERSION = '0.1.0'
AUTH_CHOICES = ['keep_credential', 'interactive', 'certificate', 'managed_identity']
FINDING_KEYS = ('line', 'column', 'end_line', 'end_column', 'id', 'severity', 'message', 'rewritable', 'rule')

ARGUMENT_SPEC = dict(
    mode=dict(type='str', choices=['scan', 'migrate'], default='scan'),
    paths=dict(type='list', elements='str'),
    patterns=dict(type='list', elements='str', default=list(local_files.DEFAULT_PATTERNS)),
    exclude=dict(type='list', elements='str', default=[]),
    use_default_excludes=dict(type='bool', default=True),
    sniff_extensionless=dict(type='bool', default=True),
    max_file_size=dict(type='int', default=10485760),
    follow_symlinks=dict(type='bool', default=False),
    write=dict(type='str', choices=['in_place', 'side_by_side'], default='in_place'),
    side_by_side_suffix=dict(type='str', default='.exov3'),
    backup=dict(type='bool', default=True),
    backup_dir=dict(type='str'),
    auth=dict(type='str', choices=AUTH_CHOICES, default='keep_credential'),
    app_id=dict(type='str'),
    organization=dict(type='str'),
    certificate_thumbprint=dict(type='str'),
    certificate_path=dict(type='str'),
    certificate_password_expression=dict(type='str', no_log=True),
    managed_identity_account_id=dict(type='str'),
    gate=dict(type='bool', default=False),
    report_json=dict(type='str'),
    report_sarif=dict(type='str'),
    report_root=dict(type='str'),
    on_controller=dict(type='bool', default=False),
)
REQUIRED_IF = [
    ('auth', 'certificate', ('app_id', 'organization')),
    ('auth', 'certificate', ('certificate_thumbprint', 'certificate_path'), True),
    ('auth', 'managed_identity', ('organization',)),
    ('on_controller', True, ('paths',)),
]
ENGINE_OPTION_KEYS = ('app_id', 'organization', 'certificate_thumbprint', 'certificate_path',
                      'certificate_password_expression', 'managed_identity_account_id')


def engine_options(args):
    """The auth details handed to the engine's migrate(); unset values are left out."""
    return {key: args[key] for key in ENGINE_OPTION_KEYS if args.get(key) not in (None, '')}


def public_finding(finding, path):
    """A finding as it appears in results and reports: located, no snippet (it may hold a password)."""
    item = {'path': path}
    for key in FINDING_KEYS:
        item[key] = finding.get(key)
    return item


def encoding_label(encoding):
    """'utf-8 bom crlf' from the engine's encoding dict."""
    if isinstance(encoding, dict):
        parts = [encoding.get('codec') or encoding.get('encoding') or '']
        if encoding.get('bom'):
            parts.append('bom')
        if encoding.get('line_endings'):
            parts.append(encoding['line_endings'])
        return ' '.join(to_text(p) for p in parts if p) or None
    return None if encoding is None else to_text(encoding)


def _json_safe(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {to_text(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return to_text(value)


_DOT_SOURCE = re.compile(r'(?:^|[;{(\s])[.&][ \t]+["\']?([^"\'\r\n;|)]+)', re.M)
# the rest of a dot-source or & statement, and the script names in it: . (Join-Path $PSScriptRoot 'lib\x.ps1')
_SOURCE_STATEMENT = re.compile(r'(?:^|[;{(\s])[.&][ \t]+([^\r\n;|]+)', re.M)
_SCRIPT_NAME = re.compile(r'([^\\/"\'`\s()]+\.ps1)(?![\w.])', re.I)


def _sourced_names(text):
    """Base names (lower case) of the files a script dot-sources or calls with ``&``.

    The target as written (``. .\\connect.ps1``, ``. "$PSScriptRoot\\connect.ps1"``, ``& .\\connect``: PowerShell
    finds ``connect.ps1``), and every script name in the statement, for targets built with ``Join-Path``.
    """
    out = set()
    for match in _DOT_SOURCE.finditer(text or ''):
        target = match.group(1).strip().replace('\\', '/')
        if target:
            name = target.rsplit('/', 1)[-1].lower()
            out.add(name)
            if re.match(r'^[\w-]+$', name):
                out.add(name + '.ps1')
    for match in _SOURCE_STATEMENT.finditer(text or ''):
        out.update(name.lower() for name in _SCRIPT_NAME.findall(match.group(1)))
    return out


def cross_file_reads(works, readers=()):
    """Def-use across dot-sourced files of one run: a migration is dropped when a file that shares its scope reads a
    variable the migration removes.

    Two files share a scope when one dot-sources (or calls) the other by file name. ``works`` are the
    candidates of the run; ``readers`` are files of the same tree read only for this check (they
    matched no prefilter pattern, see :func:`scope_prefilter`). The engine's own check covers every
    read inside the file.
    """
    for work in migrated_with_removals(works):
        names = work.removed_names
        partners = []
        for other in list(works) + list(readers):
            if other is work or other.text is None:
                continue
            if os.path.basename(work.path).lower() in _sourced_names(other.text) or \
                    os.path.basename(other.path).lower() in _sourced_names(work.text):
                partners.append(other)
        pattern = re.compile(r'\$\{?(?:(?:global|script):)?(%s)\b(?!\s*=[^=])' % '|'.join(re.escape(n) for n in names), re.I)
        for other in partners:
            text = other.new_text if other.new_text is not None else other.text
            match = pattern.search(text)
            if match is None:
                continue
            line = text.count('\n', 0, match.start()) + 1
            _keep_unchanged(work, '%s (line %d) reads $%s, which this rewrite would remove; the files share a scope '
                                  'through dot-sourcing' % (other.path, line, match.group(1)))
            break


def _keep_unchanged(work, why):
    """Drop a planned rewrite: the file stays byte-identical and says why (EXO031)."""
    work.new_bytes = work.new_text = None
    work.status = 'unchanged'
    work.legacy_remaining = work.legacy_before
    work.findings = list(work.findings_before) + [{
        'path': work.path, 'line': 1, 'column': 1, 'end_line': 1, 'end_column': 1, 'id': 'EXO031', 'severity': 'error',
        'rule': 'dangling-read', 'rewritable': False, 'message': 'Script not rewritten: %s' % why,
    }]


def migrated_with_removals(works):
    return [w for w in works if w.new_bytes is not None and getattr(w, 'removed_names', None)]


def scope_prefilter(works):
    """Prefilter patterns for the files that may share a scope with a migration: those that name a migrated
    file (to dot-source or call it) and those that read a removed variable (a file a migrated one
    dot-sources). A superset: :func:`cross_file_reads` then decides by the sourcing relation."""
    patterns = set()
    for work in migrated_with_removals(works):
        patterns.add(re.escape(os.path.basename(work.path)))
        for name in work.removed_names:
            patterns.add(r'\$\{?(?:(?:global|script):)?%s\b' % re.escape(name))
    return sorted(patterns)


class FileWork(object):
    """Everything the controller learns about one candidate file."""

    def __init__(self, candidate):
        self.path = candidate['path']
        self.sha256 = candidate.get('sha256', '')
        self.data = candidate.get('data')
        self.text = None
        self.encoding = None
        self.new_text = None
        self.new_bytes = None
        self.findings = []
        self.findings_before = []
        self.legacy_before = 0
        self.legacy_remaining = 0
        self.legacy_in_result = None
        self.edits = 0
        self.parse_errors = []
        self.status = 'scanned'
        if self.data is None and 'content' in candidate:
            # the host-side helper sends the bytes as base64; the controller-side scan gives them as they are
            try:
                self.data = base64.b64decode(candidate['content'])
            except (binascii.Error, ValueError, TypeError):
                self.status = 'error'
                self.parse_errors.append({'message': 'helper returned content that is not base64'})
        self.removed_names = []
        self.write_result = None

    def summary(self):
        out = {
            'path': self.path,
            'sha256': self.sha256,
            'encoding': encoding_label(self.encoding),
            'findings': len(self.findings),
            'legacy_before': self.legacy_before,
            'legacy_remaining': self.legacy_remaining,
            'legacy_in_result': self.legacy_in_result,
            'edits': self.edits,
            'status': self.status,
            'parse_errors': _json_safe(self.parse_errors),
        }
        if self.write_result:
            out['dest'] = self.write_result.get('dest')
            out['backup_file'] = self.write_result.get('backup_file') or ''
            out['write_msg'] = self.write_result.get('msg', '')
        return out


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)
        if exo_engine is None:
            raise AnsibleActionFail('the Exchange Online script engine (plugin_utils/exo) cannot be imported: %s' % ENGINE_IMPORT_ERROR)
        if args['write'] == 'side_by_side':
            suffix_problem = local_files.suffix_error(args['side_by_side_suffix'])
            if suffix_problem:
                result.update(failed=True, msg=suffix_problem)
                return result
        check_mode = bool(self._task.check_mode)
        want_diff = bool(self._task.diff)
        warnings = []

        scan_result = self._scan(args, task_vars)
        if scan_result.get('failed'):
            result.update(failed=True, msg='scanning for scripts failed: %s' % scan_result.get('msg', 'unknown error'))
            return result
        if scan_result.get('skipped_total'):
            warnings.append('%d file(s) or folder(s) could not be read or were too large; see skipped_files' % scan_result['skipped_total'])

        works = []
        for candidate in scan_result.get('candidates', []):
            work = FileWork(candidate)
            if work.data is not None:
                self._analyse(work, args, warnings)
            works.append(work)
        scope_files = []
        if args['mode'] == 'migrate':
            readers = self._scope_readers(args, works, task_vars, warnings)
            scope_files = [r.path for r in readers]
            cross_file_reads(works, readers)

        to_write = [w for w in works if w.new_bytes is not None]
        refused = []
        if to_write:
            write_out = self._write(args, to_write, task_vars)
            by_path = {}
            for item in write_out.get('results') or []:
                by_path[item.get('path')] = item
            for work in to_write:
                item = by_path.get(work.path)
                if item is None:
                    item = {'path': work.path, 'refused': True, 'changed': False,
                            'msg': write_out.get('msg') or 'the helper did not report on this file'}
                work.write_result = item
                if item.get('refused'):
                    work.status = 'refused'
                    work.legacy_remaining = work.legacy_before
                    work.findings = work.findings_before
                    refused.append({'path': work.path, 'msg': item.get('msg', '')})
                elif item.get('changed'):
                    work.status = 'would_change' if check_mode else 'changed'
                else:
                    work.status = 'unchanged'

        findings = []
        for work in works:
            findings.extend(work.findings)
        changed_works = [w for w in works if w.write_result and w.write_result.get('changed') and not w.write_result.get('refused')]
        legacy_remaining = sum(w.legacy_remaining for w in works)
        parse_errors = [{'path': w.path, 'errors': _json_safe(w.parse_errors)} for w in works if w.parse_errors]

        result.update(
            changed=bool(changed_works),
            mode=args['mode'],
            check_mode=check_mode,
            files_walked=scan_result.get('files_walked', 0),
            files_scanned=scan_result.get('files_scanned', 0),
            candidates=[w.path for w in works],
            files=[w.summary() for w in works],
            findings=findings,
            changed_files=[w.write_result.get('dest') or w.path for w in changed_works],
            backups=[w.write_result['backup_file'] for w in changed_works if w.write_result.get('backup_file')],
            refused=refused,
            legacy_remaining=legacy_remaining,
            parse_errors=parse_errors,
            skipped_files=scan_result.get('skipped_files', []),
            scope_files=scope_files,
        )
        if args['mode'] == 'migrate':
            result['auth_limits'] = getattr(exo_engine, 'AUTH_LIMITS', {}).get(args['auth'])
        if want_diff and changed_works:
            result['diff'] = [{
                'before_header': w.path,
                'after_header': w.write_result.get('dest') or w.path,
                'before': w.text,
                'after': w.new_text,
            } for w in changed_works]

        for entry in refused:
            warnings.append('not written: %s (%s)' % (entry['path'], entry['msg']))
        report_error = self._write_reports(args, result, task_vars)
        if warnings:
            result['warnings'] = warnings

        if refused:
            result['failed'] = True
            result['msg'] = '%d file(s) were not written because they changed since the scan or could not be written safely' % len(refused)
        elif report_error:
            result['failed'] = True
            result['msg'] = report_error
        elif args['gate'] and legacy_remaining:
            files_left = len([w for w in works if w.legacy_remaining])
            result['failed'] = True
            result['msg'] = 'gate: %d legacy Exchange Online connection(s) remain in %d file(s)' % (legacy_remaining, files_left)
        else:
            result['msg'] = '%d candidate file(s), %d finding(s), %d legacy connection(s) remaining, %d file(s) %s' % (
                len(works), len(findings), legacy_remaining, len(changed_works), 'would change' if check_mode else 'changed')
        return result

    # --- steps -----------------------------------------------------------------------------

    def _scan_args(self, args):
        exclude = list(args['exclude'])
        if args['backup_dir']:
            exclude.append(args['backup_dir'].rstrip('/\\'))
        if args['write'] == 'side_by_side':
            exclude.extend(['*%s.*' % args['side_by_side_suffix'], '*%s' % args['side_by_side_suffix']])
        scan_args = dict(
            patterns=args['patterns'],
            exclude=exclude,
            use_default_excludes=args['use_default_excludes'],
            sniff_extensionless=args['sniff_extensionless'],
            prefilter=list(exo_engine.prefilter_patterns()),
            max_file_size=args['max_file_size'],
            follow_symlinks=args['follow_symlinks'],
        )
        return scan_args

    def _scope_readers(self, args, works, task_vars, warnings):
        """Files of the same tree that are no candidate but may share a scope with a migration (read only).

        A second walk, only when a migration removes a name: its prefilter is made of the migrated
        files' names and the removed variables (see :func:`scope_prefilter`).
        """
        patterns = scope_prefilter(works)
        if not patterns:
            return []
        found = self._scan(args, task_vars, prefilter=patterns)
        if found.get('failed'):
            # Fail closed: without the readers no migration that removes a name can be proven safe.
            warnings.append('the files that may share a scope with a migration could not be read (%s); '
                            'migrations that remove a name are not written' % found.get('msg', 'unknown error'))
            for work in migrated_with_removals(works):
                _keep_unchanged(work, 'the files that may dot-source it could not be read')
            return []
        known = set(w.path for w in works)
        readers = []
        for candidate in found.get('candidates', []):
            if candidate['path'] in known:
                continue
            reader = FileWork(candidate)
            if reader.data is None:
                continue
            try:
                reader.text = exo_engine.decode_script(reader.data)[0]
            except Exception:  # pylint: disable=broad-exception-caught
                continue  # not text the engine can read: it cannot read a variable either
            readers.append(reader)
        return readers

    def _controller_path(self, path):
        path = os.path.expanduser(path)
        if not os.path.isabs(path):
            path = os.path.join(self._loader.get_basedir(), path)
        return os.path.normpath(path)

    def _scan(self, args, task_vars, prefilter=None):
        """Walk the paths; ``prefilter`` replaces the engine's patterns (the scope walk)."""
        scan_args = self._scan_args(args)
        if prefilter is not None:
            scan_args['prefilter'] = prefilter
        if args['on_controller']:
            paths = [self._controller_path(p) for p in args['paths']]
            return local_files.scan_paths(paths, include_content=True, **scan_args)
        module_args = dict(scan_args, state='scan', include_content=True)
        if args['paths']:
            module_args['paths'] = args['paths']
        return self._run_helper(module_args, task_vars)

    def _write(self, args, works, task_vars):
        files = [{
            'path': w.path,
            'content': base64.b64encode(w.new_bytes).decode('ascii'),
            'expected_sha256': w.sha256,
        } for w in works]
        write_args = dict(
            write_mode=args['write'],
            suffix=args['side_by_side_suffix'],
            backup=args['backup'],
            backup_dir=self._controller_path(args['backup_dir']) if (args['backup_dir'] and args['on_controller']) else args['backup_dir'],
        )
        if args['on_controller']:
            return local_files.write_files(files, check_mode=bool(self._task.check_mode), **write_args)
        module_args = dict(
            state='write',
            files=files,
            write_mode=write_args['write_mode'],
            side_by_side_suffix=write_args['suffix'],
            backup=write_args['backup'],
        )
        if write_args['backup_dir']:
            module_args['backup_dir'] = write_args['backup_dir']
        return self._run_helper(module_args, task_vars)

    def _run_helper(self, module_args, task_vars):
        """Run the internal helper on the host (its folder joins the module search path of this worker)."""
        self._shared_loader_obj.module_loader.add_directory(HELPER_DIR)
        return execute_platform_module(self, HELPER, module_args, task_vars)

    def _analyse(self, work, args, warnings):
        """Decode and scan one file; in migrate mode also rewrite it and scan the result."""
        try:
            work.text, work.encoding = exo_engine.decode_script(work.data)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            work.status = 'error'
            work.parse_errors.append({'message': 'cannot decode: %s' % to_text(exc)})
            warnings.append('%s: cannot decode (%s)' % (work.path, to_text(exc)))
            return
        work.data = None
        try:
            before = exo_engine.scan(work.text, path=work.path)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            work.status = 'error'
            work.parse_errors.append({'message': 'scan failed: %s' % to_text(exc)})
            warnings.append('%s: scan failed (%s)' % (work.path, to_text(exc)))
            return
        work.findings = work.findings_before = [public_finding(f, work.path) for f in before.get('findings', [])]
        work.legacy_before = int(before.get('legacy_remaining') or 0)
        work.legacy_remaining = work.legacy_before
        work.parse_errors.extend(before.get('parse_errors') or [])
        if args['mode'] != 'migrate':
            return
        if not work.legacy_before and not any(f.get('rewritable') for f in before.get('findings', [])):
            work.status = 'nothing_to_migrate'
            return
        try:
            migrated = exo_engine.migrate(work.text, path=work.path, auth=args['auth'], options=engine_options(args))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            work.status = 'error'
            work.parse_errors.append({'message': 'migration failed: %s' % to_text(exc)})
            warnings.append('%s: migration failed, file left alone (%s)' % (work.path, to_text(exc)))
            return
        if migrated.get('parse_errors_after'):
            work.status = 'error'
            work.parse_errors.append({'message': 'the rewritten script would not parse; file left alone',
                                      'details': _json_safe(migrated['parse_errors_after'])})
            warnings.append('%s: the rewritten script would not parse; file left alone' % work.path)
            return
        if not migrated.get('changed') or migrated.get('text') == work.text:
            work.status = 'unchanged'
            return
        try:
            after = exo_engine.scan(migrated['text'], path=work.path)
            new_bytes = exo_engine.encode_script(migrated['text'], work.encoding)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            work.status = 'error'
            work.parse_errors.append({'message': 'checking the rewritten script failed: %s' % to_text(exc)})
            warnings.append('%s: checking the rewritten script failed, file left alone (%s)' % (work.path, to_text(exc)))
            return
        work.edits = len(migrated.get('edits') or [])
        work.removed_names = migrated.get('removed_names') or []
        work.new_text = migrated['text']
        work.new_bytes = new_bytes
        work.legacy_in_result = int(after.get('legacy_remaining') or 0)
        if args['write'] == 'in_place':
            # the file at work.path becomes the migrated one; side by side, the original stays as it was
            work.findings = [public_finding(f, work.path) for f in after.get('findings', [])]
            work.legacy_remaining = work.legacy_in_result

    def _write_reports(self, args, result, task_vars):
        """Write the JSON/SARIF reports on the controller; returns an error message or None."""
        host = task_vars.get('inventory_hostname')
        root = args['report_root']
        if root and args['on_controller']:
            root = self._controller_path(root)
        elif not root and args['on_controller'] and args['paths']:
            first = self._controller_path(args['paths'][0])
            root = first if os.path.isdir(first) else os.path.dirname(first)
        written = {}
        try:
            if args['report_json']:
                doc = exo_report.build_json_report(result, root=root, tool_version=TOOL_VERSION, host=host)
                written['json'] = exo_report.write_json_atomic(self._controller_path(args['report_json']), doc)
            if args['report_sarif']:
                findings = [dict(f, host=host) for f in result['findings']] if not args['on_controller'] else result['findings']
                doc = exo_report.build_sarif(findings, root=root, tool_version=TOOL_VERSION)
                written['sarif'] = exo_report.write_json_atomic(self._controller_path(args['report_sarif']), doc)
        except (IOError, OSError) as exc:
            return 'cannot write report: %s' % to_text(exc)
        finally:
            if written:
                result['reports'] = written
        return None
