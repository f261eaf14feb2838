"""Run every check against one cluster's signals: findings and coverage, failures isolated per check."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.catalog import Catalog, Check
from shared.engine.context import CheckContext, Inconclusive, SignalRow, hits_by_subject
from shared.engine.texts import cluster_params, render
from shared.kql.tables import PROFILES
from shared.model import Cluster, Coverage, CoverageStatus, Finding, Hit
from shared.redact import redact
from shared.sources.base import MetricPoint

log = logging.getLogger(__name__)

# Inventory tables may be collected as rarely as every 30 minutes (DCR interval 1m-30m).
SNAPSHOT_TOLERANCE = timedelta(minutes=30)
INCONCLUSIVE_CHECK = "MON003"


@dataclass
class ClusterSignals:
    """Everything the sources returned for one cluster, plus why some of it is missing."""

    rows: dict[str, list[SignalRow]] = field(default_factory=dict)  # by qualified signature
    heartbeats: dict[str, SignalRow] = field(default_factory=dict)  # by table
    table_errors: dict[str, str] = field(default_factory=dict)  # table -> reason
    metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)
    metric_errors: dict[str, str] = field(default_factory=dict)
    directory: dict[str, Any] = field(default_factory=dict)
    directory_errors: dict[str, str] = field(default_factory=dict)
    cluster_error: str | None = None  # the cluster itself could not be read


def _blocker(check: Check, cluster: Cluster, signals: ClusterSignals, start: datetime) -> str | None:
    """Why this check cannot conclude on this cluster, or None when it can."""
    if signals.cluster_error:
        return signals.cluster_error
    spec = check.spec
    if spec.tables:
        if not cluster.workspace_id:
            return "no Container Insights workspace is linked to this cluster (see MON001)"
        for table in spec.tables:
            if table in signals.table_errors:
                return f"{table}: {signals.table_errors[table]}"
        alive = bool(signals.heartbeats)
        for table in spec.tables:
            if table in spec.heartbeat:
                continue  # the check reads the heartbeat itself (MON002)
            if PROFILES[table].sparse:
                if not alive:
                    return f"no Container Insights data from this cluster since {start:%Y-%m-%d %H:%M}Z"
            elif table not in signals.heartbeats:
                return f"no {table} rows from this cluster since {start:%Y-%m-%d %H:%M}Z"
    for metric in spec.metrics:
        if metric.name in signals.metric_errors:
            return f"metric {metric.name!r}: {signals.metric_errors[metric.name]}"
        if metric.name not in signals.metrics:
            return f"metric {metric.name!r} was not read"
        if not signals.metrics[metric.name]:  # an empty series proves nothing about the resources
            return f"metric {metric.name!r}: no data points in the scan window"
    for fact in spec.graph:
        if fact in signals.directory_errors:
            return f"Microsoft Graph {fact}: {signals.directory_errors[fact]}"
        if fact not in signals.directory:
            return f"Microsoft Graph {fact} was not read"
    return None


def _current_rows(check: Check, signals: ClusterSignals) -> dict[str, list[SignalRow]]:
    """The check's rows by short signature name; stale snapshot states are dropped."""
    rows: dict[str, list[SignalRow]] = {}
    for sig in check.spec.signatures:
        if not sig.table:
            continue
        current = signals.rows.get(f"{check.id}.{sig.name}", [])
        if PROFILES[sig.table].snapshot and sig.table in signals.heartbeats:
            latest = signals.heartbeats[sig.table].last_seen
            if latest is not None:
                current = [r for r in current if r.last_seen is None or r.last_seen >= latest - SNAPSHOT_TOLERANCE]
        if current:
            rows[sig.name] = current
    return rows


def _finding(check: Check, cluster: Cluster, hit: Hit, lang: str) -> Finding:
    texts = check.texts(lang)
    params = {**cluster_params(cluster), "subject": hit.subject, **hit.params}
    return Finding(
        check=check.id,
        severity=check.severity,
        cluster=cluster.id,
        cluster_name=cluster.name,
        subject=hit.subject,
        title=render(texts.title, params),
        cause=render(texts.cause, params),
        remediation=[render(step, params) for step in texts.remediation],
        docs=check.spec.docs,
        evidence=redact(hit.evidence),  # log lines may carry tokens or keys: they never leave the scan
        first_seen=hit.first_seen,
        last_seen=hit.last_seen,
        count=hit.count,
        lang=lang,
    )


def evaluate_cluster(
    cluster: Cluster, catalog: Catalog, signals: ClusterSignals, now: datetime, start: datetime, lang: str = "en"
) -> tuple[list[Finding], list[Coverage]]:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    inconclusive: dict[str, str] = {}
    checks = [c for c in catalog if c.id != INCONCLUSIVE_CHECK]
    last = [catalog[INCONCLUSIVE_CHECK]] if INCONCLUSIVE_CHECK in catalog else []
    for check in checks + last:
        if not check.applies_to(cluster.kind):
            coverage.append(
                Coverage(cluster.id, check.id, CoverageStatus.NOT_APPLICABLE, f"{cluster.kind.value} cluster")
            )
            continue
        if check.spec.text_only:
            coverage.append(
                Coverage(cluster.id, check.id, CoverageStatus.NOT_APPLICABLE, "text-only: seen in CLI or portal output")
            )
            continue
        blocker = _blocker(check, cluster, signals, start)
        if blocker:
            inconclusive[check.id] = blocker
            coverage.append(Coverage(cluster.id, check.id, CoverageStatus.INCONCLUSIVE, blocker))
            continue
        ctx = CheckContext(
            cluster=cluster,
            now=now,
            start=start,
            rows=_current_rows(check, signals),
            heartbeats={t: signals.heartbeats[t] for t in check.spec.heartbeat if t in signals.heartbeats},
            metrics={m.name: signals.metrics[m.name] for m in check.spec.metrics},
            directory={f: signals.directory[f] for f in check.spec.graph},
            inconclusive=dict(inconclusive) if check.id == INCONCLUSIVE_CHECK else {},
        )
        try:
            hits = check.evaluate(ctx) if check.evaluate else hits_by_subject(ctx.all_rows())
            new = [_finding(check, cluster, hit, lang) for hit in hits]
        except Inconclusive as err:
            inconclusive[check.id] = str(err)
            coverage.append(Coverage(cluster.id, check.id, CoverageStatus.INCONCLUSIVE, str(err)))
            continue
        except Exception as err:  # one check's bug must not hide the others' results
            log.exception("check %s failed on %s", check.id, cluster.id)
            reason = f"check failed: {type(err).__name__}: {err}"
            inconclusive[check.id] = reason
            coverage.append(Coverage(cluster.id, check.id, CoverageStatus.INCONCLUSIVE, reason))
            continue
        findings.extend(new)
        status = CoverageStatus.FINDING if new else CoverageStatus.OK
        coverage.append(Coverage(cluster.id, check.id, status))
    return findings, coverage
