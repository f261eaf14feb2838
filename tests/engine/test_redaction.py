"""Secrets in log lines are redacted in findings, whatever output they go to."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from fixture_fleet import NOW, SUBSCRIPTION

from shared.catalog import Catalog, load_catalog
from shared.engine.scan import Sources, scan_fleet
from shared.sample.builder import FleetBuilder
from shared.sources.local import LocalFleet

SAS = "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbCdEf0123456789abcdefXYZ%3D"


def test_evidence_samples_are_redacted(tmp_path: Path) -> None:
    builder = FleetBuilder(NOW)
    builder.add_workspace("law", SUBSCRIPTION, "rg-mon", "westeurope")
    cluster = builder.add_cluster("aks", "aks-secret", SUBSCRIPTION, "rg", "westeurope", "law")
    line = f"openvpn: TLS Error: TLS handshake failed uploading to {SAS} AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0"
    builder.apply(cluster, {"rows": {"ContainerLogV2": [
        {"PodNamespace": "kube-system", "PodName": "aks-link-1", "ContainerName": "aks-link", "LogMessage": line}
    ]}})  # fmt: skip
    builder.add_baseline(cluster, 10, snapshot_every=timedelta(minutes=30))
    fleet = LocalFleet(builder.write(tmp_path / "fleet"))
    result = asyncio.run(
        scan_fleet(Sources(fleet, fleet, fleet, fleet), catalog=Catalog([load_catalog()["NODE004"]]), now=fleet.now)
    )
    (finding,) = result.findings
    text = str(finding.to_json())
    assert "TLS handshake failed" in text
    assert "AbCdEf0123456789abcdefXYZ" not in text and "c2VjcmV0c2VjcmV0c2VjcmV0" not in text
