"""Resource Graph tables of a fleet folder in DuckDB, queried with the same KQL the adapter sends."""

from __future__ import annotations

import json
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb_kql

from shared.inventory import id_parts

# ARG splits resources over tables; extensions and DCR associations live outside `resources`.
TABLE_OF_TYPE = {
    "microsoft.kubernetesconfiguration/extensions": "kubernetesconfigurationresources",
    "microsoft.insights/datacollectionruleassociations": "insightsresources",
}
TABLES = ("resources", "kubernetesconfigurationresources", "insightsresources", "resourcecontainers")
SCALAR = ("id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId", "managedBy")
DYNAMIC = ("sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def arg_row(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource as Resource Graph returns it: lower-case type, resourceGroup/subscriptionId columns, nulls."""
    sub, rg = id_parts(str(resource["id"]))
    row: dict[str, Any] = {
        "id": resource["id"],
        "name": resource.get("name") or str(resource["id"]).rsplit("/", 1)[-1],
        "type": str(resource.get("type", "")).lower(),
        "tenantId": TENANT,
        "kind": resource.get("kind", ""),
        "location": resource.get("location", ""),
        "resourceGroup": rg.lower(),
        "subscriptionId": sub,
        "managedBy": resource.get("managedBy", ""),
    }
    for column in DYNAMIC:
        row[column] = resource.get(column)
    return row


class ResourceGraphData:
    def __init__(self, resources: list[dict[str, Any]], subscriptions: list[str]):
        self.subscriptions = subscriptions
        self._con = duckdb_kql.connect()
        self._lock = threading.Lock()
        columns = ", ".join([f'"{c}" VARCHAR' for c in SCALAR] + [f'"{c}" JSON' for c in DYNAMIC])
        for table in TABLES:
            self._con.execute(f"CREATE TABLE {table} ({columns})")
        rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        for res in resources:
            row = arg_row(res)
            rows[TABLE_OF_TYPE.get(row["type"], "resources")].append(row)
        for sub in subscriptions:
            container = {"id": f"/subscriptions/{sub}", "name": sub, "type": "microsoft.resources/subscriptions"}
            rows["resourcecontainers"].append(arg_row(container) | {"subscriptionId": sub})
        typed = ", ".join([f"\"{c}\": 'VARCHAR'" for c in SCALAR] + [f"\"{c}\": 'JSON'" for c in DYNAMIC])
        with tempfile.TemporaryDirectory(prefix="fake-arg-") as tmp:  # bulk load: executemany is row by row
            for table, values in rows.items():
                if not values:
                    continue
                path = Path(tmp) / f"{table}.jsonl"
                path.write_text("".join(json.dumps(v) + "\n" for v in values), encoding="utf-8")
                self._con.execute(
                    f"INSERT INTO {table} SELECT * FROM read_json(?, format='newline_delimited', columns={{{typed}}})",
                    [str(path)],
                )
        self.count = sum(len(v) for v in rows.values())

    def query(self, kql: str, subscriptions: list[str]) -> list[dict[str, Any]]:
        """Run `kql` over the given subscriptions only, ordered by id (what paging relies on)."""
        match = re.match(r"\s*(\w+)\s*(\|.*)?$", kql, re.S)
        if not match or match.group(1).lower() not in TABLES:
            raise ValueError(f"unsupported Resource Graph query: {kql}")
        scope = ", ".join(f"'{s}'" for s in subscriptions) or "''"
        scoped = f"{match.group(1).lower()} | where subscriptionId in~ ({scope}) {match.group(2) or ''}"
        with self._lock:
            relation = duckdb_kql.kql(self._con, scoped)
            names = relation.columns
            kinds = [str(t) for t in relation.types]
            result = []
            for values in relation.fetchall():
                row = {}
                for name, kind, value in zip(names, kinds, values, strict=True):
                    row[name] = json.loads(value) if kind == "JSON" and isinstance(value, str) else value
                result.append(row)
        return sorted(result, key=lambda r: str(r.get("id", "")).lower())
