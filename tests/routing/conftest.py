"""Make the repository root importable for ``tests.naive`` and the case helpers.

The test tree has no ``__init__.py`` files (pytest's default "prepend" import
mode puts only each test file's own folder on ``sys.path``); a repository-root
``conftest.py`` would do the same job for the whole suite.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
