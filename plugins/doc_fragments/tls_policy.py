# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Options of the modules that change TLS settings (system_tls, mail_client_tls)."""

    DOCUMENTATION = r'''
options:
  min_protocol:
    description:
      - The lowest protocol version that may be negotiated after the change.
    type: str
    choices: [TLSv1.2, TLSv1.3]
    default: TLSv1.2
'''

    # Undoing a change from what the changing run returned.
    ROLLBACK = r'''
options:
  backup_files:
    description:
      - With O(state=rollback), the backups to restore byte for byte, as the changing run returned them
        in RV(backup_files).
    type: list
    elements: dict
    suboptions:
      path:
        description: The file to restore.
        type: path
        required: true
      backup:
        description: The backup to restore it from.
        type: path
        required: true
'''

    GNUTLS_CONFIG = r'''
options:
  gnutls_config:
    description:
      - The GnuTLS system configuration file, which GnuTLS 3.6.9 and newer read.
    type: path
    default: /etc/gnutls/config
'''
