"""Turn ARM resource documents into clusters: the same code for a local export and Resource Graph rows.

A cluster's Container Insights workspace is found, in order, from the AKS
monitoring addon (`omsagent`/`omsAgent`, case varies), the AKS
`azureMonitorProfile.containerInsights`, a data collection rule association
pointing at a DCR with a Log Analytics destination, or the Arc
`azuremonitor-containers` extension settings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from shared.model import ARM_TYPES, Cluster, ClusterKind

EXTENSION_TYPE = "microsoft.kubernetesconfiguration/extensions"
AGENT_POOL_TYPE = "microsoft.containerservice/managedclusters/agentpools"
DCRA_TYPE = "microsoft.insights/datacollectionruleassociations"
DCR_TYPE = "microsoft.insights/datacollectionrules"
MONITOR_EXTENSION_TYPES = ("microsoft.azuremonitor.containers", "azuremonitor-containers")


def _ci_get(mapping: dict[str, Any] | None, key: str) -> Any:
    for k, v in (mapping or {}).items():
        if k.lower() == key.lower():
            return v
    return None


def _parent_id(resource_id: str) -> str:
    """The resource an extension resource (`.../providers/X/...`) or a child resource hangs off."""
    lowered = resource_id.lower()
    if lowered.count("/providers/") > 1:
        return lowered[: lowered.rfind("/providers/")]
    return lowered.rsplit("/", 2)[0]


def resource_type(resource: dict[str, Any]) -> str:
    """Lower-case ARM type; derived from the id when a list response leaves `type` out (agent pools do)."""
    declared = str(resource.get("type") or "").lower()
    if declared:
        return declared
    lowered = str(resource.get("id", "")).lower()
    tail = lowered[lowered.rfind("/providers/") + len("/providers/") :].split("/") if "/providers/" in lowered else []
    if len(tail) < 3:
        return ""
    namespace, pairs = tail[0], tail[1:]
    return "/".join([namespace, *pairs[0::2]])


def id_parts(resource_id: str) -> tuple[str, str]:
    parts = resource_id.split("/")
    lower = [p.lower() for p in parts]
    sub = parts[lower.index("subscriptions") + 1] if "subscriptions" in lower else ""
    rg = parts[lower.index("resourcegroups") + 1] if "resourcegroups" in lower else ""
    return sub, rg


def workspace_from_addon(resource: dict[str, Any]) -> str | None:
    props = resource.get("properties") or {}
    addon = _ci_get(props.get("addonProfiles"), "omsagent")
    if addon and addon.get("enabled", True):
        ws = _ci_get(addon.get("config"), "logAnalyticsWorkspaceResourceID")
        if ws:
            return str(ws)
    insights = ((props.get("azureMonitorProfile") or {}).get("containerInsights")) or {}
    if insights.get("enabled") and insights.get("logAnalyticsWorkspaceResourceId"):
        return str(insights["logAnalyticsWorkspaceResourceId"])
    return None


def workspace_from_extensions(extensions: Iterable[dict[str, Any]]) -> str | None:
    for ext in extensions:
        props = ext.get("properties") or {}
        if str(props.get("extensionType", "")).lower() not in MONITOR_EXTENSION_TYPES:
            continue
        ws = _ci_get(props.get("configurationSettings"), "logAnalyticsWorkspaceResourceID")
        if ws:
            return str(ws)
    return None


def workspace_from_dcr(associations: Iterable[dict[str, Any]], dcrs: dict[str, dict[str, Any]]) -> str | None:
    for assoc in associations:
        dcr_id = str((assoc.get("properties") or {}).get("dataCollectionRuleId") or "").lower()
        dcr = dcrs.get(dcr_id)
        if not dcr:
            continue
        for dest in ((dcr.get("properties") or {}).get("destinations") or {}).get("logAnalytics") or []:
            if dest.get("workspaceResourceId"):
                return str(dest["workspaceResourceId"])
    return None


def assemble_clusters(resources: Iterable[dict[str, Any]]) -> list[Cluster]:
    """Group a flat list of ARM resources into clusters with their extensions, pools and workspace."""
    clusters: dict[str, dict[str, Any]] = {}
    children: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    dcrs: dict[str, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    for res in resources:
        rtype = resource_type(res)
        rid = str(res.get("id", ""))
        if rtype in ARM_TYPES:
            clusters[rid.lower()] = res
        elif rtype in (EXTENSION_TYPE, DCRA_TYPE, AGENT_POOL_TYPE):
            children[_parent_id(rid)][rtype].append(res)
        elif rtype == DCR_TYPE:
            dcrs[rid.lower()] = res
        else:
            others.append(res)

    result = []
    for key, res in sorted(clusters.items()):
        kind = ARM_TYPES[resource_type(res)]
        sub, rg = id_parts(res["id"])
        kids = children.get(key, {})
        extensions = kids.get(EXTENSION_TYPE, [])
        pools = kids.get(AGENT_POOL_TYPE, []) or [
            {"name": p.get("name"), "properties": p}
            for p in (res.get("properties") or {}).get("agentPoolProfiles") or []
        ]
        workspace, how = None, None
        for candidate, source in (
            (workspace_from_addon(res) if kind is ClusterKind.AKS else None, "addon"),
            (workspace_from_dcr(kids.get(DCRA_TYPE, []), dcrs), "dcr"),
            (workspace_from_extensions(extensions), "extension"),
        ):
            if candidate:
                workspace, how = candidate.lower(), source
                break
        node_rg = str((res.get("properties") or {}).get("nodeResourceGroup") or "").lower()
        related: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for other in others:
            _, other_rg = id_parts(str(other.get("id", "")))
            if node_rg and other_rg.lower() == node_rg:
                related[str(other.get("type", "")).lower()].append(other)
        result.append(
            Cluster(
                id=res["id"],
                name=res.get("name", key.rsplit("/", 1)[-1]),
                kind=kind,
                subscription_id=sub,
                resource_group=rg,
                location=res.get("location", ""),
                resource=res,
                workspace_id=workspace,
                workspace_source=how,
                extensions=extensions,
                agent_pools=pools,
                related=dict(related),
            )
        )
    return result
