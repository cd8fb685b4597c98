"""Test harness: real servers on the loopback interface for the live tests."""

import shutil


def require_binary(binary):
    """The path of an installed program; a live test fails (never skips) when make test did not install it."""
    path = shutil.which(binary)
    assert path, '%s is not installed (make test installs it from Debian)' % binary
    return path
