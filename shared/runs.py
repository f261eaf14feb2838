"""A scheduled fleet run: plan shards, scan each shard, publish once when the last shard is done.

The Functions app calls these (timer -> `start_run`, queue -> `run_shard`); every
step is idempotent by (run, shard) so redelivered or poisoned messages leave the
state consistent: a done shard is not scanned twice, its finding rows are
written by a transition function that ignores rows this run already wrote, and
the card is posted under a claim keyed by the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.delivery.blob import ReportStore
from shared.delivery.teams import RunChanges, at_least, build_card, post_card
from shared.engine.scan import Sources, scan_clusters
from shared.kql.literals import parse_duration
from shared.model import Cluster, Severity
from shared.querygate import GatedLogs
from shared.redact import redact
from shared.settings import get_setting
from shared.state import RunRecord, StateStore, Status, apply_run

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=15)  # ingestion delay: Container Insights rows land minutes after they happen
MAX_SHARD_CLUSTERS = 200  # keeps a message (cluster ids) far below the 64 KiB queue limit
STALE_CLAIM = timedelta(minutes=10)  # a posting worker silent this long is presumed dead


@dataclass(frozen=True)
class Shard:
    run_id: str
    shard_id: str
    workspace: str | None
    cluster_ids: tuple[str, ...]
    start: datetime
    end: datetime
    lang: str

    def to_message(self) -> str:
        return json.dumps(
            {
                "run": self.run_id,
                "shard": self.shard_id,
                "workspace": self.workspace,
                "clusters": list(self.cluster_ids),
                "start": _iso(self.start),
                "end": _iso(self.end),
                "lang": self.lang,
            }
        )

    @classmethod
    def from_message(cls, text: str) -> Shard:
        try:
            data = json.loads(text)
            return cls(
                run_id=str(data["run"]),
                shard_id=str(data["shard"]),
                workspace=data.get("workspace"),
                cluster_ids=tuple(str(c) for c in data["clusters"]),
                start=_parse(data["start"]),
                end=_parse(data["end"]),
                lang=str(data.get("lang") or "en"),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"malformed shard message: {err}") from err


@dataclass(frozen=True)
class RunConfig:
    lang: str
    since: timedelta
    inline_max: int
    webhook: str
    min_severity: Severity
    reminder: timedelta | None
    ca_bundle: str = ""
    post_attempts: int = 5  # webhook retries with exponential backoff from post_backoff seconds
    post_backoff: float = 0.5

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RunConfig:
        env = dict(environ)
        hours = float(get_setting("FLEETDOC_REMINDER_HOURS", env) or 0)
        return cls(
            lang=get_setting("FLEETDOC_LANGUAGE", env),
            since=parse_duration(get_setting("FLEETDOC_SINCE", env)),
            inline_max=int(get_setting("FLEETDOC_INLINE_MAX_CLUSTERS", env)),
            webhook=get_setting("FLEETDOC_TEAMS_WEBHOOK_URL", env),
            min_severity=Severity(get_setting("FLEETDOC_NOTIFY_MIN_SEVERITY", env)),
            reminder=timedelta(hours=hours) if hours > 0 else None,
            ca_bundle=get_setting("FLEETDOC_CA_BUNDLE", env),
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without zone: {text}")
    return moment


def new_run_id(now: datetime) -> str:
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def plan_shards(
    run_id: str,
    clusters: list[Cluster],
    watermarks: Mapping[str, datetime],
    now: datetime,
    since: timedelta,
    lang: str,
    max_size: int = MAX_SHARD_CLUSTERS,
) -> list[Shard]:
    """One shard per workspace (one query per table covers all its clusters); no workspace: a shard each.

    A workspace with a watermark is queried from the watermark minus the overlap, never more than `since`.
    """
    by_workspace: dict[str | None, list[Cluster]] = {}
    for cluster in sorted(clusters, key=lambda c: c.key):
        by_workspace.setdefault(cluster.workspace_id.lower() if cluster.workspace_id else None, []).append(cluster)
    shards: list[Shard] = []
    full = now - since
    for workspace, members in sorted(by_workspace.items(), key=lambda kv: kv[0] or ""):
        if workspace is None:
            for cluster in members:
                shard_id = f"cluster-{_short(cluster.key)}"
                shards.append(Shard(run_id, shard_id, None, (cluster.id,), full, now, lang))
            continue
        mark = watermarks.get(workspace)
        start = max(full, mark - OVERLAP) if mark else full
        start = min(start, now - OVERLAP)  # never an empty window
        for index in range(0, len(members), max_size):
            chunk = members[index : index + max_size]
            shard_id = f"ws-{_short(workspace)}-{index // max_size}"
            shards.append(Shard(run_id, shard_id, workspace, tuple(c.id for c in chunk), start, now, lang))
    return shards


def _short(value: str) -> str:
    return hashlib.sha256(value.lower().encode()).hexdigest()[:12]


async def start_run(
    sources: Sources, state: StateStore, config: RunConfig, now: datetime, run_id: str | None = None
) -> list[Shard]:
    """Inventory the fleet, plan the shards and record the run (the caller enqueues or runs them)."""
    inventory = await sources.inventory.list_clusters()
    for error in inventory.errors:
        log.warning("inventory: %s %s: %s", error.kind, error.scope, error.message)
    run_id = run_id or new_run_id(now)
    shards = plan_shards(run_id, inventory.clusters, await state.watermarks(), now, config.since, config.lang)
    run = RunRecord(run_id, now, sources.name, config.lang, len(shards), len(inventory.clusters))
    await state.create_run(run)
    return shards


@dataclass(frozen=True)
class ShardOutcome:
    run_id: str
    shard_id: str
    scanned: bool  # False: a redelivery of a done shard
    findings: int
    new: int
    resolved: int
    published: bool


async def run_shard(
    shard: Shard, sources: Sources, state: StateStore, reports: ReportStore, config: RunConfig
) -> ShardOutcome:
    counts = {"findings": 0, "new": 0, "resolved": 0}
    scanned = False
    if await state.get_run(shard.run_id) is None:
        raise LookupError(f"unknown run {shard.run_id}: the message outlived its run record")
    if not await state.shard_done(shard.run_id, shard.shard_id):
        inventory = await sources.inventory.list_clusters()
        wanted = {c.lower() for c in shard.cluster_ids}
        clusters = [c for c in inventory.clusters if c.key in wanted]
        errors = [e for e in inventory.errors if e.scope.lower() in wanted]
        gated = replace(sources, logs=GatedLogs(sources.logs, state))  # fleet-wide bound across instances
        result = await scan_clusters(
            clusters,
            gated,
            now=shard.end,
            since=shard.end - shard.start,
            lang=shard.lang,
            errors=errors,
            scan_id=shard.run_id,
        )
        result.findings = [replace(f, evidence=redact(f.evidence)) for f in result.findings]
        previous = await state.findings_of_clusters(shard.cluster_ids)
        transition = apply_run(previous, result.findings, result.coverage, shard.run_id, shard.end)
        await state.put_findings(transition.states)
        doc = result.to_json()
        doc["shard"] = {
            "id": shard.shard_id,
            "workspace": shard.workspace,
            "missing": sorted(wanted - {c.key for c in clusters}),
        }
        await reports.write_shard(shard.run_id, shard.shard_id, doc)
        log_failed = any(e.source == "logs" and e.scope.lower() == shard.workspace for e in result.errors)
        if shard.workspace and not log_failed:  # a failed query must be retried over the same window next run
            await state.advance_watermark(shard.workspace, shard.end)
        counts = {"findings": len(result.findings), "new": len(transition.new), "resolved": len(transition.resolved)}
        scanned = await state.complete_shard(shard.run_id, shard.shard_id, counts)
    published = await publish_run(shard.run_id, state, reports, config)
    return ShardOutcome(shard.run_id, shard.shard_id, scanned, published=published, **counts)


def merge_report(run: RunRecord, docs: list[dict[str, Any]], changes: RunChanges) -> dict[str, Any]:
    """All shard results as one scan document, plus what changed in this run."""
    scans = [d["scan"] for d in docs]
    findings = [f for d in docs for f in d["findings"]]
    findings.sort(key=lambda f: (-Severity(f["severity"]).rank, f["check"], f["clusterName"], f["subject"]))
    return {
        "run": {"id": run.run_id, "started": _iso(run.started), "source": run.source, "shards": run.shards},
        "scan": {
            "id": run.run_id,
            "source": run.source,
            "lang": run.lang,
            "windows": sorted({(s["window"]["start"], s["window"]["end"]) for s in scans}),
            "queries": sum(s["queries"] for s in scans),
            "errors": [e for s in scans for e in s["errors"]],
        },
        "clusters": [c for d in docs for c in d["clusters"]],
        "findings": findings,
        "coverage": [c for d in docs for c in d["coverage"]],
        "changes": {
            "new": [s.to_json() for s in changes.new],
            "resolved": [s.to_json() for s in changes.resolved],
        },
    }


async def publish_run(run_id: str, state: StateStore, reports: ReportStore, config: RunConfig) -> bool:
    """Report and card of a run once all its shards are done; safe to call from every shard and on retries."""
    run = await state.get_run(run_id)
    if run is None or len(await state.completed_shards(run_id)) < run.shards:
        return False
    changed = await state.changed_in(run_id)
    new = [s for s in changed if s.status is Status.NEW]
    resolved = [s for s in changed if s.status is Status.RESOLVED]
    now = datetime.now(UTC)
    changes = RunChanges(run_id, run.clusters, new, resolved)
    report_url = await reports.write_report(run_id, merge_report(run, await reports.shard_docs(run_id), changes))
    if config.webhook:
        await _notify(run, changes, report_url, state, config, now)
    await state.save_run(replace(run, status="published", published_at=run.published_at or now, report_url=report_url))
    return True


async def _notify(
    run: RunRecord, changes: RunChanges, report_url: str, state: StateStore, config: RunConfig, now: datetime
) -> None:
    reminders = []
    if config.reminder:
        for status in (Status.NEW, Status.OPEN):
            for finding in await state.list_findings(status=status):
                due = finding.last_notified is None or now - finding.last_notified >= config.reminder
                if finding.changed_run != run.run_id and finding.severity.rank >= Severity.HIGH.rank and due:
                    reminders.append(finding)
    changes = RunChanges(
        run.run_id,
        run.clusters,
        at_least(changes.new, config.min_severity),
        at_least(changes.resolved, config.min_severity),
        at_least(reminders, config.min_severity),
    )
    key = f"run:{run.run_id}"
    if changes.empty or not await state.claim_notification(key, now, STALE_CLAIM):
        return  # nothing to say, or posted already / being posted by another worker
    try:
        await post_card(
            config.webhook,
            build_card(changes, run.lang, report_url),
            attempts=config.post_attempts,
            backoff=config.post_backoff,
            ca_bundle=config.ca_bundle,
        )
    except Exception as err:
        await state.finish_notification(key, "failed", now, str(err))
        raise  # the queue retries the message; the claim is released as "failed"
    await state.finish_notification(key, "sent", now)
    await state.mark_notified(changes.fingerprints, now)
