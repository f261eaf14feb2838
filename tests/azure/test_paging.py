"""Resource Graph paging (1,000-row pages, $skipToken) and its per-user quota headers, on a fleet of 2,600+ resources."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.sources.azure import open_azure_sources
from shared.sources.local import LocalFleet
from tests.azure.conftest import azure_config
from tests.fakeazure import FakeAzure

PUBLIC_IPS = 1_300  # in one cluster's node resource group: its `related` must hold every one
FILLER = 1_300  # elsewhere: read by nothing, but present in the subscriptions


def filler(fleet: Path) -> tuple[str, list[dict[str, Any]]]:
    cluster = next(c for c in LocalFleet(fleet).clusters() if c.properties.get("nodeResourceGroup"))
    node_rg = cluster.properties["nodeResourceGroup"]
    resources = [
        {
            "id": f"/subscriptions/{cluster.subscription_id}/resourceGroups/{node_rg}"
            f"/providers/Microsoft.Network/publicIPAddresses/kubernetes-a{i:04d}",
            "name": f"kubernetes-a{i:04d}",
            "type": "Microsoft.Network/publicIPAddresses",
            "location": cluster.location,
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {"publicIPAllocationMethod": "Static", "ipAddress": f"20.{i // 250}.{i % 250}.7"},
        }
        for i in range(PUBLIC_IPS)
    ]
    resources += [
        {
            "id": f"/subscriptions/{cluster.subscription_id}/resourceGroups/rg-filler"
            f"/providers/Microsoft.Network/networkInterfaces/nic-{i:04d}",
            "name": f"nic-{i:04d}",
            "type": "Microsoft.Network/networkInterfaces",
            "location": cluster.location,
            "properties": {},
        }
        for i in range(FILLER)
    ]
    return cluster.key, resources


@pytest.fixture
def big_fake(fleet: Path, tls: tuple[ssl.SSLContext, str]) -> Iterator[tuple[FakeAzure, str]]:
    key, extra = filler(fleet)
    # A tight quota (4 queries per 2 s) makes the adapter wait on x-ms-user-quota-remaining: 0.
    server = FakeAzure(fleet, tls[0], extra_resources=extra, arg_quota=4, arg_quota_window=2.0).start()
    yield server, key
    server.stop()


async def test_paging_and_quota(big_fake: tuple[FakeAzure, str], tls: tuple[ssl.SSLContext, str], fleet: Path) -> None:
    fake, key = big_fake
    async with open_azure_sources(azure_config(fake, tls[1])) as sources:
        started = time.monotonic()
        inventory = await sources.inventory.list_clusters()
        elapsed = time.monotonic() - started
    assert inventory.errors == []
    expected = LocalFleet(fleet).clusters()
    assert [c.key for c in inventory.clusters] == [c.key for c in expected]
    cluster = next(c for c in inventory.clusters if c.key == key)
    ips = cluster.related["microsoft.network/publicipaddresses"]
    assert len({ip["id"].lower() for ip in ips}) >= PUBLIC_IPS

    graph = [r for r in fake.requests if r.endpoint == "resourcegraph"]
    tokens = [r for r in graph if (r.body.get("options") or {}).get("$skipToken")]
    assert len(tokens) >= 1  # the node resource group query needed a second page
    assert all((r.body.get("options") or {}).get("$top") == 1000 for r in graph)
    # The quota was respected: never a 429, and more than 4 queries took more than one window.
    assert all(r.status == 200 for r in graph)
    assert len(graph) > 4 and elapsed >= 2.0 * ((len(graph) - 1) // 4) * 0.9
