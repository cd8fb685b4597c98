# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the mail client registry.

One module per client, each exporting ``DESCRIPTOR`` (see ``_base.py`` for the
interface).  ``CLIENT_MODULES`` lists them; the imports are static so that
Ansible packs every client module with the modules that use this package.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

CLIENT_MODULES = ()
DESCRIPTORS = tuple(m.DESCRIPTOR for m in CLIENT_MODULES)
