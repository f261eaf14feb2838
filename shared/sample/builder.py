"""Build fleet folders: healthy clusters with realistic background data, plus scenarios.

A *scenario* is the JSON/YAML shape shared by the checks' `sample:` blocks and
the test fixtures (`tests/checks/fixtures/<ID>/*.json`):

    kind: aks | arc              cluster kind the scenario needs
    cluster: {...}               deep-merged into the cluster's ARM body
    agent_pools: [...]           replace the AKS agent pool profiles (ARM agentPoolProfiles items)
    resources: [...]             extra ARM resources; "{{cluster_id}}", "{{node_resource_group}}",
                                 "{{subscription}}", "{{cluster}}" are expanded in every string
    rows: {Table: [row, ...]}    log rows; a row may carry `_repeat` (count), `_ago` ("90m", the newest
                                 copy's age; default 10m) and `_every` ("5m", spacing of repeats).
                                 `_ResourceId`, `TimeGenerated`, `ClusterName`, `ClusterId`,
                                 `_SubscriptionId` are filled in.
    metrics: {name: [{"resource": suffix, "value": v, "_ago": "1h"}]}
    directory: {fact: value}
    drop_tables: [Table]         no rows at all for this cluster in those tables
    no_workspace: true           the cluster is not onboarded to Container Insights

Everything is deterministic for a given seed and clock.
"""

from __future__ import annotations

import copy
import json
import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.kql.literals import parse_duration
from shared.sample.baseline import SNAPSHOT_EVERY


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _expand(value: Any, params: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: params.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_expand(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, params) for k, v in value.items()}
    return value


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class SampleCluster:
    id: str
    name: str
    kind: str
    subscription: str
    resource_group: str
    location: str
    workspace_folder: str | None
    resource: dict[str, Any]
    nodes: list[str]
    node_resource_group: str
    extra: list[dict[str, Any]] = field(default_factory=list)
    dropped_tables: set[str] = field(default_factory=set)

    @property
    def params(self) -> dict[str, str]:
        return {
            "cluster_id": self.id,
            "cluster": self.name,
            "subscription": self.subscription,
            "resource_group": self.resource_group,
            "node_resource_group": self.node_resource_group,
            "location": self.location,
        }


class FleetBuilder:
    def __init__(self, now: datetime, seed: int = 7, window: timedelta = timedelta(hours=24)):
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.window = window
        self.rng = random.Random(seed)
        self.clusters: list[SampleCluster] = []
        self.workspaces: dict[str, dict[str, str]] = {}  # folder -> {"id", "customerId", "location"}
        self.rows: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        self.metrics: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        self.directory: dict[str, dict[str, Any]] = {}
        self.resources: list[dict[str, Any]] = []

    # --- fleet shape -----------------------------------------------------------------
    def add_workspace(self, folder: str, subscription: str, resource_group: str, location: str) -> str:
        ws_id = (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{folder}"
        )
        self.workspaces[folder] = {"id": ws_id, "customerId": _uuid(self.rng), "location": location}
        self.resources.append(
            {
                "id": ws_id,
                "name": folder,
                "type": "Microsoft.OperationalInsights/workspaces",
                "location": location,
                "properties": {"customerId": self.workspaces[folder]["customerId"], "provisioningState": "Succeeded"},
            }
        )
        return ws_id

    def add_cluster(
        self, kind: str, name: str, subscription: str, resource_group: str, location: str, workspace: str | None
    ) -> SampleCluster:
        from shared.sample import arm  # local import keeps the ARM templates module optional for readers

        node_rg = f"MC_{resource_group}_{name}_{location}"
        if kind == "aks":
            cluster_id = (
                f"/subscriptions/{subscription}/resourcegroups/{resource_group}"
                f"/providers/Microsoft.ContainerService/managedClusters/{name}"
            )
            ws_id = self.workspaces[workspace]["id"] if workspace else None
            resource = arm.managed_cluster(cluster_id, name, location, node_rg, ws_id, self.rng)
            nodes = [f"aks-nodepool1-{self.rng.randrange(10**7, 10**8)}-vmss00000{i}" for i in range(3)]
        else:
            cluster_id = (
                f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
                f"/providers/Microsoft.Kubernetes/connectedClusters/{name}"
            )
            resource = arm.connected_cluster(cluster_id, name, location, self.now, self.rng)
            nodes = [f"{name}-node-{i}" for i in range(3)]
        cluster = SampleCluster(
            cluster_id, name, kind, subscription, resource_group, location, workspace, resource, nodes, node_rg
        )
        if kind == "arc" and workspace:
            cluster.extra.append(arm.monitor_extension(cluster_id, self.workspaces[workspace]["id"]))
        cluster.extra.extend(arm.default_extensions(cluster_id, kind))
        if kind == "aks":
            cluster.extra.extend(arm.node_network(subscription, node_rg, location, name))
        self.clusters.append(cluster)
        return cluster

    # --- scenarios ---------------------------------------------------------------------
    def apply(self, cluster: SampleCluster, scenario: dict[str, Any]) -> None:
        params = cluster.params
        scenario = _expand(scenario, params)
        if scenario.get("kind") and scenario["kind"] != cluster.kind:
            raise ValueError(f"scenario for {scenario['kind']} applied to {cluster.kind} cluster {cluster.name}")
        if scenario.get("no_workspace"):
            self._unlink_workspace(cluster)
        _merge(cluster.resource, scenario.get("cluster") or {})
        if "agent_pools" in scenario:
            cluster.resource["properties"]["agentPoolProfiles"] = copy.deepcopy(scenario["agent_pools"])
        cluster.extra.extend(copy.deepcopy(scenario.get("resources") or []))
        cluster.dropped_tables.update(scenario.get("drop_tables") or [])
        for table, rows in (scenario.get("rows") or {}).items():
            for row in rows:
                self._add_rows(cluster, table, row)
        for metric, points in (scenario.get("metrics") or {}).items():
            for point in points:
                moment = self.now - parse_duration(point.get("_ago", "30m"))
                resource = (
                    f"/subscriptions/{cluster.subscription}/resourceGroups/{cluster.node_resource_group}"
                    f"/providers/Microsoft.Compute/virtualMachineScaleSets/{point.get('resource', 'aks-nodepool1-vmss')}"
                )
                self.metrics[cluster.id][metric].append(
                    {"resourceId": resource, "timestamp": _ts(moment), "value": point["value"]}
                )
        if scenario.get("directory"):
            self.directory.setdefault(cluster.id, {}).update(scenario["directory"])

    def _unlink_workspace(self, cluster: SampleCluster) -> None:
        cluster.workspace_folder = None
        addons = cluster.resource.get("properties", {}).get("addonProfiles", {})
        addons.pop("omsagent", None)
        addons.pop("omsAgent", None)
        cluster.extra = [e for e in cluster.extra if "azuremonitor" not in json.dumps(e).lower()]

    def _add_rows(self, cluster: SampleCluster, table: str, row: dict[str, Any]) -> None:
        if cluster.workspace_folder is None:
            return
        repeat = int(row.get("_repeat", 1))
        newest = self.now - parse_duration(row.get("_ago", "10m"))
        every = parse_duration(row.get("_every", "5m"))
        base = {k: v for k, v in row.items() if not k.startswith("_") or k in ("_ResourceId",)}
        for i in range(repeat):
            moment = newest - every * i
            if moment < self.now - self.window:
                break
            full = self._stamp(cluster, table, dict(base), moment)
            self.rows[cluster.workspace_folder][table].append(full)

    def _stamp(self, cluster: SampleCluster, table: str, row: dict[str, Any], moment: datetime) -> dict[str, Any]:
        row.setdefault("TimeGenerated", _ts(moment))
        row.setdefault("_ResourceId", cluster.id)
        row.setdefault("_SubscriptionId", cluster.subscription)
        row.setdefault("Type", table)
        row.setdefault("SourceSystem", "Containers")
        if table != "ContainerLogV2":
            row.setdefault("ClusterName", cluster.name)
            row.setdefault("ClusterId", cluster.id)
        if "Computer" not in row:
            row["Computer"] = cluster.nodes[self.rng.randrange(len(cluster.nodes))]
        if table == "KubeEvents":
            row.setdefault("FirstSeen", row["TimeGenerated"])
            row.setdefault("LastSeen", row["TimeGenerated"])
            row.setdefault("Count", 1.0)
            row.setdefault("KubeEventType", "Warning")
        return row

    # --- healthy background ------------------------------------------------------------
    def add_baseline(self, cluster: SampleCluster, log_rows: int, snapshot_every: timedelta = SNAPSHOT_EVERY) -> None:
        from shared.sample import baseline

        # Platform metrics exist whether or not the cluster is onboarded to Container Insights.
        for metric, points in baseline.metrics(cluster, self.now, self.window).items():
            self.metrics[cluster.id][metric].extend(points)
        if cluster.workspace_folder is None:
            return
        generated = baseline.rows(cluster, self.now, self.window, log_rows, self.rng, snapshot_every)
        for table, rows in generated.items():
            if table in cluster.dropped_tables:
                continue
            self.rows[cluster.workspace_folder][table].extend(rows)

    def drop_dropped_tables(self) -> None:
        for cluster in self.clusters:
            if cluster.workspace_folder is None:
                continue
            for table in cluster.dropped_tables:
                rows = self.rows[cluster.workspace_folder][table]
                rows[:] = [r for r in rows if r["_ResourceId"] != cluster.id]

    # --- output ------------------------------------------------------------------------
    def write(self, out: Path, name: str = "sample fleet") -> Path:
        self.drop_dropped_tables()
        out.mkdir(parents=True, exist_ok=True)
        (out / "inventory").mkdir(exist_ok=True)
        resources = list(self.resources)
        for cluster in self.clusters:
            resources.append(cluster.resource)
            resources.extend(cluster.extra)
        (out / "inventory" / "resources.json").write_text(
            json.dumps({"value": resources}, indent=1, ensure_ascii=False), encoding="utf-8"
        )
        manifest = {
            "name": name,
            "now": _ts(self.now).replace(".000000Z", "Z"),
            "workspaces": {
                meta["id"]: {"folder": folder, "customerId": meta["customerId"]}
                for folder, meta in self.workspaces.items()
            },
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for folder in self.workspaces:
            ws_dir = out / "workspaces" / folder
            ws_dir.mkdir(parents=True, exist_ok=True)
            for table, rows in self.rows.get(folder, {}).items():
                rows.sort(key=lambda r: r["TimeGenerated"])
                with (ws_dir / f"{table}.jsonl").open("w", encoding="utf-8") as fh:
                    for row in rows:
                        fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        if self.metrics:
            (out / "metrics.json").write_text(json.dumps(self.metrics, indent=1), encoding="utf-8")
        healthy_graph = {  # a healthy tenant: onboarding principal in few groups, custom locations enabled
            "arc-onboarding-principal-groups": {"principal": "7d2c0f4e-5b1a-4c8e-9f3d-2a6b8c0e1f42", "groupCount": 14},
            "custom-locations-principal": {"objectId": "51dfe1e8-70c6-4de5-a08e-e18aff23d815", "enabled": True},
        }
        directory = {"*": healthy_graph, **self.directory}
        (out / "directory.json").write_text(json.dumps(directory, indent=1), encoding="utf-8")
        return out
