"""The Azure adapters against the fake report exactly what the local source reports on the same fleet."""

from __future__ import annotations

from pathlib import Path

from shared.engine.scan import ScanResult, Sources, scan_fleet
from shared.sources.azure import AzureConfig, open_azure_sources
from shared.sources.local import LocalFleet
from tests.fakeazure import FakeAzure


async def local_scan(fleet: Path) -> ScanResult:
    local = LocalFleet(fleet)
    try:
        return await scan_fleet(Sources(local, local, local, local, name="local"), now=local.now)
    finally:
        local.close()


async def azure_scan(config: AzureConfig, fleet: Path) -> ScanResult:
    now = LocalFleet(fleet).now
    async with open_azure_sources(config) as sources:
        return await scan_fleet(sources, now=now)


def findings(result: ScanResult) -> set[tuple[str, str, str, str]]:
    return {(f.check, f.cluster.lower(), f.subject, f.fingerprint) for f in result.findings}


def coverage(result: ScanResult) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c.cluster.lower(), c.check): (c.status.value, c.reason) for c in result.coverage}


async def test_same_findings_as_local(fake: FakeAzure, config: AzureConfig, fleet: Path) -> None:
    expected = await local_scan(fleet)
    actual = await azure_scan(config, fleet)
    assert actual.errors == []
    assert findings(expected), "the sample fleet must produce findings for the comparison to mean anything"
    assert findings(actual) == findings(expected)
    assert coverage(actual) == coverage(expected)
    assert [c.key for c in actual.clusters] == [c.key for c in expected.clusters]
    assert {c.key: c.workspace_id for c in actual.clusters} == {c.key: c.workspace_id for c in expected.clusters}
    # One Log Analytics query per workspace and table, nothing more.
    logs = [r for r in fake.requests if r.endpoint == "logs"]
    assert len(logs) == len(actual.queries)
    sent = sorted(r.body["query"] for r in logs)
    assert sent == sorted(q.kql for q in actual.queries)
    per_target = {(q.workspace_id, q.table) for q in actual.queries}
    assert len(per_target) == len(actual.queries)
