"""End to end on Azurite: timer -> queue -> shard workers -> Table state -> Blob report -> Teams (local HTTPS).

Run 1 scans a fleet with problems; run 2 scans the same fleet an hour later with the problems gone
(resolved findings, one more card); redelivered messages and an unchanged run 3 post nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue import TextBase64DecodePolicy
from azure.storage.queue.aio import QueueClient

from shared.delivery.teams import CARD_LIMIT, payload_size
from shared.runs import OVERLAP
from shared.runtime import open_storage
from shared.sample.fleet import default_now, generate
from shared.sources.local import LocalFleet
from tests.functions.conftest import Receiver, user_function
from tests.functions.test_teams import validate


async def _drain(env: dict[str, str], functions: dict[str, Any], redeliver: bool) -> list[bytes]:
    """Act as the host: receive each shard message, invoke scan_shard, delete it; optionally deliver twice."""
    shard = user_function(functions, "scan_shard")
    queue = QueueClient.from_connection_string(
        env["AzureWebJobsStorage"], env["FLEETDOC_SHARD_QUEUE"], message_decode_policy=TextBase64DecodePolicy()
    )
    handled: list[bytes] = []
    async with queue:
        while True:
            batch = [m async for m in queue.receive_messages(max_messages=32, visibility_timeout=60)]
            if not batch:
                return handled
            for message in batch:
                trigger = func.QueueMessage(
                    id=message.id, body=message.content.encode(), pop_receipt=message.pop_receipt
                )
                await shard(trigger)
                if redeliver:  # the host redelivers when a worker dies before deleting the message
                    await shard(trigger)
                await queue.delete_message(message)
                handled.append(message.content.encode())


async def _report(env: dict[str, str], run_id: str) -> dict[str, Any]:
    service = BlobServiceClient.from_connection_string(env["AzureWebJobsStorage"])
    async with service:
        blob = service.get_blob_client(env["FLEETDOC_REPORT_CONTAINER"], f"runs/{run_id}/report.json")
        return json.loads(await (await blob.download_blob()).readall())


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _assert_card(payload: dict[str, Any], states: Any, heading: str, run_id: str) -> None:
    """Every finding's check is on the card, or the card says how many were left for the report."""
    assert payload_size(payload) <= CARD_LIMIT
    text = json.dumps(payload, ensure_ascii=False)
    assert heading in text and f"runs/{run_id}/report.json" in text
    missing = {s.check for s in states if f"{s.check} · " not in text}
    if missing:
        assert f"in {len(missing)} Prüfung(en) stehen im vollständigen Bericht" in text
    for state in states:
        if state.check not in missing:
            assert f"#@/resource{state.cluster}" in text


async def test_two_runs_resolve_findings_and_post_once_each(
    app_env: dict[str, str],
    webhook: Receiver,
    functions: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = default_now() - timedelta(hours=2)
    sick = generate(tmp_path / "sick", rows=2000, now=now)
    clusters = len(LocalFleet(sick).clusters())
    healed = generate(tmp_path / "healed", clusters=clusters, rows=2000, now=now + timedelta(hours=1), scenarios=False)
    env = {
        **app_env,
        "FLEETDOC_SOURCE": "local",
        "FLEETDOC_DATA": str(sick),
        "FLEETDOC_INLINE_MAX_CLUSTERS": "0",  # force the fan-out
        "FLEETDOC_TEAMS_WEBHOOK_URL": webhook.url,
        "FLEETDOC_CA_BUNDLE": webhook.ca_file,
        "FLEETDOC_NOTIFY_MIN_SEVERITY": "info",
        "FLEETDOC_LANGUAGE": "de",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    posts_before = len(webhook.posts)
    timer = user_function(functions, "scan_fleet")

    # run 1 ------------------------------------------------------------------------------------------------
    fleet = LocalFleet(sick)
    placed = {(p["check"], p["cluster"].lower()) for p in fleet.manifest["scenarios"]}
    workspaces = {c.workspace_id for c in fleet.clusters() if c.workspace_id}
    shards = len(workspaces) + sum(1 for c in fleet.clusters() if not c.workspace_id)
    fleet.close()
    await timer(TimerRequest(past_due=False))
    assert len(await _drain(env, functions, redeliver=True)) == shards
    async with open_storage() as storage:
        rows = {s.fingerprint: s for s in await storage.state.list_findings()}
        marks = await storage.state.watermarks()
    assert placed & {(s.check, s.cluster_key) for s in rows.values()}, "sample scenarios must be detected"
    assert {s.status.value for s in rows.values()} == {"new"}
    assert marks == dict.fromkeys(workspaces, now)
    (run_1,) = {s.changed_run for s in rows.values()}
    report = await _report(env, run_1)
    assert {f["fingerprint"] for f in report["findings"]} == set(rows)
    assert len(report["changes"]["new"]) == len(rows) and report["changes"]["resolved"] == []
    assert len(report["clusters"]) == clusters
    posts = webhook.posts[posts_before:]
    assert len(posts) == 1, "one card per run, redeliveries included"
    _assert_card(posts[0], rows.values(), "Neue Befunde", run_1)

    # run 2: an hour later the problems are gone ---------------------------------------------------------
    monkeypatch.setenv("FLEETDOC_DATA", str(healed))
    await timer(TimerRequest(past_due=False))
    messages_2 = await _drain(env, functions, redeliver=False)
    async with open_storage() as storage:
        after = {s.fingerprint: s for s in await storage.state.list_findings()}
        marks = await storage.state.watermarks()
    (run_2,) = {s.changed_run for s in after.values()} - {run_1}
    report_2 = await _report(env, run_2)
    assert report_2["scan"]["windows"] == [[_iso(now - OVERLAP), _iso(now + timedelta(hours=1))]]
    conclusive = {(c["cluster"].lower(), c["check"]) for c in report_2["coverage"] if c["status"] in ("ok", "finding")}
    still = {f["fingerprint"] for f in report_2["findings"]}
    should_resolve = {fp for fp, s in rows.items() if fp not in still and (s.cluster_key, s.check) in conclusive}
    assert should_resolve, "the healed fleet must resolve at least one finding"
    resolved = {fp for fp, s in after.items() if s.status.value == "resolved"}
    assert resolved == should_resolve
    assert {fp for fp, s in after.items() if s.status.value == "open"} == set(rows) - resolved - (set(rows) - still)
    assert marks == dict.fromkeys(workspaces, now + timedelta(hours=1))
    posts = webhook.posts[posts_before:]
    assert len(posts) == 2
    _assert_card(posts[1], [after[fp] for fp in resolved], "Behoben", run_2)
    cards = validate(posts)
    assert all(c["events"] == [] and c["issues"] == [] for c in cards)

    new_2 = [s for s in after.values() if s.changed_run == run_2 and s.status.value == "new"]
    header = posts[1]["attachments"][0]["content"]["body"][0]["text"]
    assert header == f"fleetdoc: {len(new_2)} neu, {len(resolved)} behoben"  # open ones are not re-posted

    # a late redelivery of run 2's messages (already done) changes nothing and posts nothing ---------------
    shard = user_function(functions, "scan_shard")
    for index, content in enumerate(messages_2):
        await shard(func.QueueMessage(id=f"late-{index}", body=content))
    async with open_storage() as storage:
        assert {s.fingerprint: s for s in await storage.state.list_findings()} == after
    assert len(webhook.posts) - posts_before == 2
