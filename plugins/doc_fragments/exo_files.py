# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """How exo_scripts and its host-side helper choose the script files they read."""

    DOCUMENTATION = r'''
options:
  patterns:
    description:
      - Shell-style wildcards matched against the file name, case-insensitively. A pattern that contains
        a path separator is matched against the whole path.
      - Extensionless files are added by O(sniff_extensionless).
    type: list
    elements: str
    default: ['*.ps1', '*.psm1', '*.psd1']
  use_default_excludes:
    description: Whether to apply the built-in exclusions listed under O(exclude).
    type: bool
    default: true
  sniff_extensionless:
    description:
      - Also consider files without an extension whose first line is a C(pwsh) or C(powershell) shebang,
        a C(#Requires) statement, a C(param(...)) block, C([CmdletBinding()]) or the start of a block
        comment (V(<#)).
    type: bool
    default: true
  max_file_size:
    description: Files larger than this many bytes are skipped and listed in RV(skipped_files).
    type: int
    default: 10485760
  follow_symlinks:
    description: Whether to descend into symbolically linked directories while walking (Linux).
    type: bool
    default: false
'''
