# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: one task name for Linux and Windows.

Linux hosts run the Python module as it is.  On PowerShell hosts the
PowerShell module only reads (or writes) raw registry values; the collection's
Python brain interprets and plans on the controller, so both platforms are
judged by one set of rules.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action import ActionBase


def is_powershell(action):
    return getattr(action._connection._shell, 'SHELL_FAMILY', '') == 'powershell'


def execute_platform_module(action, module_name, module_args, task_vars):
    """Run the implementation of ``module_name`` that fits the host.

    Modules that exist as ``NAME.py`` and ``NAME.ps1`` are ambiguous for POSIX
    connections, whose loader preference is "any extension" (the first file the
    directory listing returns wins).  PowerShell connections already prefer
    ``.ps1``; for the others pin ``.py`` for the duration of this call.
    """
    connection = action._connection
    if is_powershell(action):
        return action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
    saved = connection.__dict__.get('module_implementation_preferences')
    connection.module_implementation_preferences = ('.py', '')
    try:
        return action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
    finally:
        if saved is None:
            del connection.module_implementation_preferences
        else:
            connection.module_implementation_preferences = saved


class PlatformDispatchAction(ActionBase):
    """Run the module on POSIX hosts; hand PowerShell hosts to the Windows handler.

    Without a ``windows_handler`` the PowerShell implementation of the same
    name runs as it is (its output already has the Linux shape).
    """

    TRANSFERS_FILES = False
    module_name = None
    windows_handler = None

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = dict()
        result = super(PlatformDispatchAction, self).run(tmp, task_vars)
        del tmp
        if self.windows_handler and is_powershell(self):
            from ansible_collections.mailtls.remediation.plugins.plugin_utils import _windows_actions
            result.update(getattr(_windows_actions, self.windows_handler)(self, task_vars))
            return result
        result.update(execute_platform_module(self, self.module_name, self._task.args, task_vars))
        return result
