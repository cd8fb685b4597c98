# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Attribute blocks that several plugins of the collection share.

    A plugin extends the variable it needs and states only what differs (its
    own C(support) and, where useful, a more specific description).
    """

    # The two attributes every module documents; each module sets its own support.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and predict the change without changing the host.
  diff_mode:
    description: Returns details of what changed (or would change in check mode) when run with C(--diff).
'''

    # One task name for Linux and Windows: an action plugin of the same name picks the implementation.
    DUAL_PLATFORM = r'''
options: {}
attributes:
  platform:
    description:
      - Linux hosts run the Python module; Windows hosts run the PowerShell module of the same name.
        The collection's action plugin of that name chooses, so one task serves a mixed inventory.
    support: full
    platforms: [posix, windows]
requirements:
  - Linux targets - Python 3.8 or newer (standard library only).
  - Windows targets - Windows PowerShell 5.1.
'''

    POSIX = r'''
options: {}
attributes:
  platform:
    description: Runs on Linux and other POSIX hosts.
    support: full
    platforms: posix
requirements:
  - Python 3.8 or newer on the target (standard library only).
'''

    FACTS = r'''
options: {}
attributes:
  facts:
    description: Returns its result under C(ansible_facts), so it can be cached and read by later plays.
    support: full
'''

    # Action plugins that do their work on the controller.
    ACTION = r'''
options: {}
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  async:
    description: Cannot run asynchronously.
    support: none
  bypass_host_loop:
    description: Runs once per host.
    support: none
'''
