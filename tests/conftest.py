"""Shared pytest setup: the collection is importable under its real name."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.collection_root import COLLECTIONS_ROOT, REPO  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
from harness import require_binary  # noqa: E402  pylint: disable=wrong-import-position

import pytest  # noqa: E402  pylint: disable=wrong-import-position


# make test installs these programs: a test that needs one fails without it, it never skips.
@pytest.fixture(scope='session')
def require_openssl():
    return require_binary('openssl')


@pytest.fixture(scope='session')
def require_gnutls_cli():
    return require_binary('gnutls-cli')
