"""One Adaptive Card per run, posted to a Teams Workflows webhook.

New and resolved findings are grouped by check across clusters (one block per
check, clusters listed inside), coloured by severity, with the remediation in
the configured language and portal links to the clusters. Teams rejects cards
above ~28 KB: groups are added until the budget is used, the rest is summarized
and the full report linked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from shared.model import Severity
from shared.state.model import FindingState

log = logging.getLogger(__name__)

CARD_LIMIT = 28 * 1024  # bytes of the whole webhook payload
PORTAL = "https://portal.azure.com/#@/resource"
MAX_CLUSTERS_PER_GROUP = 15
SEVERITY_COLOR = {"critical": "attention", "high": "attention", "medium": "warning", "low": "accent", "info": "default"}
SEVERITY_STYLE = {
    "critical": "attention",
    "high": "attention",
    "medium": "warning",
    "low": "emphasis",
    "info": "default",
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "fleetdoc: {new} new, {resolved} resolved",
        "new": "New findings",
        "resolved": "Resolved",
        "reminder": "Still open",
        "remediation": "Remediation",
        "clusters": "Clusters",
        "more": "{count} more finding(s) in {checks} check(s) are in the full report.",
        "report": "Full report",
        "docs": "Guide",
        "run": "Run {run}, {clusters} cluster(s) scanned",
    },
    "de": {
        "title": "fleetdoc: {new} neu, {resolved} behoben",
        "new": "Neue Befunde",
        "resolved": "Behoben",
        "reminder": "Weiterhin offen",
        "remediation": "Behebung",
        "clusters": "Cluster",
        "more": "{count} weitere Befund(e) in {checks} Prüfung(en) stehen im vollständigen Bericht.",
        "report": "Vollständiger Bericht",
        "docs": "Leitfaden",
        "run": "Lauf {run}, {clusters} Cluster geprüft",
    },
    "zh-Hans": {
        "title": "fleetdoc：{new} 个新问题，{resolved} 个已解决",
        "new": "新发现的问题",
        "resolved": "已解决",
        "reminder": "仍未解决",
        "remediation": "修复步骤",
        "clusters": "群集",
        "more": "另有 {count} 个问题（{checks} 项检查）见完整报告。",
        "report": "完整报告",
        "docs": "指南",
        "run": "运行 {run}，已扫描 {clusters} 个群集",
    },
    "zh-Hant": {
        "title": "fleetdoc：{new} 個新問題，{resolved} 個已解決",
        "new": "新發現的問題",
        "resolved": "已解決",
        "reminder": "仍未解決",
        "remediation": "修復步驟",
        "clusters": "叢集",
        "more": "另有 {count} 個問題（{checks} 項檢查）見完整報告。",
        "report": "完整報告",
        "docs": "指南",
        "run": "執行 {run}，已掃描 {clusters} 個叢集",
    },
}


@dataclass(frozen=True)
class RunChanges:
    run_id: str
    clusters: int
    new: Sequence[FindingState]
    resolved: Sequence[FindingState]
    reminders: Sequence[FindingState] = ()

    @property
    def empty(self) -> bool:
        return not (self.new or self.resolved or self.reminders)

    @property
    def fingerprints(self) -> list[str]:
        return [s.fingerprint for s in (*self.new, *self.resolved, *self.reminders)]


def portal_link(cluster_id: str) -> str:
    return f"{PORTAL}{cluster_id}"


def _groups(states: Sequence[FindingState]) -> list[list[FindingState]]:
    by_check: dict[str, list[FindingState]] = {}
    for state in states:
        by_check.setdefault(state.check, []).append(state)
    groups = [sorted(g, key=lambda s: (s.cluster_name, s.subject)) for g in by_check.values()]
    return sorted(groups, key=lambda g: (-g[0].severity.rank, g[0].check))


def _group_block(group: list[FindingState], labels: dict[str, str], resolved: bool) -> dict[str, Any]:
    first = max(group, key=lambda s: s.severity.rank)  # a check's severity is fixed; be safe if it changed
    detail = first.detail
    severity = first.severity.value
    lines = []
    for state in group[:MAX_CLUSTERS_PER_GROUP]:
        subject = f" — {_md(state.subject)}" if state.subject else ""
        lines.append(f"- [{_md(state.cluster_name)}]({portal_link(state.cluster)}){subject}")
    if len(group) > MAX_CLUSTERS_PER_GROUP:
        lines.append(f"- … +{len(group) - MAX_CLUSTERS_PER_GROUP}")
    items: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"{'✅' if resolved else '●'} {severity.upper()} · {first.check} · {_md(detail.get('title', ''))}",
            "weight": "Bolder",
            "wrap": True,
            "color": "good" if resolved else SEVERITY_COLOR[severity],
        },
        {"type": "TextBlock", "text": "\n".join(lines), "wrap": True, "spacing": "Small"},
    ]
    if not resolved:
        steps = detail.get("remediation") or []
        if steps:
            numbered = "\n".join(f"{i}. {_md(step)}" for i, step in enumerate(steps, 1))
            items.append(
                {
                    "type": "TextBlock",
                    "text": f"**{labels['remediation']}**\n\n{numbered}",
                    "wrap": True,
                    "size": "Small",
                }
            )
        if detail.get("docs"):
            items.append(
                {"type": "TextBlock", "text": f"[{labels['docs']}]({detail['docs']})", "wrap": True, "size": "Small"}
            )
    return {"type": "Container", "style": "good" if resolved else SEVERITY_STYLE[severity], "items": items}


def _md(text: str) -> str:
    """Keep texts from breaking the card's Markdown subset (links, lists)."""
    return str(text).replace("[", "(").replace("]", ")").replace("\r", " ")


def _envelope(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.5",
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def payload_size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


def build_card(changes: RunChanges, lang: str, report_url: str | None, limit: int = CARD_LIMIT) -> dict[str, Any]:
    """The webhook payload (message with one Adaptive Card attachment), at most `limit` bytes."""
    labels = LABELS.get(lang, LABELS["en"])
    actions = [{"type": "Action.OpenUrl", "title": labels["report"], "url": report_url}] if report_url else []
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": labels["title"].format(new=len(changes.new), resolved=len(changes.resolved)),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": labels["run"].format(run=changes.run_id, clusters=changes.clusters),
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
    ]
    sections = [
        (labels["new"], _groups(changes.new), False),
        (labels["reminder"], _groups(changes.reminders), False),
        (labels["resolved"], _groups(changes.resolved), True),
    ]
    reserve = 1200  # room for the overflow line
    left_out: list[list[FindingState]] = []
    for heading, groups, resolved in sections:
        if not groups:
            continue
        header = {"type": "TextBlock", "text": heading, "weight": "Bolder", "size": "Medium", "separator": True}
        added_header = False
        for group in groups:
            block = _group_block(group, labels, resolved)
            candidate = [*body, *([] if added_header else [header]), block]
            if left_out or payload_size(_envelope(candidate, actions)) > limit - reserve:
                left_out.append(group)
                continue
            body = candidate
            added_header = True
    if left_out:
        count = sum(len(g) for g in left_out)
        body.append(
            {
                "type": "TextBlock",
                "text": labels["more"].format(count=count, checks=len({g[0].check for g in left_out})),
                "wrap": True,
                "weight": "Bolder",
                "separator": True,
            }
        )
    payload = _envelope(body, actions)
    if payload_size(payload) > limit:
        raise ValueError("the card header alone exceeds the size limit")
    return payload


class WebhookError(RuntimeError):
    pass


async def post_card(
    url: str,
    payload: dict[str, Any],
    attempts: int = 5,
    backoff: float = 0.5,
    request_timeout: float = 30.0,
    ca_bundle: str = "",
) -> int:
    """POST with retries on 429/5xx and connection errors (exponential backoff, Retry-After honoured)."""
    context = ssl.create_default_context(cafile=ca_bundle or None)  # FLEETDOC_CA_BUNDLE: TLS-inspecting proxies
    last: str = ""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=context), timeout=aiohttp.ClientTimeout(total=request_timeout)
    ) as session:
        for attempt in range(attempts):
            delay = backoff * 2**attempt
            try:
                async with session.post(url, json=payload) as response:
                    text = await response.text()
                    if response.status < 300:
                        return response.status
                    last = f"HTTP {response.status}: {text[:300]}"
                    if response.status != 429 and response.status < 500:
                        raise WebhookError(f"Teams webhook rejected the card: {last}")
                    retry_after = response.headers.get("Retry-After", "")
                    if retry_after.isdigit():
                        delay = min(float(retry_after), 60.0)
            except (aiohttp.ClientError, TimeoutError) as err:
                last = f"{type(err).__name__}: {err}"
            if attempt + 1 < attempts:
                log.warning("Teams webhook attempt %d failed (%s); retrying in %.1fs", attempt + 1, last, delay)
                await asyncio.sleep(delay)
    raise WebhookError(f"Teams webhook failed after {attempts} attempts: {last}")


def at_least(states: Sequence[FindingState], minimum: Severity) -> list[FindingState]:
    return [s for s in states if s.severity.rank >= minimum.rank]
