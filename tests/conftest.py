"""Shared pytest setup: the collection is importable under its real name."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.collection_root import COLLECTIONS_ROOT, REPO  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
from harness import require_binary  # noqa: E402  pylint: disable=wrong-import-position

import pytest  # noqa: E402  pylint: disable=wrong-import-position

# The modules the tests run keep their compiled module_utils in this checkout, never in the
# shared ~/.cache of the user, so two clones testing at once keep apart (see _bytecode_cache).
BYTECODE_CACHE = os.path.join(REPO, 'build', 'bytecode')
os.makedirs(BYTECODE_CACHE, mode=0o700, exist_ok=True)
os.environ.setdefault('MAILTLS_BYTECODE_CACHE', BYTECODE_CACHE)


# make test installs these programs: a test that needs one fails without it, it never skips.
@pytest.fixture(scope='session')
def require_openssl():
    return require_binary('openssl')


@pytest.fixture(scope='session')
def require_gnutls_cli():
    return require_binary('gnutls-cli')
