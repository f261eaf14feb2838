"""Test-wide setup: helper modules next to the tests are importable by name."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
for folder in (HERE / "checks", HERE / "kql"):
    sys.path.insert(0, str(folder))
