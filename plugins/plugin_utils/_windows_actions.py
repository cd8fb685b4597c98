# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the controller side of tls_facts and system_tls on Windows hosts.

The PowerShell modules only read and write raw registry values; this code asks
them for one read, lets the Python brain (``_windows_tls``) interpret or plan,
and sends the plan back in one write.  Check mode never sends a write.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils import _windows_tls as W

FACTS_MODULE = 'mailtls.remediation.tls_facts'
SYSTEM_MODULE = 'mailtls.remediation.system_tls'


def _hostname(task_vars):
    return str(task_vars.get('inventory_hostname') or task_vars.get('ansible_host') or 'localhost')


def connection_info(action_plugin, task_vars):
    """Does the current connection run over HTTPS, and with which authentication?"""
    conn = str(task_vars.get('ansible_connection') or getattr(action_plugin._play_context, 'connection', '') or '')
    name = conn.rsplit('.', 1)[-1]
    port = task_vars.get('ansible_port') or task_vars.get('ansible_winrm_port') or task_vars.get('ansible_psrp_port')
    try:
        port = int(port) if port is not None else None
    except (TypeError, ValueError):
        port = None
    if name == 'winrm':
        scheme = task_vars.get('ansible_winrm_scheme') or ('http' if port == 5985 else 'https')
        transport = task_vars.get('ansible_winrm_transport') or ''
        if task_vars.get('ansible_winrm_cert_pem') and not transport:
            transport = 'certificate'
    elif name == 'psrp':
        scheme = task_vars.get('ansible_psrp_protocol') or ('http' if port == 5985 else 'https')
        transport = task_vars.get('ansible_psrp_auth') or ''
        if task_vars.get('ansible_psrp_certificate_pem'):
            transport = 'certificate'
    else:
        return {'https': False, 'transport': '', 'description': 'connection %s does not use WinRM over HTTPS' % (name or 'unknown')}
    if isinstance(transport, (list, tuple)):
        transport = ','.join(str(t) for t in transport)
    https = str(scheme).lower() == 'https'
    return {
        'https': https, 'transport': str(transport),
        'description': '%s over %s, port %s%s' % (name, 'HTTPS' if https else 'HTTP', port if port else 'default',
                                                  ', transport %s' % transport if transport else ''),
    }


def _failed(result, msg, **extra):
    out = dict(result or {})
    out.update(extra)
    out['failed'] = True
    out['msg'] = msg
    out.setdefault('changed', False)
    return out


def add_windows_clients(document, mail_clients):
    """Add the mail clients of the raw read to the posture and evaluate it again."""
    if not isinstance(mail_clients, dict):
        return document
    try:
        _mail_clients.clients_from_windows_raw(mail_clients, document)
    except Exception as exc:  # pylint: disable=broad-except
        # odd raw data must cost the client part only, never the posture
        _posture.add_finding(document, _posture.make_finding(
            'gather_error', 'host:mail clients', [_posture.evidence('command', note='%s: %s' % (type(exc).__name__, exc))],
            what='the mail client inventory could not be interpreted'))
    return _posture.evaluate(document)


def run_tls_facts(action_plugin, task_vars):
    """tls_facts on a PowerShell host: one read, the posture built on the controller."""
    args = dict(action_plugin._task.args or {})
    res = action_plugin._execute_module(module_name=FACTS_MODULE, module_args=args, task_vars=task_vars)
    if res.get('failed'):
        return res
    raw = res.pop('raw', None)
    if not isinstance(raw, dict):
        return _failed(res, 'the Windows reader returned no raw data')
    document = W.posture_from_raw(raw, _hostname(task_vars))
    add_windows_clients(document, raw.get('mail_clients'))
    out = dict((k, v) for k, v in res.items() if k not in ('invocation',))
    out['changed'] = False
    out['ansible_facts'] = {'mailtls_posture': document}
    return out


def _public(change):
    return dict((k, change[k]) for k in ('hive', 'path', 'name', 'part', 'before', 'after'))


def run_system_tls(action_plugin, task_vars):
    """system_tls on a PowerShell host: one read, the plan in Python, one write unless check mode."""
    args = dict(action_plugin._task.args or {})
    args.pop('_plan', None)
    check_mode = bool(action_plugin._play_context.check_mode)
    want_diff = bool(getattr(action_plugin._task, 'diff', False))
    state = args.get('state') or 'present'
    options = {
        'min_protocol': args.get('min_protocol') or 'TLSv1.2',
        'mode': args.get('mode') or 'enforce_minimum',
        'dotnet': args.get('dotnet', True), 'winhttp': args.get('winhttp', True), 'wininet': args.get('wininet', True),
        'force_guards': args.get('force_guards') or [],
        'connection': connection_info(action_plugin, task_vars),
    }
    if state not in ('present', 'rollback'):
        return _failed({}, 'state must be present or rollback, not %r' % state)
    if state == 'rollback' and not args.get('backup_file') and args.get('backup_files'):
        # the shape every changing module returns (backup_files): on Windows one entry, the registry backup
        first = args['backup_files'][0] if isinstance(args['backup_files'], list) and args['backup_files'] else {}
        if isinstance(first, dict) and first.get('backup'):
            args['backup_file'] = first['backup']
    try:
        W.normalise_options(options)
    except ValueError as exc:
        return _failed({}, str(exc))

    read = action_plugin._execute_module(module_name=SYSTEM_MODULE, module_args=args, task_vars=task_vars)
    if read.get('failed'):
        return read
    raw = read.get('raw')
    if not isinstance(raw, dict):
        return _failed({}, 'the Windows reader returned no raw data')

    result = {'changed': False, 'state': state}
    try:
        if state == 'rollback':
            backup = read.get('backup') or {}
            if isinstance(backup.get('entries'), dict):
                backup['entries'] = [backup['entries']]
            plan = W.plan_rollback(backup, raw)
            plan['kind'] = 'rollback'
            result['restored_from'] = read.get('backup_file')
        else:
            plan = W.plan_system_tls(raw, options)
            plan['kind'] = 'change'
    except W.LockoutGuardError as exc:
        return _failed({}, str(exc), guard=exc.guard_id, guards=exc.guards,
                       override='force_guards: [%s]' % exc.guard_id)
    except ValueError as exc:
        return _failed({}, str(exc))

    changes = plan['changes']
    result.update({
        'changed': bool(changes),
        'changes': [_public(c) for c in changes],
        'reboot_required': plan['reboot_required'],
        'guards': plan['guards'],
        'backup_file': None,
        'backup_files': [],
        'created_files': [],
    })
    if want_diff:
        result['diff'] = dict(plan['diff'], before_header='registry (before)', after_header='registry (after)')
    if check_mode or not changes:
        return result

    apply_args = dict(args)
    apply_args['_plan'] = {'kind': plan['kind'], 'changes': changes}
    written = action_plugin._execute_module(module_name=SYSTEM_MODULE, module_args=apply_args, task_vars=task_vars)
    if written.get('failed'):
        return _failed(result, written.get('msg') or 'the Windows writer failed', exception=written.get('exception'))
    result['backup_file'] = written.get('backup_file')
    if result['backup_file'] and plan['kind'] == 'change':
        # the collection's common shape, so a role's rollback step works on Linux and Windows alike
        result['backup_files'] = [{'path': 'HKLM (%d registry values)' % len(changes), 'backup': result['backup_file']}]
    return result
