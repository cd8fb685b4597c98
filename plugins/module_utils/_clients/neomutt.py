# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: neomutt: the mutt reader and editor with neomutt's own files.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import Descriptor
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import mutt


def _context(toolbox):
    return mutt.mutt_context(toolbox, 'neomutt')


DESCRIPTOR = Descriptor(
    name='neomutt',
    formats={'neomutt': mutt.parse_for('neomutt')},
    user_files=(('neomutt', '.neomuttrc'), ('neomutt', '.config/neomutt/neomuttrc'), ('neomutt', '.neomutt/neomuttrc')),
    system_files=(('neomutt', '/etc/neomuttrc'), ('neomutt', '/etc/neomuttrc.d/*.rc')),
    binaries=('neomutt',),
    library='gnutls',
    inspect=mutt.inspect_mutt,
    secret_keys=mutt.DESCRIPTOR.secret_keys,
    bounds_doc=mutt.DESCRIPTOR.bounds_doc,
    plan=mutt.plan_mutt,
    context=_context,
    oauth_help=mutt.MUTT_OAUTH,
    password_help=mutt.MUTT_PASSWORD,
)
