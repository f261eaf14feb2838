"""Every query the engine renders is checked by Microsoft's Kusto parser against the real table schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kusto_validator import assert_valid_kql, validate_kql

from shared.catalog import load_catalog
from shared.engine.plan import build_plan, signatures_by_table
from shared.engine.scan import ScanResult
from shared.kql.render import render_table_query

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CLUSTER = (
    "/subscriptions/3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2/resourceGroups/rg-x/providers/"
    "Microsoft.ContainerService/managedClusters/aks-x"
)


def test_fleet_plan_queries_are_valid_kusto(sample_scan: ScanResult) -> None:
    assert sample_scan.queries
    assert_valid_kql([q.kql for q in sample_scan.queries])


def test_single_cluster_and_per_table_variants_are_valid_kusto() -> None:
    catalog = load_catalog()
    queries = []
    for table, signatures in signatures_by_table(catalog).items():
        queries.append(render_table_query(table, [CLUSTER], NOW - timedelta(hours=1), NOW, signatures))
        for q in signatures:  # each signature alone: a broken one cannot hide behind a valid neighbour
            queries.append(render_table_query(table, [CLUSTER], NOW - timedelta(hours=1), NOW, [q]))
    assert_valid_kql(queries)


def test_a_broken_signature_is_caught() -> None:
    from shared.catalog.spec import Signature
    from shared.kql.render import QualifiedSignature

    broken = QualifiedSignature("NODE999", Signature(name="typo", table="KubeEvents", where="Reasonn == 'x'"))
    kql = render_table_query("KubeEvents", [CLUSTER], NOW - timedelta(hours=1), NOW, [broken])
    codes = [d.code for d in validate_kql([kql])[0] if d.severity == "Error"]
    assert "KS142" in codes


def test_plan_for_one_cluster_is_valid_kusto(sample_scan: ScanResult) -> None:
    cluster = next(c for c in sample_scan.clusters if c.workspace_id)
    plan = build_plan([cluster], load_catalog(), NOW - timedelta(hours=24), NOW)
    assert_valid_kql([q.kql for q in plan])
