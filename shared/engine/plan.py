"""The fleet query plan: one query per workspace and table, whatever the number of clusters and checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.catalog import Catalog
from shared.kql.render import QualifiedSignature, render_table_query
from shared.kql.tables import PROFILES
from shared.model import Cluster

# Log Analytics caps query text; 200 resource ids keep a query far below it.
MAX_CLUSTERS_PER_QUERY = 200
LIVENESS_TABLE = "KubeNodeInventory"


@dataclass(frozen=True)
class TableQuery:
    workspace_id: str
    table: str
    cluster_keys: tuple[str, ...]
    kql: str


def signatures_by_table(catalog: Catalog, kinds: Iterable[str] | None = None) -> dict[str, list[QualifiedSignature]]:
    """Every queried signature of the checks that apply to at least one of `kinds`, grouped by table."""
    wanted = set(kinds) if kinds is not None else None
    tables: dict[str, list[QualifiedSignature]] = defaultdict(list)
    for check in catalog:
        if wanted is not None and not wanted & {k.value for k in check.spec.applies_to}:
            continue
        for table in check.spec.tables:
            tables.setdefault(table, [])
        for sig in check.spec.signatures:
            if sig.table:
                tables[sig.table].append(QualifiedSignature(check.id, sig))
    if tables and all(PROFILES[t].sparse for t in tables):
        # An empty sparse table (KubeEvents: only non-Normal events) proves nothing unless the cluster is
        # known to be sending data at all: the node inventory's heartbeat says so.
        tables[LIVENESS_TABLE] = []
    return dict(tables)


def build_plan(clusters: list[Cluster], catalog: Catalog, start: datetime, end: datetime) -> list[TableQuery]:
    by_workspace: dict[str, list[Cluster]] = defaultdict(list)
    for cluster in clusters:
        if cluster.workspace_id:
            by_workspace[cluster.workspace_id].append(cluster)
    plan = []
    for workspace_id, members in sorted(by_workspace.items()):
        members.sort(key=lambda c: c.key)
        tables = signatures_by_table(catalog, {c.kind.value for c in members})
        for first in range(0, len(members), MAX_CLUSTERS_PER_QUERY):
            chunk = members[first : first + MAX_CLUSTERS_PER_QUERY]
            for table, signatures in sorted(tables.items()):
                kql = render_table_query(table, [c.id for c in chunk], start, end, signatures)
                plan.append(TableQuery(workspace_id, table, tuple(c.key for c in chunk), kql))
    return plan
