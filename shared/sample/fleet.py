"""The bundled sample fleet: AKS and Arc clusters over three subscriptions and two workspaces.

Every check that declares a `sample:` scenario is injected into one cluster of
its kind; a few clusters are kept healthy. The manifest records where each
scenario went, so the report can be checked against it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.catalog import Catalog, load_catalog
from shared.sample.builder import FleetBuilder, SampleCluster

SUBSCRIPTIONS = (
    "3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2",
    "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    "d4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f708",
)
LOCATIONS = ("westeurope", "eastus2", "switzerlandnorth")
HEALTHY = 3  # clusters that receive no scenario


def default_now() -> datetime:
    """The sample's clock: the current hour, so a fresh sample always looks recent."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def generate(
    out: Path,
    clusters: int = 12,
    rows: int = 20_000,
    seed: int = 7,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    scenarios: bool = True,
) -> Path:
    """Write a fleet folder. `rows` is the number of ordinary ContainerLogV2 lines across the fleet."""
    catalog = catalog or load_catalog()
    builder = FleetBuilder(now or default_now(), seed=seed)
    rng = random.Random(seed)
    workspaces = [
        builder.add_workspace("law-platform-weu", SUBSCRIPTIONS[0], "rg-monitoring", "westeurope"),
        builder.add_workspace("law-edge-eus2", SUBSCRIPTIONS[1], "rg-monitoring", "eastus2"),
    ]
    del workspaces  # ids are looked up by folder below
    folders = ["law-platform-weu", "law-edge-eus2"]
    injected = [c for c in catalog if c.spec.sample is not None] if scenarios else []
    injected.sort(key=lambda c: not c.spec.sample.get("exclusive"))  # exclusive ones pick empty clusters first
    exclusive = [c for c in injected if c.spec.sample.get("exclusive")]
    count = max(clusters, len(exclusive) + HEALTHY + 2)
    kinds = ["aks" if i % 3 != 2 else "arc" for i in range(count)]
    built: list[SampleCluster] = []
    for i, kind in enumerate(kinds):
        sub = SUBSCRIPTIONS[i % len(SUBSCRIPTIONS)]
        team = ("payments", "search", "edge", "retail", "ml", "data")[i % 6]
        prefix = "aks" if kind == "aks" else "arc"
        name = f"{prefix}-{team}-{i:02d}"
        built.append(builder.add_cluster(kind, name, sub, f"rg-{team}-{kind}", LOCATIONS[i % 3], folders[i % 2]))
    healthy = {c.id for c in built[-HEALTHY:]}
    candidates = [c for c in built if c.id not in healthy]
    used_exclusively: set[str] = set()
    patched: dict[str, set[str]] = {}  # ARM paths each cluster's scenarios have set
    placements: list[dict[str, str]] = []
    for check in injected:
        scenario = check.spec.sample
        kind = scenario.get("kind") or check.spec.applies_to[0].value
        pool = [c for c in candidates if c.kind == kind and c.id not in used_exclusively]
        touched = _arm_paths(scenario)
        pool = [c for c in pool if not touched & patched.get(c.id, set())] or pool  # don't overwrite a scenario
        if scenario.get("exclusive"):
            pool = [c for c in pool if not any(p["cluster"] == c.id for p in placements)] or pool
        if not pool:
            raise ValueError(f"no {kind} cluster left for the {check.id} scenario; raise --clusters")
        target = pool[rng.randrange(len(pool))] if not scenario.get("exclusive") else pool[0]
        if scenario.get("exclusive"):
            used_exclusively.add(target.id)
        builder.apply(target, {k: v for k, v in scenario.items() if k not in ("exclusive", "expect")})
        patched.setdefault(target.id, set()).update(touched)
        placements.append({"check": check.id, "cluster": target.id})
    # `rows` ordinary log lines in all: spread over the clusters whose container logs reach a workspace
    logging = [c.id for c in built if c.workspace_folder and "ContainerLogV2" not in c.dropped_tables]
    share, extra = divmod(rows, max(len(logging), 1))
    for cluster in built:
        position = logging.index(cluster.id) if cluster.id in logging else None
        builder.add_baseline(cluster, 0 if position is None else share + (1 if position < extra else 0))
    path = builder.write(out)
    _record_placements(path, placements, sorted(healthy))
    return path


def _arm_paths(scenario: dict[str, Any]) -> set[str]:
    """The ARM leaf paths a scenario sets: two scenarios setting the same one cannot share a cluster."""
    paths: set[str] = set()

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(f"{prefix}/{key}", child)
        else:
            paths.add(prefix)

    walk("cluster", scenario.get("cluster") or {})
    if "agent_pools" in scenario:
        paths.add("agent_pools")
    return paths


def _record_placements(path: Path, placements: list[dict[str, str]], healthy: list[str]) -> None:
    import json

    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["scenarios"] = placements
    manifest["healthy"] = healthy
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
