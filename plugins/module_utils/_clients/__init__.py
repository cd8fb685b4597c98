# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the mail client registry.

One module per client, each exporting ``DESCRIPTOR`` (see ``_base.py`` for the
interface).  ``CLIENT_MODULES`` lists them; the imports are static so that
Ansible packs every client module with the modules that use this package.
Adding a client: one module here, its name in the import and in
``CLIENT_MODULES``, and its tests.

The dispatch helpers (``parse``, ``plan_edits``, ``descriptor_for``) and the
shared names of ``_base`` are re-exported for the inventory and the tests.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils._clients import (  # noqa: F401
    curl, exim, fetchmail, getmail, imapfilter, mbsync, msmtp, mutt, neomutt, offlineimap, postfix, relays, scripts, thunderbird)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import (  # noqa: F401  pylint: disable=unused-import
    LABELS, MASK, MARKER, PROTOS, Descriptor, Edit, Parsed, apply_edits, below, decode, encode, is_exchange_online,
    is_legacy_endpoint, legacy_target, new_entry, rank, redact, server)
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._decide import needs_change  # noqa: F401

CLIENT_MODULES = (fetchmail, mutt, neomutt, mbsync, offlineimap, getmail, msmtp, imapfilter, curl, thunderbird, scripts, postfix, exim, relays)
# a module may carry several small descriptors (relays: ssmtp, nullmailer, dma)
DESCRIPTORS = tuple(d for m in CLIENT_MODULES for d in getattr(m, 'DESCRIPTORS', (m.DESCRIPTOR,)))
BY_NAME = dict((d.name, d) for d in DESCRIPTORS)
BY_FORMAT = dict((fmt, d) for d in DESCRIPTORS for fmt in d.formats)
# the clients mail_client_tls can change (the ``clients`` option)
CLIENT_NAMES = tuple(d.name for d in DESCRIPTORS if not d.report_only)
EDITABLE = tuple(fmt for d in DESCRIPTORS for fmt in d.editable)


def descriptor_for(fmt):
    return BY_FORMAT.get(fmt)


def client_of(fmt):
    desc = BY_FORMAT.get(fmt)
    return desc.name if desc is not None else fmt


def parse(fmt, text, context=None):
    desc = BY_FORMAT.get(fmt)
    if desc is None:
        raise ValueError('unknown format %s' % fmt)
    return desc.parse(fmt, text, context or {})


def plan_edits(parsed, options):
    desc = BY_FORMAT.get(parsed.fmt)
    if desc is None or desc.plan is None or not parsed.ok or parsed.fmt not in desc.editable:
        return []
    return desc.plan(parsed, options)


# specific helpers the tests and the Windows interpretation use
gnutls_priority_versions = msmtp.gnutls_priority_versions
thunderbird_entries = thunderbird.thunderbird_entries
parse_prefs = thunderbird.parse_prefs
parse_policies = thunderbird.parse_policies
POLICY_VERSIONS = thunderbird.POLICY_VERSIONS
TB_NUMBER_OF = thunderbird.TB_NUMBER_OF
