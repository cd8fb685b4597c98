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

    # Python modules that import the collection's module_utils keep their compiled form on the host.
    BYTECODE_CACHE = r'''
options: {}
notes:
  - On Linux targets the module keeps the compiled form of the collection's own module_utils in
    C(~/.cache/mailtls.remediation/bytecode) of the remote user (mode 0700, one folder per Python
    bytecode format), as Python's C(__pycache__) does for installed code, so later runs start
    without compiling them again. Entries are named by a hash of their source, so a new collection
    version never reads an old one; the folder is used only when nobody else can write to it, and
    nothing else on the host is written. Set C(MAILTLS_BYTECODE_CACHE=off) in the task's
    C(environment) to turn it off, or to an absolute path to keep it elsewhere.
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
