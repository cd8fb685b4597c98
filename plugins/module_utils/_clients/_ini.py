# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the INI-style readers shared by offlineimap and getmail6 (Python ssl clients).

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (
    Edit,
    LABELS,
    Parsed,
    _endpoint_edits,
    _ini_get,
    fin,
    parse_ini,
    set_versions,
    versions_from_range)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change


def ini_sections(fmt, text, secret_keys):
    """Parse an INI-style client file: the Parsed result and its sections (none when it has errors)."""
    parsed = Parsed(fmt, text)
    sections = parse_ini(parsed, secret_keys)
    parsed.extra['sections'] = sections
    return parsed, ([] if parsed.errors else sections)


def ini_pinned_version(entry, version, versions):
    """``ssl_version = X`` naming one protocol pins exactly that one; returns False when it names none."""
    proto = versions.get(version['value'].lower()) if version is not None else None
    if not proto:
        return False
    reason = 'ssl_version = %s pins exactly %s' % (version['value'], LABELS[proto])
    set_versions(entry, versions_from_range(proto, proto), reason, [fin(version['line'], 'ssl_version', version['value'])])
    return True


def ini_password(entry, sec, key):
    item = _ini_get(sec, key)
    if item is not None and item['value']:
        entry['passwords'].append({'line': item['line'], 'key': key})


def plan_ini(parsed, options, target, host_label):
    """Edits for INI-style clients: a pinned or invalid ``ssl_version`` becomes ``target`` (None: no edit can fix it)."""
    edits = []
    for entry in parsed.entries:
        version = _ini_get(entry['section'], 'ssl_version')
        if version is not None and target and entry.get('ssl_version_fixable') and needs_change(entry, options):
            edits.append(Edit(version['span'][0], version['span'][1], target, version['line'], 'ssl_version %s -> %s' % (version['value'], target)))
        if options.get('move_legacy_endpoints'):
            edits.extend(_endpoint_edits(parsed, entry, host_label))
    return edits


def python_bounds(parsed, pins, program):
    """A fixed-version ssl_version (``ssl.PROTOCOL_TLSv1`` ...) sets the bounds in code; otherwise the library decides."""
    for entry in parsed.entries:
        version = _ini_get(entry['section'], 'ssl_version')
        entry['bounds'] = 'own' if version is not None and pins.get(version['value'].strip().lower()) else 'library'
        entry['program'] = program
    return parsed


def inspect_python(binary, run):
    return {'library': 'openssl', 'library_source': 'Python ssl module (OpenSSL)'}
