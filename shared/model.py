"""The vocabulary of a scan: clusters, findings and coverage.

Everything here is plain data so that checks stay pure and results serialize
to JSON, Table rows and Adaptive Cards without adapters of their own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for ordering and `--fail-on`."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}[self.value]


class ClusterKind(StrEnum):
    AKS = "aks"
    ARC = "arc"


class CoverageStatus(StrEnum):
    OK = "ok"
    FINDING = "finding"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not_applicable"


ARM_TYPES = {
    "microsoft.containerservice/managedclusters": ClusterKind.AKS,
    "microsoft.kubernetes/connectedclusters": ClusterKind.ARC,
}


@dataclass
class Cluster:
    """One AKS managed cluster or Arc connected cluster, with the ARM documents that describe it."""

    id: str  # ARM resource id as Azure returns it; compare with `key`
    name: str
    kind: ClusterKind
    subscription_id: str
    resource_group: str
    location: str
    resource: dict[str, Any]  # the ARM GET body (or Resource Graph row)
    workspace_id: str | None = None  # Log Analytics workspace ARM id, lower-cased
    workspace_source: str | None = None  # how the workspace was found (addon, dcr, extension)
    extensions: list[dict[str, Any]] = field(default_factory=list)
    agent_pools: list[dict[str, Any]] = field(default_factory=list)
    related: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # other ARM resources by type

    @property
    def key(self) -> str:
        """Case-insensitive identity: ARM ids are case-insensitive and Azure mixes cases."""
        return self.id.lower()

    @property
    def properties(self) -> dict[str, Any]:
        return self.resource.get("properties") or {}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "location": self.location,
            "workspace": self.workspace_id,
            "workspaceSource": self.workspace_source,
        }


@dataclass(frozen=True)
class Hit:
    """What a check reports for one subject, before texts are attached."""

    subject: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    count: int = 1
    params: dict[str, str] = field(default_factory=dict)  # fills placeholders in remediation steps


@dataclass
class Finding:
    check: str
    severity: Severity
    cluster: str
    cluster_name: str
    subject: str
    title: str
    cause: str
    remediation: list[str]
    docs: str
    evidence: list[dict[str, Any]]
    first_seen: datetime | None
    last_seen: datetime | None
    count: int
    lang: str = "en"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.check, self.cluster, self.subject)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "cluster": self.cluster,
            "clusterName": self.cluster_name,
            "subject": self.subject,
            "title": self.title,
            "cause": self.cause,
            "remediation": self.remediation,
            "docs": self.docs,
            "evidence": self.evidence,
            "firstSeen": _iso(self.first_seen),
            "lastSeen": _iso(self.last_seen),
            "count": self.count,
            "lang": self.lang,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class Coverage:
    cluster: str
    check: str
    status: CoverageStatus
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "check": self.check, "status": self.status.value, "reason": self.reason}


@dataclass(frozen=True)
class SourceError:
    """An error at a source boundary, recorded so the rest of the scan goes on."""

    source: str  # inventory, logs, metrics, directory
    scope: str  # subscription, workspace or cluster id the error applies to
    message: str
    kind: str = "error"  # error, forbidden, throttled, partial, timeout

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "scope": self.scope, "kind": self.kind, "message": self.message}


def fingerprint(check: str, cluster_id: str, subject: str) -> str:
    """Stable id of a finding across runs: same check, cluster and subject, same fingerprint."""
    raw = "\x1f".join((check, cluster_id.lower(), subject))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
