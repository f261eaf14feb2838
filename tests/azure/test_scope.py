"""Scopes (subscriptions, a management group, every readable subscription) and resource-centric queries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.sources.azure import AzureConfig, azure_scope_configured, open_azure_sources
from shared.sources.local import LocalFleet
from tests.azure.conftest import azure_config
from tests.fakeazure import FakeAzure, Fault


def test_config_from_env() -> None:
    env = {
        "FLEETDOC_SCOPE_SUBSCRIPTIONS": " a , b,",
        "FLEETDOC_ARM_ENDPOINT": "https://management.usgovcloudapi.net",
        "FLEETDOC_CA_BUNDLE": "/etc/ssl/proxy.pem",
    }
    config = AzureConfig.from_env(env)
    assert config.subscriptions == ["a", "b"]
    assert config.management_group is None
    assert config.arm_endpoint == "https://management.usgovcloudapi.net"
    assert config.logs_endpoint == "https://api.loganalytics.io"
    assert config.connection_verify == "/etc/ssl/proxy.pem"
    assert config.timeout == 60.0
    assert azure_scope_configured(env)
    assert azure_scope_configured({"FLEETDOC_SCOPE_MANAGEMENT_GROUP": "mg-platform"})
    assert not azure_scope_configured({"FLEETDOC_SCOPE_SUBSCRIPTIONS": " "})


async def test_management_group_and_tenant_wide_scopes(fake: FakeAzure, tls: tuple[object, str], fleet: Path) -> None:
    expected = sorted(c.key for c in LocalFleet(fleet).clusters())
    for overrides in ({"subscriptions": [], "management_group": "mg-platform"}, {"subscriptions": []}):
        fake.requests.clear()
        async with open_azure_sources(azure_config(fake, tls[1], **overrides)) as sources:
            inventory = await sources.inventory.list_clusters()
        assert inventory.errors == []
        assert sorted(c.key for c in inventory.clusters) == expected
        bodies = [r.body for r in fake.requests if r.endpoint == "resourcegraph"]
        if "management_group" in overrides:
            assert all(b.get("managementGroups") == ["mg-platform"] and not b.get("subscriptions") for b in bodies)
        else:  # every readable subscription: listed first from resourcecontainers, then named explicitly
            assert bodies[0]["query"].startswith("resourcecontainers")
            assert all(sorted(b["subscriptions"]) == sorted(fake.subscriptions) for b in bodies[1:])


async def test_resource_centric_query_matches_local(fake: FakeAzure, config: AzureConfig, fleet: Path) -> None:
    local = LocalFleet(fleet)
    cluster = next(c for c in local.clusters() if c.workspace_id)
    end = local.now
    start = end - timedelta(hours=24)
    kql = (
        f"KubeEvents | where _ResourceId =~ '{cluster.id}' | summarize Count = count(), "
        "Last = max(TimeGenerated) by Reason | order by Reason asc"
    )
    expected = (await local.query_resource(cluster.id, kql, start, end)).rows
    async with open_azure_sources(config) as sources:
        actual = (await sources.logs.query_resource(cluster.id, kql, start, end)).rows
    local.close()
    assert actual == expected
    paths = [r.path for r in fake.requests if r.endpoint == "logs"]
    assert paths == [f"/v1{cluster.id}/query"]


async def test_half_read_clusters_are_flagged(fake: FakeAzure, config: AzureConfig, fleet: Path) -> None:
    """Extensions unreadable in every subscription: each cluster carries an error, so the engine won't call it healthy."""
    fake.faults.append(Fault("resourcegraph", status=500, match="kubernetesconfigurationresources"))
    async with open_azure_sources(config) as sources:
        inventory = await sources.inventory.list_clusters()
    clusters = {c.key for c in inventory.clusters}
    assert clusters == {c.key for c in LocalFleet(fleet).clusters()}
    assert {e.scope.lower() for e in inventory.errors if e.scope.lower() in clusters} == clusters
    assert {e.scope for e in inventory.errors if e.scope.startswith("/subscriptions/") and e.scope.count("/") == 2} == {
        f"/subscriptions/{s}" for s in fake.subscriptions
    }
