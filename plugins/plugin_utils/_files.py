# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: controller-side file writes (reports), each one atomic.

Target hosts use module_utils/_atomic instead, which also keeps owner, mode and backups.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile


def write_text_atomic(path, text, mode=0o644):
    """Write ``text`` (UTF-8, newlines as given) to ``path``: temporary file in the same directory, fsync, rename.

    Readers see either the old file or the whole new one; on any failure the
    temporary file is removed and the old file is left as it was.
    """
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8', newline='') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
