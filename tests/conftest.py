"""Test-wide setup: helper modules next to the tests are importable by name; the sample fleet is built once."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for folder in (HERE / "checks", HERE / "kql"):
    sys.path.insert(0, str(folder))

from shared.engine.scan import ScanResult, Sources, scan_fleet  # noqa: E402
from shared.sample.fleet import generate  # noqa: E402
from shared.sources.local import LocalFleet  # noqa: E402

SAMPLE_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def sample_now() -> datetime:
    return SAMPLE_NOW


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("sample"), now=SAMPLE_NOW)


@pytest.fixture(scope="session")
def sample_scan(sample_dir: Path) -> ScanResult:
    fleet = LocalFleet(sample_dir)
    try:
        return asyncio.run(scan_fleet(Sources(fleet, fleet, fleet, fleet, name="sample"), now=fleet.now))
    finally:
        fleet.close()
