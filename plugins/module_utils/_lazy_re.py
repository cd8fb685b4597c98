# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: regular expressions compiled on first use.

Every module run is a new process, so a pattern compiled at import is compiled
on every run, whether that run needs it or not; a host with one mail client
would still pay for the patterns of all the others.  ``lazy_re(...)`` stands in
for ``re.compile(...)`` at module level and compiles on the first attribute
access (``match``, ``search``, ``pattern``, ...).  A unit test compiles every
such pattern of the collection, so a broken one still fails at test time.

Standard library only: this runs on target hosts (Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re


class LazyPattern(object):

    def __init__(self, pattern, flags=0):
        self._pattern = pattern
        self._flags = flags
        self._compiled = None

    def compiled(self):
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def __getattr__(self, name):
        # only for names not yet looked up: keep the compiled pattern's attribute (a bound
        # method, mostly) on the instance, so parsing loops call it without coming here again
        value = getattr(self.compiled(), name)
        self.__dict__[name] = value
        return value

    def __repr__(self):
        return 'lazy_re(%r)' % (self._pattern,)


# stands in for re.compile at module level
lazy_re = LazyPattern
