"""The small interfaces every source implements; the engine knows nothing else about I/O.

Sources raise `SourceFailure` for errors that affect a scope (a subscription, a
workspace, a cluster); the engine records them and narrows coverage instead of
failing the scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from shared.model import Cluster, SourceError


class SourceFailure(Exception):
    """A source could not answer; `kind` is error, forbidden, throttled, partial or timeout."""

    def __init__(self, message: str, kind: str = "error", role: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.role = role  # the Azure role that would have allowed the call, when known


@dataclass
class Inventory:
    clusters: list[Cluster]
    errors: list[SourceError] = field(default_factory=list)


@dataclass
class QueryResult:
    rows: list[dict[str, Any]]
    partial_error: str | None = None  # Log Analytics answered 200 with an error member


class InventorySource(Protocol):
    async def list_clusters(self) -> Inventory: ...

    async def get_cluster(self, cluster_id: str) -> Cluster | None: ...


class LogsSource(Protocol):
    async def query_workspace(self, workspace_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        """Run `query` in one workspace; raise SourceFailure when it cannot."""
        ...

    async def query_resource(self, resource_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        """Resource-centric query (one cluster's rows, whatever workspace holds them)."""
        ...


@dataclass(frozen=True)
class MetricPoint:
    resource_id: str
    metric: str
    timestamp: datetime
    value: float


class MetricsSource(Protocol):
    async def fetch(
        self, cluster: Cluster, namespace: str, metric: str, aggregation: str, start: datetime, end: datetime
    ) -> list[MetricPoint]: ...


class DirectorySource(Protocol):
    async def fact(self, cluster: Cluster, name: str) -> Any:
        """A Microsoft Graph fact about the cluster's tenant, e.g. `custom-locations-principal`."""
        ...
