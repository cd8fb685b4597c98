# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of exo_module: picks the .py or .ps1 implementation by the host's shell."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.plugin_utils._dispatch import PlatformDispatchAction


class ActionModule(PlatformDispatchAction):
    module_name = 'mailtls.remediation.exo_module'
