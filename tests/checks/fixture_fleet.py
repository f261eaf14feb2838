"""Turn one fixture file into a one-cluster fleet folder and scan it with the real engine."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.catalog import Catalog, load_catalog
from shared.engine.scan import ScanResult, Sources, scan_fleet
from shared.sample.builder import FleetBuilder
from shared.sources.local import LocalFleet

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SUBSCRIPTION = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.json"))


def load_fixture(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def build_fleet(tmp: Path, scenario: dict[str, Any], kind: str) -> Path:
    builder = FleetBuilder(NOW, seed=11)
    builder.add_workspace("law-fixture", SUBSCRIPTION, "rg-monitoring", "westeurope")
    name = "aks-fixture" if kind == "aks" else "arc-fixture"
    cluster = builder.add_cluster(kind, name, SUBSCRIPTION, "rg-fixture", "westeurope", "law-fixture")
    builder.apply(cluster, scenario)
    builder.add_baseline(cluster, 60, snapshot_every=timedelta(minutes=20))
    return builder.write(tmp, name=f"fixture {name}")


def scan_fixture(tmp: Path, check_id: str, fixture: dict[str, Any], catalog: Catalog | None = None) -> ScanResult:
    """Scan the fixture's cluster with the check under test alone.

    The queries then carry only that check's signatures, which keeps the suite fast; how the checks of one
    table share a query is tested on the whole catalog by the sample fleet tests. A check that reads the
    other checks' coverage (MON003) runs with the whole catalog.
    """
    full = catalog or load_catalog()
    check = full[check_id]
    scoped = full if "coverage" in check.spec.signal else Catalog([check])
    scenario = fixture.get("scenario") or {}
    kind = scenario.get("kind") or check.spec.applies_to[0].value
    fleet = LocalFleet(build_fleet(tmp, scenario, kind))
    try:
        sources = Sources(fleet, fleet, fleet, fleet, name="fixture")
        return asyncio.run(scan_fleet(sources, catalog=scoped, now=fleet.now))
    finally:
        fleet.close()
