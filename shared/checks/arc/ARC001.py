"""ARC001: Arc agent pods not running in azure-arc, or agent errors reported on the connected cluster."""

from __future__ import annotations

from shared.engine.context import CheckContext, hits_by_subject
from shared.model import Hit


def evaluate(ctx: CheckContext) -> list[Hit]:
    hits = hits_by_subject(ctx.all_rows())
    profile = ctx.cluster.properties.get("arcAgentProfile") or {}
    errors = [e for e in profile.get("agentErrors") or [] if str(e.get("severity", "Error")).lower() == "error"]
    for error in errors:
        component = str(error.get("component") or "unknown")
        hits.append(
            Hit(
                subject=f"arcAgentProfile/{component}",
                evidence=[
                    {
                        "signature": "agent-error",
                        "component": component,
                        "message": error.get("message"),
                        "time": error.get("time"),
                        "agentState": profile.get("agentState"),
                    }
                ],
                params={"component": component},
            )
        )
    if not errors and str(profile.get("agentState", "")).lower() == "failed":
        hits.append(
            Hit(
                subject="arcAgentProfile",
                evidence=[{"signature": "agent-state-failed", "agentState": profile.get("agentState")}],
            )
        )
    return hits
