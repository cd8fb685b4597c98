"""Shared pytest setup: the collection is importable under its real name."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.collection_root import COLLECTIONS_ROOT, REPO  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
