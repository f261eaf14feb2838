"""The records fleetdoc keeps between runs: one per finding fingerprint, runs, shards and watermarks."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.model import Finding, Severity

DETAIL_LIMIT = 30_000  # a Table string property holds 64 KiB (32 K UTF-16 units); keep the detail below


class Status(StrEnum):
    NEW = "new"  # detected in the run that last changed it
    OPEN = "open"  # detected again in a later run
    RESOLVED = "resolved"  # its check ran conclusively for the cluster and did not detect it


@dataclass(frozen=True)
class FindingState:
    fingerprint: str
    check: str
    severity: Severity
    cluster: str  # cluster ARM id as the scan reported it
    cluster_name: str
    subject: str
    status: Status
    first_seen: datetime  # run time of the detection that made it new
    last_seen: datetime  # run time of the latest detection
    count: int  # runs in which it was detected
    updated_run: str  # the last run that wrote this row (retries of that run leave it alone)
    changed_run: str  # the run in which the status last became new or resolved
    resolved_at: datetime | None = None
    last_notified: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # the latest Finding.to_json(), redacted and bounded

    @property
    def cluster_key(self) -> str:
        return self.cluster.lower()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["status"] = self.status.value
        for key in ("first_seen", "last_seen", "resolved_at", "last_notified"):
            data[key] = iso(data[key])
        return {_camel(k): v for k, v in data.items()}


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started: datetime
    source: str
    lang: str
    shards: int
    clusters: int
    status: str = "running"  # running | published
    published_at: datetime | None = None
    report_url: str | None = None


def bounded_detail(finding: Finding) -> dict[str, Any]:
    """The finding as JSON, with evidence trimmed so the row stays within Table storage limits."""
    detail = finding.to_json()
    while len(json.dumps(detail, ensure_ascii=False)) > DETAIL_LIMIT and detail["evidence"]:
        detail["evidence"] = detail["evidence"][:-1]
        detail["evidenceTruncated"] = True
    if len(json.dumps(detail, ensure_ascii=False)) > DETAIL_LIMIT:
        detail["remediation"] = [step[:500] for step in detail["remediation"]]
        detail["cause"] = detail["cause"][:2000]
    return detail


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
