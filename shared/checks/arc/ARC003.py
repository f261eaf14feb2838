"""ARC003: the connected cluster resource failed to provision (ARM provisioningState)."""

from __future__ import annotations

from shared.engine.context import CheckContext
from shared.model import Hit

FAILED = ("failed", "canceled")


def evaluate(ctx: CheckContext) -> list[Hit]:
    state = str(ctx.cluster.properties.get("provisioningState") or "")
    if state.lower() not in FAILED:
        return []
    system = ctx.cluster.resource.get("systemData") or {}
    evidence = {
        "signature": "provisioning-state-failed",
        "subject": ctx.cluster.name,
        "provisioningState": state,
        "connectivityStatus": ctx.cluster.properties.get("connectivityStatus"),
        "lastModifiedAt": system.get("lastModifiedAt"),
    }
    return [Hit(subject=ctx.cluster.name, evidence=[evidence], params={"state": state})]
