"""Faults at the Azure boundary narrow coverage to what they touch; the rest of the scan is unchanged.

The scans here use the checks that read only KubeEvents (plus the ARM, metrics and Graph
checks), so each scan costs two Log Analytics queries and the suite stays fast.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import timedelta
from pathlib import Path

import pytest

from shared.catalog import Catalog, load_catalog
from shared.engine.scan import ScanResult, Sources, scan_fleet
from shared.model import CoverageStatus
from shared.sources.azure import AzureConfig, open_azure_sources
from shared.sources.base import SourceFailure
from shared.sources.local import LocalFleet
from tests.azure.conftest import azure_config
from tests.fakeazure import FakeAzure, Fault

TABLE = "KubeEvents"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog([c for c in load_catalog() if set(c.spec.tables) <= {TABLE}])


@pytest.fixture(scope="module")
def baseline(fleet: Path, catalog: Catalog) -> ScanResult:
    """The same scan with the local source: what every fault scan is compared with."""
    local = LocalFleet(fleet)
    try:
        return asyncio.run(scan_fleet(Sources(local, local, local, local), catalog=catalog, now=local.now))
    finally:
        local.close()


async def azure_scan(config: AzureConfig, fleet: Path, catalog: Catalog) -> ScanResult:
    async with open_azure_sources(config) as sources:
        return await scan_fleet(sources, catalog=catalog, now=LocalFleet(fleet).now)


def workspaces(fake: FakeAzure) -> tuple[tuple[str, str], tuple[str, str]]:
    """(ARM id, customerId) of the fleet's two workspaces, in a stable order."""
    pairs = sorted((ws, str(meta["customerId"])) for ws, meta in fake.fleet.manifest["workspaces"].items())
    return (pairs[0][0].lower(), pairs[0][1]), (pairs[1][0].lower(), pairs[1][1])


def assert_narrowed(
    result: ScanResult, baseline: ScanResult, catalog: Catalog, affected: set[str], reason_has: tuple[str, ...]
) -> None:
    """Clusters in `affected` lose exactly the table's checks (inconclusive, with the reason); nothing else moves."""
    base_cov = {(c.cluster.lower(), c.check): c for c in baseline.coverage}
    table_checks = {c.id for c in catalog if TABLE in c.spec.tables}
    assert table_checks, "the catalog must hold checks that read the faulted table"
    seen_clusters = {c.key for c in result.clusters}
    narrowed = 0
    for cov in result.coverage:
        key = (cov.cluster.lower(), cov.check)
        before = base_cov[key]
        if (
            cov.cluster.lower() in affected
            and cov.check in table_checks
            and before.status is not CoverageStatus.NOT_APPLICABLE
        ):
            assert cov.status is CoverageStatus.INCONCLUSIVE, key
            assert all(text in cov.reason for text in reason_has), (key, cov.reason)
            narrowed += 1
        elif cov.check != "MON003" or cov.cluster.lower() not in affected:  # MON003 reports the others
            assert cov.status is before.status, (key, before, cov)
    assert narrowed > 0
    expected_findings = {
        f.fingerprint
        for f in baseline.findings
        if f.cluster.lower() in seen_clusters
        and not (f.cluster.lower() in affected and (f.check in table_checks or f.check == "MON003"))
    }
    got = {f.fingerprint for f in result.findings if not (f.check == "MON003" and f.cluster.lower() in affected)}
    assert got == expected_findings


async def test_forbidden_subscription_500_workspace_and_429_bursts(
    fake: FakeAzure, config: AzureConfig, fleet: Path, catalog: Catalog, baseline: ScanResult
) -> None:
    (ws_a, guid_a), (_ws_b, guid_b) = workspaces(fake)
    forbidden = fake.subscriptions[2]
    fake.forbidden_subscriptions.add(forbidden)
    fake.faults += [
        Fault("logs", status=500, match=guid_a),
        Fault("logs", status=429, retry_after=0.2, times=2, match=guid_b),
        Fault("resourcegraph", status=429, retry_after=0.2, times=1),
        Fault("metrics", status=429, retry_after=0.2, times=2),
    ]
    result = await azure_scan(config, fleet, catalog)

    inventory_errors = [e for e in result.errors if e.source == "inventory"]
    assert [(e.scope, e.kind) for e in inventory_errors] == [(f"/subscriptions/{forbidden}", "forbidden")]
    assert "needs Reader" in inventory_errors[0].message
    assert {c.key for c in result.clusters} == {c.key for c in baseline.clusters if c.subscription_id != forbidden}
    log_errors = [e for e in result.errors if e.source == "logs"]
    assert {(e.scope, e.kind) for e in log_errors} == {(ws_a, "error")}
    affected = {c.key for c in result.clusters if c.workspace_id == ws_a}
    assert_narrowed(result, baseline, catalog, affected, (TABLE, "HTTP 500"))
    # 500s were retried a bounded number of times; 429s were retried until they passed.
    # Each workspace gets one query per table of the plan (KubeEvents, plus the node inventory for liveness).
    tables = len({q.table for q in baseline.queries})
    statuses = [r.status for r in fake.requests if r.endpoint == "logs" and guid_a in r.path]
    assert statuses == [500] * (config.retries + 1) * tables
    b_statuses = [r.status for r in fake.requests if r.endpoint == "logs" and guid_b in r.path]
    assert sorted(b_statuses) == [200] * tables + [429, 429]
    assert sum(1 for r in fake.requests if r.status == 429) == 5


async def test_forbidden_workspace_and_partial_result(
    fake: FakeAzure, config: AzureConfig, fleet: Path, catalog: Catalog, baseline: ScanResult
) -> None:
    (ws_a, guid_a), (ws_b, guid_b) = workspaces(fake)
    fake.forbidden_workspaces.add(guid_a)
    fake.faults.append(Fault("logs", partial=True, match=guid_b))
    result = await azure_scan(config, fleet, catalog)

    by_scope = {e.scope: e for e in result.errors}
    assert by_scope[ws_a].kind == "forbidden"
    assert by_scope[ws_b].kind == "partial"
    assert not [e for e in result.errors if e.source == "inventory"]
    forbidden = {c.key for c in result.clusters if c.workspace_id == ws_a}
    partial = {c.key for c in result.clusters if c.workspace_id == ws_b}
    cov = {(c.cluster.lower(), c.check): c for c in result.coverage}
    assert_narrowed(result, baseline, catalog, forbidden | partial, (TABLE,))
    table_checks = [c.id for c in catalog if TABLE in c.spec.tables]
    for keys, words in (
        (forbidden, ("forbidden", "Log Analytics Reader")),
        (partial, ("partial result", "PartialError")),
    ):
        for key in keys:
            reasons = [
                cov[(key, check)].reason
                for check in table_checks
                if cov[(key, check)].status is CoverageStatus.INCONCLUSIVE
            ]
            assert reasons and all(all(w in r for w in words) for r in reasons)
    # no retry on 403, none needed on a partial 200: one request per workspace and table
    assert fake.count("logs") == 2 * len({q.table for q in baseline.queries})


async def test_timeouts_become_timeout_failures(fake: FakeAzure, tls: tuple[ssl.SSLContext, str]) -> None:
    (ws_a, guid_a), _ = workspaces(fake)
    fake.faults.append(Fault("logs", latency=3.0, match=guid_a))
    config = azure_config(fake, tls[1], timeout=0.5, retries=1)
    now = fake.fleet.now
    async with open_azure_sources(config) as sources:
        with pytest.raises(SourceFailure) as failure:
            await sources.logs.query_workspace(ws_a, f"{TABLE} | take 1", now - timedelta(hours=1), now)
    assert failure.value.kind == "timeout"
    # A query that timed out is not re-sent (azure-core does not retry a POST after a read timeout).
    assert [r.status for r in fake.requests if r.endpoint == "logs"] == [0]


async def test_metrics_and_graph_forbidden_name_their_permission(fake: FakeAzure, config: AzureConfig) -> None:
    fake.faults += [Fault("metrics", status=403), Fault("graph", status=403)]
    aks = next(c for c in fake.fleet.clusters() if c.kind.value == "aks" and c.properties.get("nodeResourceGroup"))
    arc = next(c for c in fake.fleet.clusters() if c.kind.value == "arc")
    now = fake.fleet.now
    async with open_azure_sources(config) as sources:
        inventory = await sources.inventory.list_clusters()
        fresh = {c.key: c for c in inventory.clusters}
        vmss_cluster = next(
            (c for c in inventory.clusters if c.related.get("microsoft.compute/virtualmachinescalesets")),
            fresh[aks.key],
        )
        with pytest.raises(SourceFailure) as metric_failure:
            await sources.metrics.fetch(
                vmss_cluster,
                "Microsoft.Compute/virtualMachineScaleSets",
                "OS Disk IOPS Consumed Percentage",
                "Maximum",
                now - timedelta(hours=24),
                now,
            )
        with pytest.raises(SourceFailure) as graph_failure:
            await sources.directory.fact(fresh[arc.key], "arc-onboarding-principal-groups")
    assert (metric_failure.value.kind, metric_failure.value.role) == ("forbidden", "Monitoring Reader")
    assert graph_failure.value.kind == "forbidden"
    assert "Application.Read.All" in str(graph_failure.value.role)
