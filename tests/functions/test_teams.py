"""The run's Adaptive Card: grouped by check, valid for Microsoft's parser, under 28 KB; posting retries."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from typing import Any

import pytest

from shared.delivery.teams import CARD_LIMIT, RunChanges, WebhookError, build_card, payload_size, portal_link, post_card
from shared.model import Severity
from shared.state import apply_run
from tests.functions.conftest import ROOT, Receiver
from tests.functions.test_transitions import T0, finding

SUB = "3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2"


def cluster(i: int) -> str:
    return (
        f"/subscriptions/{SUB}/resourceGroups/rg-{i}/providers/Microsoft.ContainerService/managedClusters/aks-{i:03d}"
    )


def validate(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse each card with the `adaptivecards` npm package; returns its parse events and validation issues."""
    cards = [p["attachments"][0]["content"] for p in payloads]
    out = subprocess.run(
        ["node", str(ROOT / "tests" / "functions" / "validate_card.cjs")],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    return json.loads(out.stdout)


def states(
    count: int, checks: int, remediation: int = 3, lang_text: str = "Run kubectl get pods -n kube-system"
) -> list:
    findings = []
    for i in range(count):
        f = finding(f"NODE{(i % checks) + 1:03d}", cluster(i), f"kube-system/pod-{i}", list(Severity)[(i % checks) % 5])
        f.remediation = [f"{lang_text} ({step})" for step in range(remediation)]
        f.title = f"Title of NODE{(i % checks) + 1:03d}"
        findings.append(f)
    return apply_run({}, findings, [], "r1", T0).new


def test_small_card_groups_by_check_and_parses() -> None:
    new = states(6, 3)
    resolved = [replace(s, check="EXT001", fingerprint=s.fingerprint + "x") for s in states(2, 1)]
    payload = build_card(RunChanges("r1", 12, new, resolved), "de", "https://st.blob.core.windows.net/r/report.json")
    card = payload["attachments"][0]["content"]
    assert payload["type"] == "message" and card["version"] == "1.5"
    text = json.dumps(card, ensure_ascii=False)
    assert text.count("NODE001 · Title of NODE001") == 1 and text.count("NODE003 · Title of NODE003") == 1
    for state in new:
        assert portal_link(state.cluster) in text
    assert "Behebung" in text and "Neue Befunde" in text and "Behoben" in text
    assert card["actions"][0]["url"].endswith("report.json")
    colors = {item.get("color") for block in card["body"] if block["type"] == "Container" for item in block["items"]}
    assert {"attention", "warning", "good"} <= colors
    (result,) = validate([payload])
    assert result["events"] == [] and result["issues"] == []
    assert result["bodyItems"] == len(card["body"])


def test_large_runs_stay_under_the_limit_with_an_overflow_summary() -> None:
    new = states(
        400,
        60,
        remediation=6,
        lang_text="kubectl describe node aks-nodepool1-12345678-vmss000000 | grep -i pressure; " * 3,
    )
    payload = build_card(RunChanges("r2", 400, new, []), "en", "https://st.blob.core.windows.net/r/report.json")
    size = payload_size(payload)
    assert size <= CARD_LIMIT
    card = payload["attachments"][0]["content"]
    shown = sum(1 for b in card["body"] if b["type"] == "Container")
    assert 0 < shown < 60
    last = card["body"][-1]["text"]
    shown_findings = sum(
        len([s for s in new if s.check == c])
        for c in {s.check for s in new}
        if f"{c} · " in json.dumps(card, ensure_ascii=False)
    )
    assert f"{400 - shown_findings} more finding(s) in {60 - shown} check(s)" in last
    (result,) = validate([payload])
    assert result["events"] == [] and result["issues"] == []


async def test_post_retries_transient_failures(webhook: Receiver) -> None:
    payload = build_card(RunChanges("r3", 1, states(1, 1), []), "en", None)
    webhook.fail_next, before, posts = 2, webhook.attempts, len(webhook.posts)
    status = await post_card(webhook.url, payload, backoff=0.01, ca_bundle=webhook.ca_file)
    assert status == 202
    assert webhook.attempts - before == 3 and webhook.posts[posts:] == [payload]


async def test_post_gives_up_and_does_not_retry_rejections(webhook: Receiver) -> None:
    payload = build_card(RunChanges("r4", 1, states(1, 1), []), "en", None)
    webhook.fail_next, before = 10, webhook.attempts
    with pytest.raises(WebhookError, match="after 3 attempts"):
        await post_card(webhook.url, payload, attempts=3, backoff=0.01, ca_bundle=webhook.ca_file)
    assert webhook.attempts - before == 3
    webhook.fail_next = 0
    with pytest.raises(WebhookError, match="rejected"):
        await post_card(
            webhook.url.replace("/workflows/fleetdoc", "/nope"), payload, backoff=0.01, ca_bundle=webhook.ca_file
        )
