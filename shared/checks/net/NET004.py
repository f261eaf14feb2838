"""NET004: a service whose selector matches no Running pod (so `kubectl get endpoints` is empty)."""

from __future__ import annotations

from shared.engine.context import CheckContext, Inconclusive, SignalRow
from shared.model import Hit

SIGNATURE = "service-selector-state"


def _sample(row: SignalRow, key: str) -> str:
    prefix = f"{key}="
    return next((s[len(prefix) :] for s in row.samples if s.startswith(prefix)), "")


def evaluate(ctx: CheckContext) -> list[Hit]:
    if "KubePodInventory" not in ctx.heartbeats:
        # Without pod inventory every service would look empty: refuse to conclude.
        raise Inconclusive("no KubePodInventory rows from this cluster: pods behind services are unknown")
    rows = ctx.signal(SIGNATURE)
    # KubePodInventory.ServiceName holds one service per pod: a pod selected by two services with the
    # same selector (a headless twin) is recorded under one of them only, so backing is shared by selector.
    backed = {
        (row.subject.split("/", 1)[0], _sample(row, "selector")) for row in rows if _sample(row, "running") == "yes"
    }
    hits = []
    for row in sorted(rows, key=lambda r: r.subject):
        namespace, service = row.subject.split("/", 1)
        selector = _sample(row, "selector")
        if _sample(row, "running") == "yes" or (namespace, selector) in backed:
            continue
        last_running = _sample(row, "lastRunning") or "never"
        evidence = row.evidence()
        evidence["samples"] = [f"selector {selector} matches no Running pod (last Running pod: {last_running})"]
        hits.append(
            Hit(
                subject=row.subject,
                evidence=[evidence],
                first_seen=row.first_seen,
                last_seen=row.last_seen,
                count=row.count,
                params={"namespace": namespace, "service": service, "selector": selector},
            )
        )
    return hits
