"""MON001: the cluster sends nothing to Container Insights, so every log-based check is blind on it."""

from __future__ import annotations

from shared.engine.context import CheckContext
from shared.model import ClusterKind, Hit


def evaluate(ctx: CheckContext) -> list[Hit]:
    cluster = ctx.cluster
    if cluster.workspace_id:
        return []
    addons = cluster.properties.get("addonProfiles") or {}
    addon = addons.get("omsagent") or addons.get("omsAgent") or {}
    extension = next(
        (
            e.get("name")
            for e in cluster.extensions
            if "azuremonitor" in str((e.get("properties") or {}).get("extensionType", "")).lower()
        ),
        None,
    )
    evidence = {
        "signature": "no-workspace",
        "clusterKind": cluster.kind.value,
        "monitoringAddonEnabled": bool(addon.get("enabled")) if cluster.kind is ClusterKind.AKS else None,
        "monitorExtension": extension,
        "message": "no Log Analytics workspace found from the monitoring add-on, a data collection rule "
        "association or the azuremonitor-containers extension",
    }
    return [Hit(subject="container-insights", evidence=[evidence])]
