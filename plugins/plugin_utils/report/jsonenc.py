# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compact JSON for the report files: orjson when it is installed (several times faster), else the standard library.

Controller side only.  Both produce the same data; only whitespace and the
spelling of some floats can differ.  Anything neither knows is written as its
``str()``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

try:
    import orjson
except ImportError:  # optional accelerator
    orjson = None

_COMPACT = dict(separators=(',', ':'), ensure_ascii=False, default=str)


def dumps(value, pretty=False, **_ignored):
    """``value`` as JSON text: compact, or indented when ``pretty``."""
    if pretty:
        return json.dumps(value, indent=1, ensure_ascii=False, default=str)
    if orjson is not None:
        try:
            return orjson.dumps(value, default=str).decode('utf-8')
        except TypeError:  # integers beyond 64 bits, non-string keys: the standard library copes
            pass
    return json.dumps(value, **_COMPACT)
