"""What a check sees: one cluster and the signals gathered for it. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.model import Cluster, Hit
from shared.sources.base import MetricPoint


class Inconclusive(Exception):
    """Raised by a check that cannot conclude on this cluster (missing input); the message is the reason."""


@dataclass(frozen=True)
class SignalRow:
    """One summarized row of the fleet query: a signature seen for a subject on a cluster."""

    resource_id: str
    signature: str  # short name, without the check id
    subject: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    samples: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "subject": self.subject,
            "count": self.count,
            "firstSeen": self.first_seen.isoformat().replace("+00:00", "Z") if self.first_seen else None,
            "lastSeen": self.last_seen.isoformat().replace("+00:00", "Z") if self.last_seen else None,
            "samples": list(self.samples),
        }


@dataclass(frozen=True)
class CheckContext:
    cluster: Cluster
    now: datetime
    start: datetime
    rows: Mapping[str, list[SignalRow]] = field(default_factory=dict)  # by signature name
    heartbeats: Mapping[str, SignalRow] = field(default_factory=dict)  # by table
    metrics: Mapping[str, list[MetricPoint]] = field(default_factory=dict)  # by metric name
    directory: Mapping[str, Any] = field(default_factory=dict)  # graph facts by name
    inconclusive: Mapping[str, str] = field(default_factory=dict)  # other checks' reasons (for MON003)

    def signal(self, name: str) -> list[SignalRow]:
        return list(self.rows.get(name, ()))

    def all_rows(self) -> list[SignalRow]:
        return [row for rows in self.rows.values() for row in rows]


def hits_by_subject(rows: list[SignalRow], **params: str) -> list[Hit]:
    """The default matcher: one hit per subject, merging the signatures seen for it."""
    grouped: dict[str, list[SignalRow]] = {}
    for row in rows:
        grouped.setdefault(row.subject, []).append(row)
    hits = []
    for subject, group in sorted(grouped.items()):
        firsts = [r.first_seen for r in group if r.first_seen]
        lasts = [r.last_seen for r in group if r.last_seen]
        hits.append(
            Hit(
                subject=subject,
                evidence=[r.evidence() for r in sorted(group, key=lambda r: r.signature)],
                first_seen=min(firsts) if firsts else None,
                last_seen=max(lasts) if lasts else None,
                count=sum(r.count for r in group),
                params={**subject_params(subject), **params},
            )
        )
    return hits


def subject_params(subject: str) -> dict[str, str]:
    """`namespace/name` subjects fill {{ namespace }} and {{ pod }} in remediation steps."""
    if "/" in subject:
        namespace, name = subject.split("/", 1)
        return {"namespace": namespace, "pod": name, "name": name}
    return {"node": subject, "name": subject} if subject else {}
