"""MON003: which checks could not conclude on this cluster, and why.

Runs last (engine/evaluate.py) and reads the other checks' inconclusive reasons. Reasons that MON001 or
MON002 already explain with findings of their own are left out, so one missing workspace or one silent
agent does not turn into a second, noisier finding:
- "no Container Insights workspace ..." (MON001's finding);
- "no <table> rows ..." / "no Container Insights data ..." when the cluster's inventory tables are
  silent as well (a reason names KubeNodeInventory or KubePodInventory, or says no data at all): that is
  MON002's finding. A single table missing while the inventories flow (e.g. ContainerLogV2 not
  collected) is reported here, since MON002 does not see it.
Everything else (query errors, throttling, partial results, metrics or Graph facts not readable, a check
that raised) is reported. MON003 itself never becomes inconclusive: it reads no source.
"""

from __future__ import annotations

from shared.engine.context import CheckContext
from shared.model import Hit

NO_WORKSPACE = "no Container Insights workspace"
NO_DATA = "no Container Insights data from this cluster"
SILENT_INVENTORY = ("no KubeNodeInventory rows", "no KubePodInventory rows")


def _explained(reason: str, silent: bool) -> bool:
    if reason.startswith(NO_WORKSPACE):
        return True
    return silent and reason.startswith("no ") and (" rows from this cluster" in reason or reason.startswith(NO_DATA))


def evaluate(ctx: CheckContext) -> list[Hit]:
    reasons = ctx.inconclusive
    silent = any(r.startswith(SILENT_INVENTORY) or r.startswith(NO_DATA) for r in reasons.values())
    open_reasons = {check: reason for check, reason in sorted(reasons.items()) if not _explained(reason, silent)}
    if not open_reasons:
        return []
    evidence = [{"signature": "check-inconclusive", "check": c, "reason": r} for c, r in open_reasons.items()]
    return [
        Hit(
            subject="coverage",
            evidence=evidence,
            count=len(open_reasons),
            params={"checks": ", ".join(open_reasons)},
        )
    ]
