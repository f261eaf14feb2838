"""The Azure adapters against the fake report exactly what the local source reports on the same fleet."""

from __future__ import annotations

import asyncio
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


def coverage(result: ScanResult) -> dict[tuple[str, str], str]:
    """Status per (cluster, check); reasons name the source, so they are compared in the fault tests."""
    return {(c.cluster.lower(), c.check): c.status.value for c in result.coverage}


async def test_same_findings_as_local(fake: FakeAzure, config: AzureConfig, fleet: Path) -> None:
    # Side by side: the local workspaces and the fake's run their DuckDB queries on different threads.
    expected, actual = await asyncio.gather(local_scan(fleet), azure_scan(config, fleet))
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


async def test_get_cluster_reads_arm_fresh(fake: FakeAzure, config: AzureConfig, fleet: Path) -> None:
    local = LocalFleet(fleet)
    by_kind = {c.kind: c for c in local.clusters()}
    async with open_azure_sources(config) as sources:
        for expected in by_kind.values():
            fake.requests.clear()
            actual = await sources.inventory.get_cluster(expected.id.lower())  # ARM ids are case-insensitive
            assert actual is not None
            assert actual.key == expected.key
            assert actual.workspace_id == expected.workspace_id
            assert actual.workspace_source == expected.workspace_source
            assert sorted(e["name"] for e in actual.extensions) == sorted(e["name"] for e in expected.extensions)
            assert sorted(p["name"] for p in actual.agent_pools) == sorted(p["name"] for p in expected.agent_pools)
            for key in ("provisioningState", "kubernetesVersion", "nodeResourceGroup"):
                assert actual.properties.get(key) == expected.properties.get(key)
            # fresh ARM reads, not the Resource Graph cache
            assert fake.count("arm") >= 2
        missing = expected.id.rsplit("/", 1)[0] + "/does-not-exist"
        assert await sources.inventory.get_cluster(missing) is None
