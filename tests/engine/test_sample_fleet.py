"""The README's first command: every injected scenario is reported on its cluster, healthy clusters stay clean."""

from __future__ import annotations

import json
from pathlib import Path

from shared.catalog import load_catalog
from shared.engine.scan import ScanResult
from shared.model import CoverageStatus


def _manifest(sample_dir: Path) -> dict:
    return json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))


def test_sample_fleet_shape(sample_dir: Path, sample_scan: ScanResult) -> None:
    clusters = sample_scan.clusters
    assert len(clusters) >= 12
    assert {c.kind.value for c in clusters} == {"aks", "arc"}
    assert len({c.subscription_id for c in clusters}) == 3
    assert len({c.workspace_id for c in clusters if c.workspace_id}) == 2
    assert _manifest(sample_dir)["healthy"], "the sample keeps healthy clusters"


def test_every_check_with_a_data_signal_is_injected(sample_dir: Path) -> None:
    injected = {p["check"] for p in _manifest(sample_dir)["scenarios"]}
    expected = {c.id for c in load_catalog() if not c.spec.text_only}
    assert injected == expected


def test_each_scenario_is_reported_on_its_cluster(sample_dir: Path, sample_scan: ScanResult) -> None:
    found = {(f.check, f.cluster.lower()) for f in sample_scan.findings}
    placements = {(p["check"], p["cluster"].lower()) for p in _manifest(sample_dir)["scenarios"]}
    assert placements - found == set(), "injected scenarios missing from the report"


def test_findings_only_where_scenarios_were_injected(sample_dir: Path, sample_scan: ScanResult) -> None:
    manifest = _manifest(sample_dir)
    healthy = {c.lower() for c in manifest["healthy"]}
    injected_clusters = {p["cluster"].lower() for p in manifest["scenarios"]}
    for finding in sample_scan.findings:
        assert finding.cluster.lower() not in healthy, f"{finding.check} on healthy {finding.cluster_name}"
        assert finding.cluster.lower() in injected_clusters
    for cov in sample_scan.coverage:
        if cov.cluster.lower() in healthy:
            assert cov.status is not CoverageStatus.INCONCLUSIVE, f"{cov.check} inconclusive on healthy: {cov.reason}"
            assert cov.status is not CoverageStatus.FINDING


def test_coverage_is_complete(sample_scan: ScanResult) -> None:
    pairs = {(c.cluster, c.check) for c in sample_scan.coverage}
    assert len(pairs) == len(sample_scan.coverage)
    assert len(pairs) == len(sample_scan.clusters) * len(load_catalog())


def test_sample_is_deterministic(tmp_path: Path, sample_dir: Path, sample_now) -> None:
    from shared.sample.fleet import generate

    again = generate(tmp_path / "again", now=sample_now)
    for name in ("manifest.json", "inventory/resources.json"):
        assert (again / name).read_bytes() == (sample_dir / name).read_bytes()
    first = sorted(p.relative_to(sample_dir) for p in sample_dir.rglob("*.jsonl"))
    assert first == sorted(p.relative_to(again) for p in again.rglob("*.jsonl"))
    for rel in first:
        assert (again / rel).read_bytes() == (sample_dir / rel).read_bytes(), rel
