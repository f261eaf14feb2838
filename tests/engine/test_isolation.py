"""Failure isolation: a broken check, a failing workspace or a missing input narrows coverage, nothing more."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from shared.catalog import Catalog, load_catalog
from shared.engine.context import CheckContext, Inconclusive
from shared.engine.scan import ScanResult, Sources, scan_fleet
from shared.model import CoverageStatus, Hit
from shared.sources.base import QueryResult, SourceFailure
from shared.sources.local import LocalFleet


def _scan(sample_dir: Path, catalog: Catalog, logs=None) -> ScanResult:
    fleet = LocalFleet(sample_dir)
    try:
        sources = Sources(fleet, logs or fleet, fleet, fleet, name="test")
        return asyncio.run(scan_fleet(sources, catalog=catalog, now=fleet.now))
    finally:
        fleet.close()


def _status(result: ScanResult) -> dict[tuple[str, str], tuple[CoverageStatus, str]]:
    return {(c.cluster.lower(), c.check): (c.status, c.reason) for c in result.coverage}


def test_a_raising_check_is_inconclusive_and_the_others_are_untouched(sample_dir: Path, sample_scan) -> None:
    catalog = load_catalog()

    def broken(ctx: CheckContext) -> list[Hit]:
        raise RuntimeError("bug in the matcher")

    def cannot(ctx: CheckContext) -> list[Hit]:
        raise Inconclusive("the widget inventory was not read")

    patched = Catalog(
        [
            replace(c, evaluate=broken) if c.id == "NODE004" else replace(c, evaluate=cannot) if c.id == "LB004" else c
            for c in catalog
        ]
    )
    result = _scan(sample_dir, patched)
    before, after = _status(sample_scan), _status(result)
    changed = {key for key in before if before[key] != after[key]}
    assert {check for _, check in changed} <= {"NODE004", "LB004", "MON003"}
    for (cluster, check), (status, reason) in after.items():
        if (
            check == "NODE004"
            and before[(cluster, check)][0] is not CoverageStatus.NOT_APPLICABLE
            and before[(cluster, check)][0] is not CoverageStatus.INCONCLUSIVE
        ):
            assert status is CoverageStatus.INCONCLUSIVE
            assert reason == "check failed: RuntimeError: bug in the matcher"
        if check == "LB004" and before[(cluster, check)][0] in (CoverageStatus.OK, CoverageStatus.FINDING):
            assert (status, reason) == (CoverageStatus.INCONCLUSIVE, "the widget inventory was not read")
    assert not [f for f in result.findings if f.check in ("NODE004", "LB004")]
    others = {f.fingerprint for f in sample_scan.findings if f.check not in ("NODE004", "LB004", "MON003")}
    assert others <= {f.fingerprint for f in result.findings}
    # MON003 reports each newly inconclusive check on its cluster
    mon003 = {f.cluster.lower(): str(f.evidence) for f in result.findings if f.check == "MON003"}
    for cluster, check in changed - {(c, "MON003") for c, _ in changed}:
        assert check in mon003.get(cluster, ""), (cluster, check)


class _OneWorkspaceDown:
    """The real embedded workspaces, except one that fails like an unreachable Log Analytics workspace."""

    def __init__(self, fleet: LocalFleet, down: str):
        self.fleet, self.down = fleet, down

    async def query_workspace(self, workspace_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        if workspace_id == self.down:
            raise SourceFailure("HTTP 503 from the workspace", kind="error")
        return await self.fleet.query_workspace(workspace_id, query, start, end)

    async def query_resource(self, resource_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        return await self.fleet.query_resource(resource_id, query, start, end)


def test_a_failing_workspace_narrows_coverage_of_its_clusters_only(sample_dir: Path, sample_scan) -> None:
    down = sorted({c.workspace_id for c in sample_scan.clusters if c.workspace_id})[0]
    fleet = LocalFleet(sample_dir)
    try:
        sources = Sources(fleet, _OneWorkspaceDown(fleet, down), fleet, fleet, name="test")
        result = asyncio.run(scan_fleet(sources, now=fleet.now))
    finally:
        fleet.close()
    hit = {c.key for c in result.clusters if c.workspace_id == down}
    catalog = load_catalog()
    before, after = _status(sample_scan), _status(result)
    for (cluster, check), (status, reason) in after.items():
        reads_logs = bool(catalog[check].spec.tables)
        if cluster in hit and reads_logs and before[(cluster, check)][0] is not CoverageStatus.NOT_APPLICABLE:
            assert status is CoverageStatus.INCONCLUSIVE, (cluster, check)
            assert "HTTP 503" in reason or "no Container Insights workspace" in reason
        elif cluster not in hit:
            assert (status, reason) == before[(cluster, check)], (cluster, check)
    assert [(e.source, e.scope) for e in result.errors] == [("logs", down)] * len(
        {q.table for q in result.queries if q.workspace_id == down}
    )
    assert {f.fingerprint for f in result.findings if f.cluster.lower() not in hit} == {
        f.fingerprint for f in sample_scan.findings if f.cluster.lower() not in hit
    }
