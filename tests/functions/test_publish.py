"""Publishing a run on the CLI's backends (SQLite, a report folder): reminders, failed posts retried once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.delivery.blob import FolderReports
from shared.delivery.teams import WebhookError
from shared.model import Severity
from shared.runs import RunConfig, publish_run
from shared.state import RunRecord, apply_run
from shared.state.sqlite import open_sqlite_state
from tests.functions.conftest import Receiver
from tests.functions.test_transitions import CLUSTERS, finding


def _config(webhook: Receiver, **changes: object) -> RunConfig:
    env = {
        "FLEETDOC_TEAMS_WEBHOOK_URL": webhook.url,
        "FLEETDOC_CA_BUNDLE": webhook.ca_file,
        "FLEETDOC_REMINDER_HOURS": "24",
        "FLEETDOC_NOTIFY_MIN_SEVERITY": "medium",
    }
    return replace(RunConfig.from_env(env), post_attempts=2, post_backoff=0.01, **changes)


async def _run(state, reports, run_id: str, findings: list, shard: str = "ws-a-0") -> None:
    now = datetime.now(UTC)
    await state.create_run(RunRecord(run_id, now, "local", "en", shards=1, clusters=len(CLUSTERS)))
    previous = await state.findings_of_clusters(CLUSTERS)
    await state.put_findings(apply_run(previous, findings, [], run_id, now).states)
    await reports.write_shard(
        run_id,
        shard,
        {
            "scan": {"window": {"start": "a", "end": "b"}, "queries": 0, "errors": []},
            "clusters": [],
            "findings": [],
            "coverage": [],
        },
    )
    await state.complete_shard(run_id, shard, {})


async def test_open_high_findings_are_reminded_after_the_interval(tmp_path: Path, webhook: Receiver) -> None:
    high = finding("NODE004", CLUSTERS[0], "kube-system/a", Severity.HIGH)
    low = finding("NODE009", CLUSTERS[0], "kube-system/b", Severity.LOW)
    reports = FolderReports(tmp_path / "reports")
    async with open_sqlite_state(tmp_path / "state.db") as state:
        start = len(webhook.posts)
        await _run(state, reports, "r1", [high, low])
        assert await publish_run("r1", state, reports, _config(webhook)) is True
        assert len(webhook.posts) - start == 1  # the high one is new; the low one is below the minimum
        await _run(state, reports, "r2", [high, low])
        await publish_run("r2", state, reports, _config(webhook))
        assert len(webhook.posts) - start == 1  # unchanged and reminded less than 24 h ago: silent
        (row,) = [s for s in await state.list_findings() if s.check == "NODE004"]
        await state.backend.upsert(
            "finding",
            row.fingerprint,
            {**(await state.backend.get("finding", row.fingerprint))[0], "lastNotified": "2000-01-01T00:00:00Z"},
        )
        await _run(state, reports, "r3", [high, low])
        await publish_run("r3", state, reports, _config(webhook))
        assert len(webhook.posts) - start == 2
        card = str(webhook.posts[-1])
        assert "Still open" in card and "NODE004" in card and "NODE009" not in card
        (row,) = [s for s in await state.list_findings() if s.check == "NODE004"]
        assert row.last_notified is not None and datetime.now(UTC) - row.last_notified < timedelta(minutes=1)
        report = await reports.read_report("r3")
        assert report is not None and report["run"]["id"] == "r3"


async def test_a_failed_post_is_retried_by_the_next_delivery_and_posted_once(tmp_path: Path, webhook: Receiver) -> None:
    reports = FolderReports(tmp_path / "reports")
    async with open_sqlite_state(tmp_path / "state.db") as state:
        start = len(webhook.posts)
        await _run(state, reports, "r1", [finding("NODE004", CLUSTERS[1], "x", Severity.CRITICAL)])
        webhook.fail_next = 2
        with pytest.raises(WebhookError):  # the queue message fails and is redelivered
            await publish_run("r1", state, reports, _config(webhook))
        webhook.fail_next = 0
        assert await state.notification_status("run:r1") == "failed"
        assert await publish_run("r1", state, reports, _config(webhook)) is True
        assert await publish_run("r1", state, reports, _config(webhook)) is True
        assert len(webhook.posts) - start == 1
        assert await state.notification_status("run:r1") == "sent"
        assert (await state.get_run("r1")).status == "published"
