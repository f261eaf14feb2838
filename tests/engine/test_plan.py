"""Queries per scan grow with workspaces x tables, never with clusters x checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.catalog import load_catalog
from shared.engine.plan import build_plan, signatures_by_table
from shared.engine.scan import ScanResult
from shared.sample.builder import FleetBuilder
from shared.sources.local import LocalFleet

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_one_query_per_workspace_and_table(sample_scan: ScanResult) -> None:
    catalog = load_catalog()
    workspaces = {c.workspace_id for c in sample_scan.clusters if c.workspace_id}
    tables = set(signatures_by_table(catalog))
    assert len(sample_scan.queries) == len(workspaces) * len(tables)
    assert {(q.workspace_id, q.table) for q in sample_scan.queries} == {(w, t) for w in workspaces for t in tables}


def _fleet(tmp_path, clusters: int) -> LocalFleet:
    builder = FleetBuilder(NOW)
    sub = "11111111-2222-4333-8444-555555555555"
    builder.add_workspace("law-a", sub, "rg-mon", "westeurope")
    builder.add_workspace("law-b", sub, "rg-mon", "westeurope")
    for i in range(clusters):
        builder.add_cluster(
            ("aks", "arc")[(i // 2) % 2], f"c{i:03d}", sub, "rg", "westeurope", ("law-a", "law-b")[i % 2]
        )
    return LocalFleet(builder.write(tmp_path / f"fleet{clusters}"))


def test_query_count_does_not_grow_with_clusters(tmp_path) -> None:
    catalog = load_catalog()
    small = build_plan(_fleet(tmp_path, 4).clusters(), catalog, NOW - timedelta(hours=24), NOW)
    large = build_plan(_fleet(tmp_path, 150).clusters(), catalog, NOW - timedelta(hours=24), NOW)
    assert len(small) == len(large) == 2 * len(signatures_by_table(catalog))


def test_clusters_without_workspace_are_not_queried(tmp_path) -> None:
    builder = FleetBuilder(NOW)
    sub = "11111111-2222-4333-8444-555555555555"
    builder.add_cluster("aks", "lonely", sub, "rg", "westeurope", None)
    fleet = LocalFleet(builder.write(tmp_path / "lonely"))
    assert build_plan(fleet.clusters(), load_catalog(), NOW - timedelta(hours=1), NOW) == []
