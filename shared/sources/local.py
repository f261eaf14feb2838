"""The embedded default: a fleet exported to a folder, its logs in an in-process Log Analytics twin.

Layout of a fleet folder (what `fleetdoc sample` writes and a real export can provide):

    manifest.json                 {"name", "now"?, "workspaces": {<workspace ARM id>: {"folder", "customerId"}}}
    inventory/*.json              ARM resources: a list, or {"value": [...]} as Resource Graph and ARM list return
    workspaces/<folder>/<Table>.jsonl   rows with the real Container Insights column names
    metrics.json                  {<cluster id>: {<metric name>: [{"resourceId", "timestamp", "value"}]}} (optional)
    directory.json                {<cluster id or "*">: {<fact>: value}} (optional)

Each workspace is a DuckDB database typed from the Log Analytics table
schemas; queries are the same KQL text sent to Azure, run by duckdb-kql.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import duckdb
import duckdb_kql
from duckdb_kql.engine import schema as duckdb_schema

from shared.inventory import assemble_clusters
from shared.kql.tables import PROFILES
from shared.model import Cluster
from shared.sources.base import Inventory, MetricPoint, QueryResult, SourceFailure

_DUCK_TYPES = {
    "string": "VARCHAR",
    "datetime": "TIMESTAMPTZ",
    "int": "INTEGER",
    "long": "BIGINT",
    "real": "DOUBLE",
    "bool": "BOOLEAN",
    "boolean": "BOOLEAN",
    "dynamic": "JSON",
    "guid": "VARCHAR",
    "timespan": "INTERVAL",
}


# duckdb-kql renders `has` with a Unicode letter/digit boundary (`[^\pL\pN]`). Kusto's terms are runs of
# ASCII alphanumerics, and RE2 compiles the ASCII class about 15x faster: with ~200 `has` terms per
# fleet query, compiling the Unicode class dominated every embedded query (2-5 s of planning each).
_UNICODE_BOUNDARY = r"[^\pL\pN]"
_ASCII_BOUNDARY = "[^a-zA-Z0-9]"


@lru_cache(maxsize=512)
def _translate(kql: str, schema_key: str) -> str:
    """KQL -> DuckDB SQL, cached: a scan sends the same query text to every workspace."""
    sql = duckdb_kql.to_sql(kql, schema=json.loads(schema_key))
    return sql.replace(_UNICODE_BOUNDARY, _ASCII_BOUNDARY)


class EmbeddedWorkspaceError(SourceFailure):
    """The embedded Log Analytics workspace could not run a query (bad KQL, unsupported syntax, bad data)."""


class FleetDataError(ValueError):
    """A fleet folder is missing or malformed."""


@cache
def table_schemas() -> dict[str, list[tuple[str, str]]]:
    """Column names and Kusto types of the Container Insights tables, plus TenantId that every table carries."""
    raw = json.loads(package_files.files("shared.data").joinpath("log-analytics-tables.json").read_text("utf-8"))
    schemas = {}
    for table, columns in raw.items():
        if not isinstance(columns, list):
            continue
        cols = [(c["name"], c["type"]) for c in columns]
        if "TenantId" not in {name for name, _ in cols}:
            cols.append(("TenantId", "string"))
        schemas[table] = cols
    return schemas


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise FleetDataError(f"{path}: {err}") from err


class EmbeddedWorkspace:
    """One Log Analytics workspace held in DuckDB, loaded lazily from JSON Lines files."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._con: duckdb.DuckDBPyConnection | None = None
        self._schema_key = ""
        self._lock = threading.Lock()  # a DuckDB connection serves one query at a time

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb_kql.connect()
        for table, columns in table_schemas().items():
            if table not in PROFILES and table != "ContainerLog":
                continue
            typed = ", ".join(f"\"{name}\": '{_DUCK_TYPES[kind]}'" for name, kind in columns)
            path = self.folder / f"{table}.jsonl"
            if path.exists() and path.stat().st_size > 0:
                con.execute(
                    f"CREATE TABLE \"{table}\" AS SELECT * FROM read_json(?, format='newline_delimited', "
                    f"columns={{{typed}}}, timestampformat='%Y-%m-%dT%H:%M:%S.%fZ')",
                    [str(path)],
                )
            else:
                ddl = ", ".join(f'"{name}" {_DUCK_TYPES[kind]}' for name, kind in columns)
                con.execute(f'CREATE TABLE "{table}" ({ddl})')
        return con

    def query(self, kql: str) -> list[dict[str, Any]]:
        with self._lock:
            try:
                if self._con is None:
                    self._con = self._connect()
                    self._schema_key = json.dumps(duckdb_schema(self._con), sort_keys=True)
                relation = self._con.sql(_translate(kql, self._schema_key))
                columns = relation.columns
                return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
            except (duckdb_kql.KqlError, duckdb.Error) as err:
                raise EmbeddedWorkspaceError(f"embedded workspace {self.folder.name}: {err}") from err

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


class LocalFleet:
    """Inventory, logs, metrics and directory facts of a fleet folder; implements every source interface."""

    def __init__(self, root: Path):
        self.root = Path(root)
        manifest_path = self.root / "manifest.json"
        if not manifest_path.exists():
            raise FleetDataError(f"{self.root}: no manifest.json (create one with `fleetdoc sample --out DIR`)")
        self.manifest = _read_json(manifest_path)
        self.workspaces: dict[str, EmbeddedWorkspace] = {}
        for ws_id, meta in (self.manifest.get("workspaces") or {}).items():
            folder = self.root / "workspaces" / str(meta["folder"])
            if not folder.is_dir():
                raise FleetDataError(f"{folder}: workspace folder listed in manifest.json is missing")
            self.workspaces[ws_id.lower()] = EmbeddedWorkspace(folder)
        self._clusters: list[Cluster] | None = None

    @property
    def now(self) -> datetime | None:
        """The clock the data was recorded against (sample fleets pin it so results are reproducible)."""
        value = self.manifest.get("now")
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC) if value else None

    def resources(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for path in sorted((self.root / "inventory").glob("*.json")):
            doc = _read_json(path)
            items = doc.get("value", doc.get("data")) if isinstance(doc, dict) else doc
            if not isinstance(items, list):
                raise FleetDataError(f"{path}: expected a list of ARM resources or {{'value': [...]}}")
            found.extend(items)
        return found

    def clusters(self) -> list[Cluster]:
        if self._clusters is None:
            self._clusters = assemble_clusters(self.resources())
        return self._clusters

    # InventorySource
    async def list_clusters(self) -> Inventory:
        return Inventory(clusters=await asyncio.to_thread(self.clusters))

    async def get_cluster(self, cluster_id: str) -> Cluster | None:
        clusters = await asyncio.to_thread(self.clusters)
        return next((c for c in clusters if c.key == cluster_id.lower()), None)

    # LogsSource
    async def query_workspace(self, workspace_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        workspace = self.workspaces.get(workspace_id.lower())
        if workspace is None:
            raise SourceFailure(f"workspace not found: {workspace_id}", kind="not_found")
        return QueryResult(rows=await asyncio.to_thread(workspace.query, query))

    async def query_resource(self, resource_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        rows: list[dict[str, Any]] = []
        for workspace in self.workspaces.values():  # resource-centric: wherever the cluster's rows landed
            rows.extend(await asyncio.to_thread(workspace.query, query))
        return QueryResult(rows=rows)

    # MetricsSource
    async def fetch(
        self, cluster: Cluster, namespace: str, metric: str, aggregation: str, start: datetime, end: datetime
    ) -> list[MetricPoint]:
        path = self.root / "metrics.json"
        if not path.exists():
            raise SourceFailure("no metrics in this fleet folder", kind="not_found")
        data = {k.lower(): v for k, v in _read_json(path).items()}
        points = []
        for point in (data.get(cluster.key) or {}).get(metric, []):
            moment = datetime.fromisoformat(point["timestamp"].replace("Z", "+00:00"))
            if start <= moment <= end:
                points.append(MetricPoint(point["resourceId"], metric, moment, float(point["value"])))
        return points

    # DirectorySource
    async def fact(self, cluster: Cluster, name: str) -> Any:
        path = self.root / "directory.json"
        if not path.exists():
            raise SourceFailure("no Microsoft Graph data in this fleet folder", kind="not_found")
        data = {k.lower(): v for k, v in _read_json(path).items()}
        for scope in (cluster.key, "*"):
            if name in (data.get(scope) or {}):
                return data[scope][name]
        raise SourceFailure(f"no {name} fact recorded for {cluster.name}", kind="not_found")

    def close(self) -> None:
        for workspace in self.workspaces.values():
            workspace.close()
