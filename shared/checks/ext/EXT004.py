"""EXT004: extension pods unschedulable because every node pool carries the CriticalAddonsOnly taint.

Both signals must agree: the ARM agent pools (no pool without a CriticalAddonsOnly taint) and
FailedScheduling events naming the untolerated taint for pods in an extension's release namespace.
An event alone can be a full untainted pool; the taints alone harm nothing until an extension installs.
"""

from __future__ import annotations

from typing import Any

from shared.engine.context import CheckContext, hits_by_subject
from shared.model import Hit

TAINT_KEY = "criticaladdonsonly"


def _pool_props(pool: dict[str, Any]) -> dict[str, Any]:
    return pool.get("properties") or pool


def _tainted(pool: dict[str, Any]) -> bool:
    taints = _pool_props(pool).get("nodeTaints") or []
    return any(str(t).split("=", 1)[0].split(":", 1)[0].strip().lower() == TAINT_KEY for t in taints)


def _extension_namespaces(ctx: CheckContext) -> dict[str, str]:
    """Release namespace -> extension name, for every extension installed on the cluster."""
    out: dict[str, str] = {}
    for ext in ctx.cluster.extensions:
        scope = (ext.get("properties") or {}).get("scope") or {}
        ns = (scope.get("cluster") or {}).get("releaseNamespace") or (scope.get("namespace") or {}).get(
            "targetNamespace"
        )
        if ns:
            out.setdefault(str(ns).lower(), str(ext.get("name", "")))
    return out


def evaluate(ctx: CheckContext) -> list[Hit]:
    pools = ctx.cluster.agent_pools
    if not pools or not all(_tainted(p) for p in pools):
        return []
    namespaces = _extension_namespaces(ctx)
    rows = [r for r in ctx.signal("untolerated-criticaladdonsonly") if r.subject.split("/", 1)[0].lower() in namespaces]
    if not rows:
        return []
    pool_names = sorted(str(p.get("name") or _pool_props(p).get("name") or "") for p in pools)
    pool_evidence = {
        "source": "arm",
        "agentPools": [
            {"name": n, "nodeTaints": list(_pool_props(p).get("nodeTaints") or [])}
            for n, p in zip(pool_names, sorted(pools, key=lambda p: str(p.get("name") or "")), strict=True)
        ],
    }
    hits = []
    for hit in hits_by_subject(rows, nodepools=", ".join(pool_names), nodepool=pool_names[0]):
        extension = namespaces[hit.subject.split("/", 1)[0].lower()]
        hits.append(
            Hit(
                subject=hit.subject,
                evidence=[*hit.evidence, pool_evidence],
                first_seen=hit.first_seen,
                last_seen=hit.last_seen,
                count=hit.count,
                params={**hit.params, "extension": extension},
            )
        )
    return hits
