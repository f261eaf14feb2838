"""NODE008: a node pool's OS disks hit their IOPS limit (Azure Monitor metric of the node scale sets)."""

from __future__ import annotations

from shared.engine.context import CheckContext
from shared.model import Hit

METRIC = "OS Disk IOPS Consumed Percentage"
# At 100 % the disk is throttled; Maximum per interval at or above this means it reached the limit.
THRESHOLD = 95.0


def evaluate(ctx: CheckContext) -> list[Hit]:
    points = ctx.metrics[METRIC]  # never empty here: the engine makes an empty series inconclusive
    by_vmss: dict[str, list] = {}
    for point in points:
        by_vmss.setdefault(point.resource_id.rstrip("/").rsplit("/", 1)[-1], []).append(point)
    hits = []
    for vmss, series in sorted(by_vmss.items()):
        hot = sorted((p for p in series if p.value >= THRESHOLD), key=lambda p: p.timestamp)
        if not hot:
            continue
        evidence = {
            "signature": "os-disk-iops-throttled",
            "metric": METRIC,
            "aggregation": "Maximum",
            "resourceId": hot[0].resource_id,
            "threshold": THRESHOLD,
            "peak": max(p.value for p in hot),
            "intervalsAtLimit": len(hot),
            "intervals": len(series),
            "firstSeen": hot[0].timestamp.isoformat().replace("+00:00", "Z"),
            "lastSeen": hot[-1].timestamp.isoformat().replace("+00:00", "Z"),
        }
        hits.append(
            Hit(
                subject=vmss,
                evidence=[evidence],
                first_seen=hot[0].timestamp,
                last_seen=hot[-1].timestamp,
                count=len(hot),
                params={"vmss": vmss},
            )
        )
    return hits
