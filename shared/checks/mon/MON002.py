"""MON002: the cluster is onboarded, but its inventory tables have gone quiet."""

from __future__ import annotations

from datetime import timedelta

from shared.engine.context import CheckContext
from shared.model import Hit

# Inventories are re-sent every collection interval (1 to 30 minutes, DCR setting) and ingestion adds a
# few minutes; silence longer than this means the agent stopped sending, not a slow interval.
STALE_AFTER = timedelta(minutes=45)
TABLES = ("KubeNodeInventory", "KubePodInventory")


def evaluate(ctx: CheckContext) -> list[Hit]:
    evidence = []
    for table in TABLES:
        beat = ctx.heartbeats.get(table)
        last = beat.last_seen if beat else None
        if last is not None and ctx.now - last <= STALE_AFTER:
            continue
        evidence.append(
            {
                "signature": "no-recent-data",
                "table": table,
                "lastSeen": last.isoformat().replace("+00:00", "Z") if last else None,
                "rows": beat.count if beat else 0,
                "message": f"no {table} rows since {ctx.start:%Y-%m-%d %H:%M}Z"
                if last is None
                else f"last {table} row is {int((ctx.now - last).total_seconds() // 60)} minutes old",
            }
        )
    if not evidence:
        return []
    seen = [e["lastSeen"] for e in evidence if e["lastSeen"]]
    last_seen = max(ctx.heartbeats[e["table"]].last_seen for e in evidence if e["lastSeen"]) if seen else None
    return [Hit(subject="container-insights", evidence=evidence, last_seen=last_seen, count=len(evidence))]
