"""The Azure adapters against the fake report exactly what the local source reports on the same fleet."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.engine.scan import ScanResult, Sources, scan_fleet
from shared.sources.azure import AzureConfig, open_azure_sources
from shared.sources.local import LocalFleet
from tests.fakeazure import FakeAzure

ROOT = Path(__file__).resolve().parents[2]


async def local_scan(fleet: Path) -> ScanResult:
    local = LocalFleet(fleet)
    try:
        return await scan_fleet(Sources(local, local, local, local, name="local"), now=datetime.now(UTC))
    finally:
        local.close()


async def cli_scan(fake: FakeAzure, ca_bundle: str) -> dict[str, Any]:
    """`fleetdoc scan --source azure --format json` in a subprocess, configured only through its environment."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLEETDOC_", "AZURE_", "IDENTITY_", "MSI_"))},
        "FLEETDOC_SCOPE_SUBSCRIPTIONS": ",".join(fake.subscriptions),
        "FLEETDOC_ARM_ENDPOINT": fake.url,
        "FLEETDOC_LOGS_ENDPOINT": fake.url,
        "FLEETDOC_LOGS_AUDIENCE": "https://api.loganalytics.io",
        "FLEETDOC_GRAPH_ENDPOINT": fake.url,
        "FLEETDOC_CA_BUNDLE": ca_bundle,
        "FLEETDOC_AZURE_TIMEOUT": "240",  # a 2-core machine running the fake and the local scan at once
        **fake.identity_env,  # DefaultAzureCredential -> managed identity, as in the Functions host
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", "scan", "--source", "azure", "--format", "json",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, err.decode()[-3000:]
    return json.loads(out)


async def test_cli_scan_azure_same_findings_as_local(fake: FakeAzure, tls: tuple[Any, str], fleet: Path) -> None:
    # Side by side: the local workspaces and the fake's run their DuckDB queries on different threads.
    # The CLI scans up to "now" like a real run; the sample fleet is stamped at the current hour.
    actual, expected = await asyncio.gather(cli_scan(fake, tls[1]), local_scan(fleet))
    assert actual["scan"]["errors"] == []
    assert actual["scan"]["source"] == "azure"
    local_findings = {(f.check, f.cluster.lower(), f.subject, f.fingerprint) for f in expected.findings}
    assert local_findings, "the sample fleet must produce findings for the comparison to mean anything"
    assert {(f["check"], f["cluster"].lower(), f["subject"], f["fingerprint"]) for f in actual["findings"]} == (
        local_findings
    )
    assert {(c["cluster"].lower(), c["check"]): c["status"] for c in actual["coverage"]} == {
        (c.cluster.lower(), c.check): c.status.value for c in expected.coverage
    }
    assert [(c["id"].lower(), c["workspace"]) for c in actual["clusters"]] == [
        (c.key, c.workspace_id) for c in expected.clusters
    ]
    # One Log Analytics query per workspace and table, nothing more; the token came from managed identity.
    logs = [r for r in fake.requests if r.endpoint == "logs"]
    per_target = Counter((r.path, re.search(r"let base = (\w+)", r.body["query"]).group(1)) for r in logs)
    assert set(per_target.values()) == {1}
    assert len(logs) == actual["scan"]["queries"] == len(expected.queries)
    assert fake.count("identity") >= 1


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
