"""The state store: all the logic over a tiny entity backend (Azure Table storage or SQLite).

Both backends offer the same five primitives on (partition, row) entities of
plain JSON values, so everything that matters — idempotent shards, one post
per run, forward-only watermarks — is written once, here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.model import Severity
from shared.state.model import FindingState, RunRecord, Status, iso, parse_iso

FINDING, RUN, WATERMARK, NOTIFY, SLOT = "finding", "run", "watermark", "notify", "slot"


class Backend(Protocol):
    async def get(self, partition: str, row: str) -> tuple[dict[str, Any], str] | None:
        """The entity and its etag."""
        ...

    async def insert(self, partition: str, row: str, entity: dict[str, Any]) -> bool:
        """Create; False when the entity exists already."""
        ...

    async def upsert(self, partition: str, row: str, entity: dict[str, Any]) -> None: ...

    async def replace(self, partition: str, row: str, entity: dict[str, Any], etag: str) -> bool:
        """Replace only if unchanged since read (etag); False otherwise."""
        ...

    async def query(self, partition: str, equals: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Entities of a partition whose properties equal `equals`."""
        ...

    async def close(self) -> None: ...


class StateStore:
    def __init__(self, backend: Backend):
        self.backend = backend

    async def close(self) -> None:
        await self.backend.close()

    async def __aenter__(self) -> StateStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # findings ----------------------------------------------------------------------------------------------
    async def findings_of_clusters(self, cluster_ids: Iterable[str]) -> dict[str, FindingState]:
        found: dict[str, FindingState] = {}
        for cluster in sorted({c.lower() for c in cluster_ids}):
            for entity in await self.backend.query(FINDING, {"clusterKey": cluster}):
                state = _finding_from(entity)
                found[state.fingerprint] = state
        return found

    async def list_findings(
        self, status: Status | None = None, severity: Severity | None = None, cluster: str | None = None
    ) -> list[FindingState]:
        equals = {}
        if status:
            equals["status"] = status.value
        if severity:
            equals["severity"] = severity.value
        if cluster:
            equals["clusterKey"] = cluster.lower()
        states = [_finding_from(e) for e in await self.backend.query(FINDING, equals)]
        return sorted(states, key=lambda s: (-s.severity.rank, s.check, s.cluster_name, s.subject))

    async def put_findings(self, states: Iterable[FindingState]) -> None:
        for state in states:
            await self.backend.upsert(FINDING, state.fingerprint, _finding_entity(state))

    async def changed_in(self, run_id: str) -> list[FindingState]:
        return [_finding_from(e) for e in await self.backend.query(FINDING, {"changedRun": run_id})]

    # runs and shards ---------------------------------------------------------------------------------------
    async def create_run(self, run: RunRecord) -> bool:
        return await self.backend.insert(RUN, run.run_id, _run_entity(run))

    async def get_run(self, run_id: str) -> RunRecord | None:
        got = await self.backend.get(RUN, run_id)
        return _run_from(got[0]) if got else None

    async def save_run(self, run: RunRecord) -> None:
        await self.backend.upsert(RUN, run.run_id, _run_entity(run))

    async def complete_shard(self, run_id: str, shard_id: str, summary: dict[str, Any]) -> bool:
        """Mark a shard done; False if it was done already (a redelivered message)."""
        return await self.backend.insert(f"shard-{run_id}", shard_id, {"summary": json.dumps(summary)})

    async def shard_done(self, run_id: str, shard_id: str) -> bool:
        return await self.backend.get(f"shard-{run_id}", shard_id) is not None

    async def completed_shards(self, run_id: str) -> dict[str, dict[str, Any]]:
        rows = await self.backend.query(f"shard-{run_id}")
        return {r["RowKey"]: json.loads(r["summary"]) for r in rows}

    # watermarks --------------------------------------------------------------------------------------------
    async def watermarks(self) -> dict[str, datetime]:
        rows = await self.backend.query(WATERMARK)
        return {r["workspace"]: parse_iso(r["until"]) for r in rows}  # type: ignore[misc]

    async def advance_watermark(self, workspace: str, until: datetime) -> None:
        """Move forward only: a late retry of an older run must not pull the window back."""
        key = _row_key(workspace.lower())
        for _ in range(5):
            got = await self.backend.get(WATERMARK, key)
            entity = {"workspace": workspace.lower(), "until": iso(until)}
            if got is None:
                if await self.backend.insert(WATERMARK, key, entity):
                    return
                continue
            current, etag = got
            if parse_iso(current["until"]) >= until:  # type: ignore[operator]
                return
            if await self.backend.replace(WATERMARK, key, entity, etag):
                return
        raise RuntimeError(f"watermark of {workspace} kept changing under us")

    # notifications -----------------------------------------------------------------------------------------
    async def claim_notification(self, key: str, now: datetime, stale_after: timedelta) -> bool:
        """Take the right to post for `key`. Posted already, or another worker posting now: False.

        A claim left in `sending` longer than `stale_after` belongs to a worker that died mid-post;
        it is taken over (the one case where Teams may see a run twice).
        """
        entity = {"status": "sending", "claimed": iso(now)}
        if await self.backend.insert(NOTIFY, _row_key(key), {**entity, "key": key}):
            return True
        got = await self.backend.get(NOTIFY, _row_key(key))
        if got is None:
            return False
        current, etag = got
        claimed = parse_iso(current.get("claimed"))
        retry = current["status"] == "failed" or (
            current["status"] == "sending" and claimed is not None and now - claimed > stale_after
        )
        return retry and await self.backend.replace(NOTIFY, _row_key(key), {**entity, "key": key}, etag)

    async def finish_notification(self, key: str, status: str, now: datetime, detail: str = "") -> None:
        await self.backend.upsert(
            NOTIFY, _row_key(key), {"key": key, "status": status, "claimed": iso(now), "detail": detail[:2000]}
        )

    async def notification_status(self, key: str) -> str | None:
        got = await self.backend.get(NOTIFY, _row_key(key))
        return got[0]["status"] if got else None

    async def mark_notified(self, fingerprints: Iterable[str], now: datetime) -> None:
        for fp in fingerprints:
            got = await self.backend.get(FINDING, fp)
            if got is not None:
                await self.backend.upsert(FINDING, fp, {**_strip(got[0]), "lastNotified": iso(now)})

    # query slots: a fleet-wide semaphore (Log Analytics allows 5 concurrent queries per identity) ---------
    async def acquire_slot(self, slots: int, owner: str, now: datetime, lease: timedelta) -> int | None:
        """Take a free (or expired) slot among `slots`; None when all are held. Leases expire, so a dead
        worker's slot comes back after `lease`."""
        for index in range(slots):
            row = f"{index:03d}"
            entity = {"owner": owner, "until": iso(now + lease)}
            got = await self.backend.get(SLOT, row)
            if got is None:
                if await self.backend.insert(SLOT, row, entity):
                    return index
                continue
            current, etag = got
            until = parse_iso(current.get("until"))
            if (not current.get("owner") or until is None or until <= now) and await self.backend.replace(
                SLOT, row, entity, etag
            ):
                return index
        return None

    async def release_slot(self, index: int, owner: str) -> None:
        row = f"{index:03d}"
        got = await self.backend.get(SLOT, row)
        if got is not None and got[0].get("owner") == owner:  # an expired lease may belong to someone else now
            await self.backend.replace(SLOT, row, {"owner": "", "until": ""}, got[1])


def _row_key(value: str) -> str:
    """Table RowKeys may not contain / \\ # ?: hash long or unsafe values."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _strip(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entity.items() if k not in ("PartitionKey", "RowKey")}


def _finding_entity(state: FindingState) -> dict[str, Any]:
    return {
        "check": state.check,
        "severity": state.severity.value,
        "cluster": state.cluster,
        "clusterKey": state.cluster_key,
        "clusterName": state.cluster_name,
        "subject": state.subject,
        "status": state.status.value,
        "firstSeen": iso(state.first_seen),
        "lastSeen": iso(state.last_seen),
        "count": state.count,
        "updatedRun": state.updated_run,
        "changedRun": state.changed_run,
        "resolvedAt": iso(state.resolved_at) or "",
        "lastNotified": iso(state.last_notified) or "",
        "detail": json.dumps(state.detail, ensure_ascii=False),
    }


def _finding_from(entity: dict[str, Any]) -> FindingState:
    return FindingState(
        fingerprint=entity["RowKey"],
        check=entity["check"],
        severity=Severity(entity["severity"]),
        cluster=entity["cluster"],
        cluster_name=entity["clusterName"],
        subject=entity["subject"],
        status=Status(entity["status"]),
        first_seen=parse_iso(entity["firstSeen"]),  # type: ignore[arg-type]
        last_seen=parse_iso(entity["lastSeen"]),  # type: ignore[arg-type]
        count=int(entity["count"]),
        updated_run=entity["updatedRun"],
        changed_run=entity["changedRun"],
        resolved_at=parse_iso(entity.get("resolvedAt")),
        last_notified=parse_iso(entity.get("lastNotified")),
        detail=json.loads(entity.get("detail") or "{}"),
    )


def _run_entity(run: RunRecord) -> dict[str, Any]:
    return {
        "started": iso(run.started),
        "source": run.source,
        "lang": run.lang,
        "shards": run.shards,
        "clusters": run.clusters,
        "status": run.status,
        "publishedAt": iso(run.published_at) or "",
        "reportUrl": run.report_url or "",
    }


def _run_from(entity: dict[str, Any]) -> RunRecord:
    return RunRecord(
        run_id=entity["RowKey"],
        started=parse_iso(entity["started"]),  # type: ignore[arg-type]
        source=entity["source"],
        lang=entity["lang"],
        shards=int(entity["shards"]),
        clusters=int(entity["clusters"]),
        status=entity["status"],
        published_at=parse_iso(entity.get("publishedAt")),
        report_url=entity.get("reportUrl") or None,
    )
