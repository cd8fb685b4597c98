# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the target-side helper of the exo_scripts action (exo_script_files.py for POSIX hosts,
exo_script_files.ps1 for Windows hosts).

It is a module in every sense but one: it lives here, not in plugins/modules, so it is no public
module (``ansible-doc -l`` does not list it and it cannot be called as a task). The action plugin adds
this folder to the module loader's search path for the duration of its own calls (see
``plugins/action/exo_scripts.py``), and the controller path imports the Python file directly.
"""
