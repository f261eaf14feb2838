"""The state store behaves the same on Azure Table storage (Azurite) and SQLite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.model import CoverageStatus, Severity
from shared.state import RunRecord, StateStore, Status, apply_run
from shared.state.sqlite import open_sqlite_state
from tests.functions.test_transitions import CLUSTERS, T0, cov, finding


@pytest.fixture(params=["sqlite", "table"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    if request.param == "sqlite":
        state = open_sqlite_state(tmp_path / "state.db")
    else:
        from azure.data.tables.aio import TableServiceClient

        from shared.state.table import open_table_state

        connection = request.getfixturevalue("azurite")
        state = await open_table_state(
            TableServiceClient.from_connection_string(connection), f"s{uuid.uuid4().hex[:12]}"
        )
    async with state:
        yield state


async def test_findings_round_trip_and_filters(store: StateStore) -> None:
    a = finding("NODE004", CLUSTERS[0], "kube-system/a")
    b = finding("EXT001", CLUSTERS[1], "", Severity.CRITICAL)
    result = apply_run({}, [a, b], [], "r1", T0)
    await store.put_findings(result.states)
    loaded = await store.findings_of_clusters([CLUSTERS[0].upper(), CLUSTERS[1]])
    assert loaded == {s.fingerprint: s for s in result.states}
    assert [s.check for s in await store.list_findings()] == ["EXT001", "NODE004"]  # severity first
    assert [s.check for s in await store.list_findings(severity=Severity.HIGH)] == ["NODE004"]
    assert [s.check for s in await store.list_findings(cluster=CLUSTERS[1].lower())] == ["EXT001"]
    assert await store.list_findings(status=Status.RESOLVED) == []
    assert {s.fingerprint for s in await store.changed_in("r1")} == {a.fingerprint, b.fingerprint}

    resolved = apply_run(loaded, [b], [cov(CLUSTERS[0], "NODE004", CoverageStatus.OK)], "r2", T0 + timedelta(hours=1))
    await store.put_findings(resolved.states)
    assert [s.fingerprint for s in await store.list_findings(status=Status.RESOLVED)] == [a.fingerprint]
    await store.mark_notified([a.fingerprint], T0)
    (row,) = await store.list_findings(status=Status.RESOLVED)
    assert row.last_notified == T0 and row.status is Status.RESOLVED


async def test_runs_and_shards_are_idempotent(store: StateStore) -> None:
    run = RunRecord("r1", T0, "sample", "en", shards=2, clusters=3)
    assert await store.create_run(run) is True
    assert await store.create_run(run) is False
    assert await store.get_run("r1") == run
    assert await store.get_run("missing") is None
    assert await store.complete_shard("r1", "ws-a-0", {"findings": 2}) is True
    assert await store.complete_shard("r1", "ws-a-0", {"findings": 9}) is False
    assert await store.shard_done("r1", "ws-a-0") and not await store.shard_done("r1", "ws-b-0")
    assert await store.completed_shards("r1") == {"ws-a-0": {"findings": 2}}


async def test_watermarks_only_move_forward(store: StateStore) -> None:
    ws = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/LAW"
    assert await store.watermarks() == {}
    await store.advance_watermark(ws, T0)
    await store.advance_watermark(ws, T0 - timedelta(hours=1))  # a late retry of an older run
    assert await store.watermarks() == {ws.lower(): T0}
    await store.advance_watermark(ws, T0 + timedelta(minutes=15))
    assert await store.watermarks() == {ws.lower(): T0 + timedelta(minutes=15)}


async def test_notification_claims(store: StateStore) -> None:
    stale = timedelta(minutes=10)
    assert await store.claim_notification("run:r1", T0, stale) is True
    assert await store.claim_notification("run:r1", T0 + timedelta(minutes=1), stale) is False  # someone is posting
    assert await store.claim_notification("run:r1", T0 + timedelta(minutes=11), stale) is True  # that one died
    await store.finish_notification("run:r1", "sent", T0)
    assert await store.claim_notification("run:r1", T0 + timedelta(days=1), stale) is False  # never twice
    assert await store.notification_status("run:r1") == "sent"
    assert await store.claim_notification("run:r2", T0, stale) is True
    await store.finish_notification("run:r2", "failed", T0, "HTTP 400")
    assert await store.claim_notification("run:r2", T0, stale) is True  # a failed post may be retried


async def test_query_slots_are_leased(store: StateStore) -> None:
    lease = timedelta(minutes=5)
    held = [await store.acquire_slot(2, f"w{i}", T0, lease) for i in range(3)]
    assert held == [0, 1, None]
    await store.release_slot(0, "someone-else")  # only the owner releases
    assert await store.acquire_slot(2, "w3", T0, lease) is None
    await store.release_slot(0, "w0")
    assert await store.acquire_slot(2, "w3", T0, lease) == 0
    assert await store.acquire_slot(2, "w4", T0 + lease + timedelta(seconds=1), lease) == 0  # expired lease
    await store.release_slot(0, "w3")  # w3's lease expired and was taken: its late release is a no-op
    assert await store.acquire_slot(2, "w5", T0 + lease - timedelta(seconds=1), lease) is None


async def test_gated_logs_never_exceed_the_slots(store: StateStore) -> None:
    """Two 'instances' with their own gates share the store: at most `slots` queries run at once."""
    import asyncio
    from datetime import UTC, datetime

    from shared.querygate import GatedLogs
    from shared.runtime import sample_fleet_dir
    from shared.sources.local import LocalFleet

    fleet = LocalFleet(sample_fleet_dir())
    running, peak = 0, 0

    class Counting:  # the source boundary: counts calls in flight
        async def query_workspace(self, workspace_id: str, query: str, start: datetime, end: datetime) -> Any:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            try:
                await asyncio.sleep(0.02)
                return await fleet.query_workspace(workspace_id, query, start, end)
            finally:
                running -= 1

    gates = [GatedLogs(Counting(), store, slots=2) for _ in range(2)]  # type: ignore[arg-type]
    workspace = next(iter(fleet.workspaces))
    now = datetime.now(UTC)
    try:
        results = await asyncio.gather(
            *(gates[i % 2].query_workspace(workspace, "ContainerLogV2 | take 1", now, now) for i in range(10))
        )
    finally:
        fleet.close()
    assert peak == 2
    assert all(len(r.rows) == 1 for r in results)
