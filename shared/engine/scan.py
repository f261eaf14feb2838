"""A fleet scan: inventory, one query per workspace and table, checks, findings and coverage."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.catalog import Catalog, load_catalog
from shared.engine.context import SignalRow
from shared.engine.evaluate import ClusterSignals, evaluate_cluster
from shared.engine.plan import TableQuery, build_plan
from shared.kql.tables import HEARTBEAT
from shared.model import Cluster, Coverage, Finding, SourceError
from shared.sources.base import (
    DirectorySource,
    InventorySource,
    LogsSource,
    MetricsSource,
    QueryResult,
    SourceFailure,
)

Progress = Callable[[str, int], None]  # ("total", n) once, then (label, 1) per query and per cluster


@dataclass
class Sources:
    inventory: InventorySource
    logs: LogsSource
    metrics: MetricsSource | None = None
    directory: DirectorySource | None = None
    name: str = "local"


@dataclass
class ScanResult:
    scan_id: str
    source: str
    started: datetime
    finished: datetime
    start: datetime
    end: datetime
    lang: str
    clusters: list[Cluster]
    findings: list[Finding]
    coverage: list[Coverage]
    errors: list[SourceError]
    queries: list[TableQuery] = field(default_factory=list)
    state_changes: dict[str, list[str]] | None = None  # fingerprints by new/open/resolved, when state is kept

    def to_json(self) -> dict[str, Any]:
        doc = {
            "scan": {
                "id": self.scan_id,
                "source": self.source,
                "started": _iso(self.started),
                "finished": _iso(self.finished),
                "window": {"start": _iso(self.start), "end": _iso(self.end)},
                "lang": self.lang,
                "queries": len(self.queries),
                "workspaces": len({q.workspace_id for q in self.queries}),
                "errors": [e.to_json() for e in self.errors],
            },
            "clusters": [c.to_json() for c in self.clusters],
            "findings": [f.to_json() for f in self.findings],
            "coverage": [c.to_json() for c in self.coverage],
        }
        if self.state_changes is not None:
            doc["scan"]["state"] = self.state_changes
        return doc


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _samples(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return (value,)
    return tuple(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value)


def to_signal_row(row: dict[str, Any]) -> SignalRow:
    check_sig = str(row["Signature"])
    return SignalRow(
        resource_id=str(row["ResourceId"]).lower(),
        signature=check_sig.split(".", 1)[1] if "." in check_sig else check_sig,
        subject=str(row.get("Subject") or ""),
        count=int(float(row.get("Count") or 0)),
        first_seen=_parse_time(row.get("FirstSeen")),
        last_seen=_parse_time(row.get("LastSeen")),
        samples=_samples(row.get("Samples")),
    )


def route_rows(query: TableQuery, result: QueryResult, signals: dict[str, ClusterSignals]) -> None:
    """File each summary row under its cluster; a partial result taints the whole table for those clusters."""
    for row in result.rows:
        key = str(row["ResourceId"]).lower()
        if key not in signals:
            continue
        signal_row = to_signal_row(row)
        if row["Signature"] == HEARTBEAT:
            signals[key].heartbeats[query.table] = signal_row
        else:
            signals[key].rows.setdefault(str(row["Signature"]), []).append(signal_row)
    if result.partial_error:
        for key in query.cluster_keys:
            signals[key].table_errors[query.table] = f"partial result: {result.partial_error}"


async def _run_queries(
    plan: list[TableQuery],
    logs: LogsSource,
    start: datetime,
    end: datetime,
    signals: dict[str, ClusterSignals],
    errors: list[SourceError],
    concurrency: int,
    progress: Progress | None,
    resource_centric: bool = False,
) -> None:
    gate = asyncio.Semaphore(concurrency)  # Log Analytics allows 5 concurrent queries per identity

    async def run(query: TableQuery) -> None:
        async with gate:
            try:
                if resource_centric:
                    result = await logs.query_resource(query.cluster_keys[0], query.kql, start, end)
                else:
                    result = await logs.query_workspace(query.workspace_id, query.kql, start, end)
            except SourceFailure as err:
                reason = f"{err.kind}: {err}" + (f" (needs {err.role})" if err.role else "")
                errors.append(SourceError("logs", query.workspace_id, f"{query.table}: {err}", err.kind))
                for key in query.cluster_keys:
                    signals[key].table_errors[query.table] = reason
            else:
                route_rows(query, result, signals)
                if result.partial_error:
                    errors.append(
                        SourceError("logs", query.workspace_id, f"{query.table}: {result.partial_error}", "partial")
                    )
        if progress:
            progress(f"{query.table} @ {query.workspace_id.rsplit('/', 1)[-1]}", 1)

    await asyncio.gather(*(run(q) for q in plan))


async def _gather_facts(
    clusters: list[Cluster],
    catalog: Catalog,
    sources: Sources,
    start: datetime,
    end: datetime,
    signals: dict[str, ClusterSignals],
) -> None:
    """Metrics and Microsoft Graph facts, only those that checks applying to the cluster's kind need."""

    def _reason(err: SourceFailure) -> str:
        return f"{err.kind}: {err}" + (f" (needs {err.role})" if err.role else "")

    async def for_cluster(cluster: Cluster) -> None:
        sig = signals[cluster.key]
        wanted = [c for c in catalog if c.applies_to(cluster.kind)]
        metric_specs = sorted({(m.namespace, m.name, m.aggregation) for c in wanted for m in c.spec.metrics})
        for namespace, name, aggregation in metric_specs:
            if sources.metrics is None:
                sig.metric_errors[name] = "no metrics source configured"
                continue
            try:
                sig.metrics[name] = await sources.metrics.fetch(cluster, namespace, name, aggregation, start, end)
            except SourceFailure as err:
                sig.metric_errors[name] = _reason(err)
        for fact in sorted({f for c in wanted for f in c.spec.graph}):
            if sources.directory is None:
                sig.directory_errors[fact] = "no Microsoft Graph source configured"
                continue
            try:
                sig.directory[fact] = await sources.directory.fact(cluster, fact)
            except SourceFailure as err:
                sig.directory_errors[fact] = _reason(err)

    await asyncio.gather(*(for_cluster(c) for c in clusters))


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.check, f.cluster_name, f.subject))


async def scan_clusters(
    clusters: list[Cluster],
    sources: Sources,
    *,
    catalog: Catalog | None = None,
    now: datetime | None = None,
    since: timedelta = timedelta(hours=24),
    lang: str = "en",
    errors: list[SourceError] | None = None,
    progress: Progress | None = None,
    concurrency: int = 5,
    resource_centric: bool = False,
    scan_id: str | None = None,
) -> ScanResult:
    """Scan the given clusters (a whole fleet, a shard of it, or one cluster)."""
    catalog = catalog or load_catalog()
    started = datetime.now(UTC)
    end = (now or started).astimezone(UTC).replace(microsecond=0)
    start = end - since
    errors = list(errors or [])
    signals = {c.key: ClusterSignals() for c in clusters}
    for error in errors:  # inventory errors scoped to one cluster make it inconclusive
        if error.scope.lower() in signals:
            signals[error.scope.lower()].cluster_error = f"{error.kind}: {error.message}"

    if resource_centric:
        plan = [q for c in clusters for q in build_plan([c], catalog, start, end)]
    else:
        plan = build_plan(clusters, catalog, start, end)
    if progress:
        progress("total", len(plan) + len(clusters))
    await asyncio.gather(
        _run_queries(plan, sources.logs, start, end, signals, errors, concurrency, progress, resource_centric),
        _gather_facts(clusters, catalog, sources, start, end, signals),
    )

    findings: list[Finding] = []
    coverage: list[Coverage] = []
    for cluster in clusters:
        found, covered = evaluate_cluster(cluster, catalog, signals[cluster.key], end, start, lang)
        findings.extend(found)
        coverage.extend(covered)
        if progress:
            progress(cluster.name, 1)
    return ScanResult(
        scan_id=scan_id or uuid.uuid4().hex[:12],
        source=sources.name,
        started=started,
        finished=datetime.now(UTC),
        start=start,
        end=end,
        lang=lang,
        clusters=clusters,
        findings=_sorted(findings),
        coverage=coverage,
        errors=errors,
        queries=plan,
    )


async def scan_fleet(sources: Sources, **options: Any) -> ScanResult:
    inventory = await sources.inventory.list_clusters()
    return await scan_clusters(inventory.clusters, sources, errors=inventory.errors, **options)


class ClusterNotFound(LookupError):
    pass


async def diagnose_cluster(sources: Sources, cluster_id: str, **options: Any) -> ScanResult:
    """One cluster, fresh: a direct inventory read and resource-centric log queries."""
    cluster = await sources.inventory.get_cluster(cluster_id)
    if cluster is None:
        raise ClusterNotFound(f"cluster not found: {cluster_id}")
    return await scan_clusters([cluster], sources, resource_centric=True, **options)
